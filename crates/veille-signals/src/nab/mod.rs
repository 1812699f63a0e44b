//! Evaluation on the Numenta Anomaly Benchmark (NAB).
//!
//! [`eval_nab`] runs the volume detector over NAB-format files (NAB's layout:
//! `DIR/<category>/<file>.csv`, or one category folder) and scores its alarms
//! exactly as NAB's scorer does (label windows, scaled-sigmoid weights, cost
//! profiles, probationary period, normalisation against the null and perfect
//! detectors). See [`score_detections`] for the formulas.

mod corpus;
mod eval;
mod score;

pub use corpus::{default_windows, NabCorpus, NabFile};
pub use eval::{
    detect, eval_nab, evaluate, FileReport, NabDetector, NabReport, ProfileSummary, Tally, EVAL_COOLDOWN_S,
    RECORD_BYPASS_S,
};
pub use score::{
    scaled_sigmoid, score_detections, CostMatrix, FileScore, LabelWindow, NabProfile, UnknownProfile, PROBATION_PERCENT,
};
