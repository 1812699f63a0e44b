//! Running the volume detector over NAB-format files and scoring it.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use veille_config::signals::DetectorConfig;

use super::score::{normalize, score_detections, FileScore, LabelWindow, NabProfile, PROBATION_PERCENT};
use crate::error::Error;
use crate::rule::{RuleGate, Transition};
use crate::spike::SpikeDetector;

/// Quiet time after a detection during evaluation: NAB windows span about a
/// day and a half, so one alert per story and day is what it rewards.
pub const EVAL_COOLDOWN_S: u64 = 86_400;

/// The detector and rule settings an evaluation runs.
#[derive(Debug, Clone, PartialEq)]
pub struct NabDetector {
    /// The spike detector's parameters.
    pub detector: DetectorConfig,
    /// Quiet time after each detection, in seconds.
    pub cooldown_s: u64,
}

impl Default for NabDetector {
    /// The default `[signals.detector]` with a one-day cooldown, no "for"
    /// duration and no minimum volume (NAB values are not mention counts).
    fn default() -> Self {
        NabDetector { detector: DetectorConfig::default(), cooldown_s: EVAL_COOLDOWN_S }
    }
}

/// The score of one file in an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    /// Normalised score (null detector 0, perfect 100); `None` without windows.
    pub score: Option<f64>,
    /// The details NAB's score is made of.
    #[serde(flatten)]
    pub detail: FileScore,
    /// Rows of the file.
    pub rows: usize,
    /// Rows where the detector raised an alert.
    pub detections: usize,
}

/// The result of `veille eval nab`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NabReport {
    /// The profile the scores use.
    pub profile: NabProfile,
    /// Normalised score over all files: NAB sums raw, null and perfect scores
    /// over the files, then normalises the sums.
    pub overall: f64,
    /// Normalised score of each file, by file name.
    pub files: BTreeMap<String, Option<f64>>,
    /// Raw scores and counts of each file, by file name.
    pub details: BTreeMap<String, FileReport>,
}

/// One NAB data file: its rows and its label windows.
struct DataFile {
    name: String,
    /// The windows file's key for it, e.g. `realTweets/Twitter_volume_AAPL.csv`.
    key: String,
    timestamps: Vec<NaiveDateTime>,
    raw_timestamps: Vec<String>,
    raw_values: Vec<String>,
    values: Vec<f64>,
    windows: Vec<LabelWindow>,
}

/// Runs the default volume detector over every CSV in `data_dir` (NAB format:
/// `timestamp,value`), streaming and without look-ahead, and scores its
/// alerts against `windows_file` (NAB's `combined_windows.json`) under
/// `profile`. With `out_dir`, also writes NAB results files
/// (`timestamp,value,anomaly_score,label`, anomaly score 1.0 at alerts) under
/// `out_dir/<data subdirectory>/veille_<file>`, the layout NAB's scorer reads.
pub fn eval_nab(
    data_dir: &Path,
    windows_file: &Path,
    profile: NabProfile,
    out_dir: Option<&Path>,
) -> Result<NabReport, Error> {
    eval_nab_with(data_dir, windows_file, profile, &NabDetector::default(), out_dir)
}

/// [`eval_nab`] with explicit detector settings.
pub fn eval_nab_with(
    data_dir: &Path,
    windows_file: &Path,
    profile: NabProfile,
    settings: &NabDetector,
    out_dir: Option<&Path>,
) -> Result<NabReport, Error> {
    let windows = read_windows(windows_file)?;
    let cost = profile.cost_matrix();
    let mut files = BTreeMap::new();
    let mut details = BTreeMap::new();
    let (mut raw, mut null, mut perfect) = (0.0, 0.0, 0.0);
    for path in csv_files(data_dir)? {
        let file = read_data_file(&path, &windows, windows_file)?;
        let detections = detect(&file.timestamps, &file.values, settings);
        let detail =
            score_detections(&file.name, &file.timestamps, &detections, &file.windows, &cost, PROBATION_PERCENT)?;
        if let Some(dir) = out_dir {
            write_results(dir, &file, &detections)?;
        }
        raw += detail.raw;
        null += detail.null;
        perfect += detail.perfect;
        let report = FileReport {
            score: detail.normalized(),
            detail,
            rows: file.values.len(),
            detections: detections.iter().filter(|&&d| d).count(),
        };
        files.insert(file.name.clone(), report.score);
        details.insert(file.name, report);
    }
    Ok(NabReport { profile, overall: normalize(raw, null, perfect).unwrap_or(0.0), files, details })
}

/// Streams `values` through a spike detector and a rule gate; `true` where an alert fires.
pub(crate) fn detect(timestamps: &[NaiveDateTime], values: &[f64], settings: &NabDetector) -> Vec<bool> {
    let step = median_step(timestamps);
    let mut detector = SpikeDetector::new(&settings.detector, step);
    let mut gate = RuleGate::new(0, settings.cooldown_s);
    timestamps
        .iter()
        .zip(values)
        .map(|(t, &v)| {
            let at = t.and_utc().timestamp();
            let a = detector.observe(at, v);
            matches!(gate.update(at, step, a.score >= detector.threshold()), Some(Transition::Fired))
        })
        .collect()
}

