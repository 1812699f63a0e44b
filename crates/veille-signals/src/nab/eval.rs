//! Running the volume detector over NAB files and scoring its alarms.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use veille_config::signals::DetectorConfig;

use super::corpus::{NabCorpus, NabFile};
use super::score::{normalize, score_detections, FileScore, NabProfile, PROBATION_PERCENT};
use crate::baseline::ValueKind;
use crate::detector::{Novelty, SpikeAssessment, VolumeDetector};
use crate::error::Error;

/// Quiet time after an alarm during evaluation (a day): NAB windows span a
/// day or two and NAB rewards only the first detection in a window.
pub const EVAL_COOLDOWN_S: u64 = 86_400;

/// A new record (high or low) may alarm during the quiet time, once this
/// long after the last alarm: a record is news even right after an alarm.
pub const RECORD_BYPASS_S: i64 = 3_600;

/// The detector and alarm settings an evaluation runs.
#[derive(Debug, Clone, PartialEq)]
pub struct NabDetector {
    /// The volume detector's parameters.
    pub detector: DetectorConfig,
    /// Quiet time after each alarm, in seconds.
    pub cooldown_s: u64,
}

impl Default for NabDetector {
    /// The default `[signals.detector]` with the evaluation's quiet time.
    fn default() -> Self {
        NabDetector { detector: DetectorConfig::default(), cooldown_s: EVAL_COOLDOWN_S }
    }
}

/// Sums of NAB scores over a group of files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Sum of raw scores.
    pub raw: f64,
    /// Sum of the null detector's raw scores.
    pub null: f64,
    /// Sum of the perfect detector's raw scores.
    pub perfect: f64,
    /// Label windows.
    pub windows: usize,
    /// Windows with at least one alarm.
    pub detected_windows: usize,
    /// Scored alarms outside every window.
    pub false_positives: usize,
}

impl Tally {
    /// NAB's normalised score of the group: `100 (raw − null) / (perfect − null)`, `None` without windows.
    pub fn score(&self) -> Option<f64> {
        normalize(self.raw, self.null, self.perfect)
    }

    fn add(&mut self, s: &FileScore) {
        self.raw += s.raw;
        self.null += s.null;
        self.perfect += s.perfect;
        self.windows += s.windows;
        self.detected_windows += s.detected_windows;
        self.false_positives += s.fp;
    }
}

/// One file's alarms and scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    /// The file's category.
    pub category: String,
    /// Rows of the file.
    pub rows: usize,
    /// Rows where the detector raised an alarm.
    pub alarms: usize,
    /// The score under each profile.
    pub scores: BTreeMap<NabProfile, FileScore>,
}

/// Scores of one profile: per category and over all files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileSummary {
    /// Normalised score over all files (NAB sums raw, null and perfect scores
    /// over the files, then normalises the sums).
    pub overall: f64,
    /// The sums over all files.
    pub total: Tally,
    /// The sums per category.
    pub categories: BTreeMap<String, Tally>,
}

/// The result of `veille eval nab`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NabReport {
    /// Scores per profile.
    pub profiles: BTreeMap<NabProfile, ProfileSummary>,
    /// Every file, by its windows key (`<category>/<file>`).
    pub files: BTreeMap<String, FileReport>,
}

impl NabReport {
    /// The sums of `profile` over the files whose key `keep` accepts.
    pub fn tally(&self, profile: NabProfile, mut keep: impl FnMut(&str) -> bool) -> Tally {
        let mut t = Tally::default();
        for (key, file) in &self.files {
            if let Some(s) = file.scores.get(&profile).filter(|_| keep(key)) {
                t.add(s);
            }
        }
        t
    }

    /// The overall normalised score of `profile` (0 without windows).
    pub fn overall(&self, profile: NabProfile) -> f64 {
        self.profiles.get(&profile).map_or(0.0, |p| p.overall)
    }
}

/// Runs the default volume detector over every file under `data_dir` (see
/// [`NabCorpus::load`]) and scores its alarms against `windows_file` under the
/// three profiles. With `out_dir`, also writes NAB results files
/// (`timestamp,value,anomaly_score,label`, anomaly score 1.0 at alarms) under
/// `out_dir/<category>/veille_<file>`, the layout NAB's scorer reads.
pub fn eval_nab(data_dir: &Path, windows_file: &Path, out_dir: Option<&Path>) -> Result<NabReport, Error> {
    let corpus = NabCorpus::load(data_dir, windows_file)?;
    evaluate(&corpus, &NabDetector::default(), out_dir)
}

