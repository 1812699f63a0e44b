//! NAB's scoring of detections against labelled anomaly windows.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Share of each file NAB leaves unscored while detectors learn (its `probationPercent`).
pub const PROBATION_PERCENT: f64 = 0.15;

/// NAB caps the probationary period at the same share of 5,000 rows (750 rows at 15 %).
const PROBATION_CAP_ROWS: f64 = 5000.0;

/// Weights of NAB's application profiles (`profiles.json`, `CostMatrix`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CostMatrix {
    /// Weight of the earliest detection in a window.
    #[serde(rename = "tpWeight")]
    pub tp_weight: f64,
    /// Weight of a detection outside every window.
    #[serde(rename = "fpWeight")]
    pub fp_weight: f64,
    /// Weight of a window without any detection.
    #[serde(rename = "fnWeight")]
    pub fn_weight: f64,
    /// Unused by NAB's scoring; kept for fidelity with `profiles.json`.
    #[serde(rename = "tnWeight", default)]
    pub tn_weight: f64,
}

/// NAB's three application profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum NabProfile {
    /// `standard`: FP weight 0.11.
    #[serde(rename = "standard")]
    Standard,
    /// `reward_low_FP_rate`: FP weight 0.22.
    #[serde(rename = "reward_low_FP_rate")]
    RewardLowFpRate,
    /// `reward_low_FN_rate`: FN weight 2.
    #[serde(rename = "reward_low_FN_rate")]
    RewardLowFnRate,
}

impl NabProfile {
    /// The three profiles, in NAB's order.
    pub const ALL: [NabProfile; 3] = [NabProfile::Standard, NabProfile::RewardLowFpRate, NabProfile::RewardLowFnRate];

    /// NAB's name for the profile.
    pub fn name(self) -> &'static str {
        match self {
            NabProfile::Standard => "standard",
            NabProfile::RewardLowFpRate => "reward_low_FP_rate",
            NabProfile::RewardLowFnRate => "reward_low_FN_rate",
        }
    }

    /// The profile's cost matrix, as in NAB's `config/profiles.json`.
    pub fn cost_matrix(self) -> CostMatrix {
        let (fp_weight, fn_weight) = match self {
            NabProfile::Standard => (0.11, 1.0),
            NabProfile::RewardLowFpRate => (0.22, 1.0),
            NabProfile::RewardLowFnRate => (0.11, 2.0),
        };
        CostMatrix { tp_weight: 1.0, fp_weight, fn_weight, tn_weight: 1.0 }
    }
}

impl fmt::Display for NabProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A profile name NAB does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown NAB profile `{0}` (expected standard, reward_low_FP_rate or reward_low_FN_rate)")]
pub struct UnknownProfile(pub String);

impl FromStr for NabProfile {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NabProfile::ALL.into_iter().find(|p| p.name() == s.trim()).ok_or_else(|| UnknownProfile(s.to_string()))
    }
}

/// One labelled anomaly window: its first and last timestamps, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelWindow {
    /// First timestamp of the window.
    pub start: NaiveDateTime,
    /// Last timestamp of the window.
    pub end: NaiveDateTime,
}

/// The NAB score of one file's detections under one profile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FileScore {
    /// The raw score: rewards of the windows plus (negative) false positives.
    pub raw: f64,
    /// The null detector's raw score (no detection at all).
    pub null: f64,
    /// The perfect detector's raw score (every window detected at its first row).
    pub perfect: f64,
    /// Labelled windows of the file.
    pub windows: usize,
    /// Windows with at least one detection.
    pub detected_windows: usize,
    /// Scored rows inside a window that carry a detection.
    pub tp: usize,
    /// Scored rows outside every window that carry a detection.
    pub fp: usize,
    /// Scored rows inside a window without a detection.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// Scored rows outside every window without a detection.
    pub tn: usize,
}

impl FileScore {
    /// `100 × (raw − null) / (perfect − null)`: 0 for the null detector, 100 for
    /// the perfect one; `None` when the file has no window to detect.
    pub fn normalized(&self) -> Option<f64> {
        normalize(self.raw, self.null, self.perfect)
    }
}

/// NAB's normalisation of a raw score against the null and perfect scores.
pub(crate) fn normalize(raw: f64, null: f64, perfect: f64) -> Option<f64> {
    let span = perfect - null;
    (span > 0.0).then(|| 100.0 * (raw - null) / span)
}

/// NAB's scaled sigmoid of a relative position: about 1 at a window's left
/// edge (−1), 0 at its right edge (0), about −1 one window-width past it,
/// and exactly −1 from 3 window-widths on.
pub fn scaled_sigmoid(position: f64) -> f64 {
    if position >= 3.0 {
        -1.0
    } else {
        2.0 / (1.0 + (5.0 * position).exp()) - 1.0
    }
}

/// The weight NAB gives each row, and the window it belongs to.
struct SweepPoint {
    weight: f64,
    window: Option<usize>,
    scored: bool,
}