/// The most common spacing of the rows, in seconds (at least 1).
fn median_step(timestamps: &[NaiveDateTime]) -> u64 {
    let mut steps: Vec<i64> = timestamps.windows(2).map(|w| (w[1] - w[0]).num_seconds()).filter(|&s| s > 0).collect();
    if steps.is_empty() {
        return 1;
    }
    steps.sort_unstable();
    steps[steps.len() / 2] as u64
}

fn parse_time(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()
}

/// NAB's windows file: data path → list of `[start, end]` timestamp pairs.
fn read_windows(path: &Path) -> Result<BTreeMap<String, Vec<LabelWindow>>, Error> {
    let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let bad = |reason: String| Error::Windows { path: path.to_path_buf(), reason };
    let raw: BTreeMap<String, Vec<Vec<String>>> =
        serde_json::from_str(&text).map_err(|e| bad(format!("not NAB label windows: {e}")))?;
    let mut out = BTreeMap::new();
    for (key, pairs) in raw {
        let mut windows = Vec::with_capacity(pairs.len());
        for pair in pairs {
            let [start, end] = pair.as_slice() else {
                return Err(bad(format!("`{key}`: a window is not a [start, end] pair")));
            };
            let parse = |s: &str| parse_time(s).ok_or_else(|| bad(format!("`{key}`: `{s}` is not a timestamp")));
            windows.push(LabelWindow { start: parse(start)?, end: parse(end)? });
        }
        out.insert(key, windows);
    }
    Ok(out)
}

fn csv_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(Error::NoData(dir.to_path_buf()));
    }
    files.sort();
    Ok(files)
}

/// Finds the windows key of a data file: `<data dir name>/<file>` first, else the only key ending in `/<file>`.
fn windows_key(path: &Path, name: &str, windows: &BTreeMap<String, Vec<LabelWindow>>) -> Option<String> {
    let dir = path.parent().and_then(Path::file_name).and_then(|d| d.to_str()).unwrap_or_default();
    let preferred = format!("{dir}/{name}");
    if windows.contains_key(&preferred) {
        return Some(preferred);
    }
    let suffix = format!("/{name}");
    let mut candidates = windows.keys().filter(|k| k.ends_with(&suffix) || *k == name);
    match (candidates.next(), candidates.next()) {
        (Some(only), None) => Some(only.clone()),
        _ => None,
    }
}

fn read_data_file(
    path: &Path,
    windows: &BTreeMap<String, Vec<LabelWindow>>,
    windows_file: &Path,
) -> Result<DataFile, Error> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
    let key = windows_key(path, &name, windows)
        .ok_or_else(|| Error::MissingWindows { file: name.clone(), windows: windows_file.to_path_buf() })?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_path(path).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        other => Error::Data { path: path.to_path_buf(), line: 1, reason: format!("{other:?}") },
    })?;
    let data_error = |line: u64, reason: String| Error::Data { path: path.to_path_buf(), line, reason };
    let headers = reader.headers().map_err(|e| data_error(1, e.to_string()))?.clone();
    let column = |wanted: &str| headers.iter().position(|h| h.trim() == wanted);
    let (Some(ts_col), Some(value_col)) = (column("timestamp"), column("value")) else {
        return Err(data_error(1, "the header needs `timestamp` and `value` columns".into()));
    };
    let mut file = DataFile {
        name,
        windows: windows.get(&key).cloned().unwrap_or_default(),
        key,
        timestamps: Vec::new(),
        raw_timestamps: Vec::new(),
        raw_values: Vec::new(),
        values: Vec::new(),
    };
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| data_error(line, e.to_string()))?;
        let ts = record.get(ts_col).unwrap_or_default();
        let value = record.get(value_col).unwrap_or_default();
        let t = parse_time(ts).ok_or_else(|| data_error(line, format!("`{ts}` is not a timestamp")))?;
        let v: f64 = value.trim().parse().map_err(|_| data_error(line, format!("`{value}` is not a number")))?;
        if !v.is_finite() {
            return Err(data_error(line, format!("`{value}` is not a finite number")));
        }
        file.timestamps.push(t);
        file.raw_timestamps.push(ts.to_string());
        file.raw_values.push(value.to_string());
        file.values.push(v);
    }
    Ok(file)
}

fn write_results(out_dir: &Path, file: &DataFile, detections: &[bool]) -> Result<(), Error> {
    let relative = Path::new(&file.key);
    let dir = match relative.parent() {
        Some(p) if !p.as_os_str().is_empty() => out_dir.join(p),
        _ => out_dir.to_path_buf(),
    };
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let path = dir.join(format!("veille_{}", file.name));
    let failed = |e: std::io::Error| Error::Results { path: path.clone(), reason: e.to_string() };
    let mut out = std::io::BufWriter::new(fs::File::create(&path).map_err(failed)?);
    writeln!(out, "timestamp,value,anomaly_score,label").map_err(failed)?;
    for (i, &t) in file.timestamps.iter().enumerate() {
        let label = file.windows.iter().any(|w| w.start <= t && t <= w.end);
        let score = if detections[i] { "1.0" } else { "0.0" };
        writeln!(out, "{},{},{score},{}", file.raw_timestamps[i], file.raw_values[i], u8::from(label))
            .map_err(failed)?;
    }
    out.flush().map_err(failed)
}
