//! Evaluation on the Numenta Anomaly Benchmark (NAB).
//!
//! [`eval_nab`] runs the volume detector over NAB-format files and scores
//! its alerts exactly as NAB's scorer does (label windows, scaled-sigmoid
//! weights, cost profiles, probationary period, normalisation against the
//! null and perfect detectors). See [`score_detections`] for the formulas.

mod eval;
mod score;

pub use eval::{eval_nab, eval_nab_with, FileReport, NabDetector, NabReport, EVAL_COOLDOWN_S};
pub use score::{
    scaled_sigmoid, score_detections, CostMatrix, FileScore, LabelWindow, NabProfile, UnknownProfile, PROBATION_PERCENT,
};