/// Scores one file's detections the way NAB's `Sweeper` does at a threshold
/// between 0 and 1 for anomaly scores that are 1 at detections, else 0.
///
/// Rows before the probationary length, `min(floor(0.15 n), 750)`, are not
/// scored. Inside a window, a row weighs `scaled_sigmoid(−(right − i + 1) / width)
/// × tp / scaled_sigmoid(−1)`, and a window scores the best weight among its
/// detections, or `−fn` without any. Outside, a detection weighs
/// `scaled_sigmoid(|right_prev − i| / (width_prev − 1)) × fp` after a window, or
/// `−fp` before the first one. NAB's benchmark uses a `probation_percent` of
/// [`PROBATION_PERCENT`]; `file` only names the file in errors.
pub fn score_detections(
    file: &str,
    timestamps: &[NaiveDateTime],
    detections: &[bool],
    windows: &[LabelWindow],
    cost: &CostMatrix,
    probation_percent: f64,
) -> Result<FileScore, Error> {
    let points = sweep(file, timestamps, windows, cost, probation_percent)?;
    // Windows with at least one scored row start at −fn; NAB keys them by name.
    let mut window_parts: Vec<Option<f64>> = vec![None; windows.len()];
    for p in points.iter().filter(|p| p.scored) {
        if let Some(w) = p.window {
            window_parts[w] = Some(-cost.fn_weight);
        }
    }
    let null: f64 = window_parts.iter().flatten().sum();
    let (mut fp_sum, mut tp, mut fp, mut fn_, mut tn) = (0.0, 0, 0, 0, 0);
    let mut detected = vec![false; windows.len()];
    for (p, &hit) in points.iter().zip(detections).filter(|(p, _)| p.scored) {
        match (p.window, hit) {
            (Some(w), true) => {
                tp += 1;
                detected[w] = true;
                if let Some(part) = window_parts[w].as_mut() {
                    *part = part.max(p.weight);
                }
            }
            (Some(_), false) => fn_ += 1,
            (None, true) => {
                fp += 1;
                fp_sum += p.weight;
            }
            (None, false) => tn += 1,
        }
    }
    let raw = window_parts.iter().flatten().sum::<f64>() + fp_sum;
    Ok(FileScore {
        raw,
        null,
        perfect: windows.len() as f64 * cost.tp_weight,
        windows: windows.len(),
        detected_windows: detected.iter().filter(|&&d| d).count(),
        tp,
        fp,
        fn_,
        tn,
    })
}

/// NAB's `calcSweepScore`: the weight of every row and the window holding it.
fn sweep(
    file: &str,
    timestamps: &[NaiveDateTime],
    windows: &[LabelWindow],
    cost: &CostMatrix,
    probation_percent: f64,
) -> Result<Vec<SweepPoint>, Error> {
    let index_of = |t: NaiveDateTime| {
        timestamps
            .iter()
            .position(|&x| x == t)
            .ok_or_else(|| Error::WindowLimit { file: file.to_string(), timestamp: t.to_string() })
    };
    let mut limits = Vec::with_capacity(windows.len());
    for w in windows {
        limits.push((index_of(w.start)?, index_of(w.end)?));
    }
    let n = timestamps.len();
    let probation = (probation_percent * n as f64).floor().min(probation_percent * PROBATION_CAP_ROWS);
    let max_tp = scaled_sigmoid(-1.0);
    let mut next = 0;
    let mut current: Option<(usize, usize, f64)> = None; // (window, right index, width)
    let mut previous: Option<(usize, f64)> = None; // (right index, width)
    let mut points = Vec::with_capacity(n);
    for (i, &t) in timestamps.iter().enumerate() {
        if current.is_none() && next < windows.len() && t == windows[next].start {
            let (left, right) = limits[next];
            current = Some((next, right, (right as f64 - left as f64) + 1.0));
            next += 1;
        }
        let (weight, window) = match current {
            Some((w, right, width)) => {
                let position = -(right as f64 - i as f64 + 1.0) / width;
                (scaled_sigmoid(position) * cost.tp_weight / max_tp, Some(w))
            }
            None => {
                let position = match previous {
                    // A one-row window has no width to measure distance in: NAB divides by zero.
                    Some((right, width)) if width > 1.0 => (right as f64 - i as f64).abs() / (width - 1.0),
                    _ => 3.0,
                };
                (scaled_sigmoid(position) * cost.fp_weight, None)
            }
        };
        points.push(SweepPoint { weight, window, scored: i as f64 >= probation });
        if let Some((w, right, width)) = current {
            if t == windows[w].end {
                previous = Some((right, width));
                current = None;
            }
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_sigmoid_matches_nab_documented_values() {
        assert!((scaled_sigmoid(-1.0) - 0.98661).abs() < 1e-5);
        assert!((scaled_sigmoid(-0.5) - 0.84828).abs() < 1e-5);
        assert_eq!(scaled_sigmoid(0.0), 0.0);
        assert!((scaled_sigmoid(1.0) + 0.98661).abs() < 1e-5);
        assert_eq!(scaled_sigmoid(3.0), -1.0);
    }

    #[test]
    fn profiles_parse_by_nab_name() {
        for p in NabProfile::ALL {
            assert_eq!(p.name().parse::<NabProfile>().unwrap(), p);
        }
        assert!("low_fp".parse::<NabProfile>().is_err());
        assert_eq!(NabProfile::RewardLowFnRate.cost_matrix().fn_weight, 2.0);
    }
}