/// Scores `settings` on every file of `corpus`.
pub fn evaluate(corpus: &NabCorpus, settings: &NabDetector, out_dir: Option<&Path>) -> Result<NabReport, Error> {
    let mut files = BTreeMap::new();
    for file in &corpus.files {
        let alarms = detect(&file.unix_times(), &file.values, settings);
        if let Some(dir) = out_dir {
            write_results(dir, file, &alarms)?;
        }
        let mut scores = BTreeMap::new();
        for profile in NabProfile::ALL {
            let s = score_detections(
                &file.key,
                &file.timestamps,
                &alarms,
                &file.windows,
                &profile.cost_matrix(),
                PROBATION_PERCENT,
            )?;
            scores.insert(profile, s);
        }
        let report = FileReport {
            category: file.category.clone(),
            rows: file.values.len(),
            alarms: alarms.iter().filter(|&&a| a).count(),
            scores,
        };
        files.insert(file.key.clone(), report);
    }
    let mut profiles = BTreeMap::new();
    for profile in NabProfile::ALL {
        let mut total = Tally::default();
        let mut categories: BTreeMap<String, Tally> = BTreeMap::new();
        for f in files.values() {
            if let Some(s) = f.scores.get(&profile) {
                total.add(s);
                categories.entry(f.category.clone()).or_default().add(s);
            }
        }
        profiles.insert(profile, ProfileSummary { overall: total.score().unwrap_or(0.0), total, categories });
    }
    Ok(NabReport { profiles, files })
}

/// When an evaluation raises an alarm: on novelty in either direction (NAB's
/// anomalies go both ways), then quiet for `cooldown_s` except for a new record.
#[derive(Debug, Clone)]
struct Alarms {
    cooldown_s: i64,
    last: Option<i64>,
}

impl Alarms {
    fn decide(&mut self, a: &SpikeAssessment) -> bool {
        if !a.is_novel() {
            return false;
        }
        let record = a.up.contains(Novelty::Record) || a.down.contains(Novelty::Record);
        let alarm = match self.last {
            None => true,
            Some(last) => a.at - last >= self.cooldown_s || (record && a.at - last >= RECORD_BYPASS_S),
        };
        if alarm {
            self.last = Some(a.at);
        }
        alarm
    }
}

/// Streams `values` (one row per time of `times`, Unix seconds) through the
/// volume detector, as real values; `true` where an alarm is raised.
pub fn detect(times: &[i64], values: &[f64], settings: &NabDetector) -> Vec<bool> {
    let mut detector = VolumeDetector::new(&settings.detector, ValueKind::Real, median_step(times));
    let mut alarms = Alarms { cooldown_s: i64::try_from(settings.cooldown_s).unwrap_or(i64::MAX), last: None };
    times.iter().zip(values).map(|(&at, &v)| alarms.decide(&detector.observe(at, v))).collect()
}

/// The median spacing of the rows, in seconds (at least 1).
fn median_step(times: &[i64]) -> u64 {
    let mut steps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).filter(|&s| s > 0).collect();
    if steps.is_empty() {
        return 1;
    }
    steps.sort_unstable();
    steps[steps.len() / 2].unsigned_abs()
}

fn write_results(out_dir: &Path, file: &NabFile, alarms: &[bool]) -> Result<(), Error> {
    let dir = out_dir.join(&file.category);
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let path = dir.join(format!("veille_{}", file.name));
    let failed = |e: std::io::Error| Error::Results { path: path.clone(), reason: e.to_string() };
    let mut out = std::io::BufWriter::new(fs::File::create(&path).map_err(failed)?);
    writeln!(out, "timestamp,value,anomaly_score,label").map_err(failed)?;
    for (i, &t) in file.timestamps.iter().enumerate() {
        let label = file.windows.iter().any(|w| w.start <= t && t <= w.end);
        let score = if alarms[i] { "1.0" } else { "0.0" };
        let (ts, value) = file.raw_row(i);
        writeln!(out, "{ts},{value},{score},{}", u8::from(label)).map_err(failed)?;
    }
    out.flush().map_err(failed)
}
