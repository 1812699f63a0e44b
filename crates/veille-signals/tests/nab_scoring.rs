//! NAB scoring: windows, the cost matrix and the scores, against their definition.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use proptest::prelude::*;
use veille_signals::nab::{eval_nab, scaled_sigmoid, score_detections, CostMatrix, LabelWindow, NabProfile};

/// Rows every five minutes from an arbitrary start, as NAB's test helpers generate them.
fn timestamps(n: usize) -> Vec<NaiveDateTime> {
    let start = NaiveDate::from_ymd_opt(2015, 3, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or_default();
    (0..n).map(|i| start + Duration::minutes(5 * i as i64)).collect()
}

fn window(ts: &[NaiveDateTime], first: usize, last: usize) -> LabelWindow {
    LabelWindow { start: ts[first], end: ts[last] }
}

fn unit_costs() -> CostMatrix {
    CostMatrix { tp_weight: 1.0, fp_weight: 1.0, fn_weight: 1.0, tn_weight: 1.0 }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nab")
}

#[test]
fn reproduces_nab_scoring_of_a_tp_an_extra_tp_an_fp_and_a_missed_window() {
    // NAB's own test `testScoringAllMetrics`: 100 rows, two windows of 5 rows
    // (rows 30-34 and 65-69), detections at rows 30, 31 and 37, no probation.
    let ts = timestamps(100);
    let windows = [window(&ts, 30, 34), window(&ts, 65, 69)];
    let mut detections = vec![false; 100];
    for i in [30, 31, 37] {
        detections[i] = true;
    }
    let s = score_detections("test", &ts, &detections, &windows, &unit_costs(), 0.0).unwrap();
    // By hand: the first TP sits at the window's left edge and weighs
    // scaled_sigmoid(-5/5) / scaled_sigmoid(-1) = 1; the FP is 3 rows past a
    // 5-row window, weighing scaled_sigmoid(3/4) = 2/(1+e^3.75) - 1; the
    // second window is missed (-1).
    let by_hand = 1.0 + (2.0 / (1.0 + 3.75f64.exp()) - 1.0) - 1.0;
    assert!((s.raw - by_hand).abs() < 1e-12, "{} vs {by_hand}", s.raw);
    assert!((s.raw - -0.9540).abs() < 5e-5, "NAB expects -0.9540, got {}", s.raw);
    assert_eq!((s.tn, s.tp, s.fp, s.fn_), (89, 2, 1, 8));
    assert_eq!((s.null, s.perfect, s.detected_windows), (-2.0, 2.0, 1));
}

#[test]
fn only_the_earliest_detection_in_a_window_counts() {
    let ts = timestamps(10);
    let windows = [window(&ts, 4, 5)];
    let at = |rows: &[usize]| {
        let mut d = vec![false; 10];
        rows.iter().for_each(|&r| d[r] = true);
        score_detections("t", &ts, &d, &windows, &unit_costs(), 0.0).unwrap().raw
    };
    assert_eq!(at(&[4]), 1.0, "a detection on the first row of a window scores the TP weight");
    assert_eq!(at(&[4, 5]), at(&[4]));
    assert!(at(&[4]) > at(&[5]), "earlier is better");
    assert_eq!(at(&[]), -1.0, "a missed window costs the FN weight");
    assert_eq!(at(&[0]), -2.0, "an FP before any window costs the full FP weight");
}

#[test]
fn an_fp_just_after_a_window_costs_almost_nothing_and_a_tp_at_its_end_almost_nothing() {
    // NAB's `testTruePositiveAtRightEdgeOfWindow`: 1000 rows, one 100-row window.
    let ts = timestamps(1000);
    let windows = [window(&ts, 450, 549)];
    let score = |row: usize| {
        let mut d = vec![false; 1000];
        d[row] = true;
        score_detections("t", &ts, &d, &windows, &unit_costs(), 0.0).unwrap().raw
    };
    assert!((score(549) + score(550) + 1.0).abs() < 1e-3, "{} {}", score(549), score(550));
}

#[test]
fn probation_rows_are_not_scored_and_nab_caps_probation_at_750_rows() {
    let ts = timestamps(10_000);
    let windows = [window(&ts, 800, 900)];
    let mut d = vec![false; 10_000];
    d[700] = true; // inside min(15 % of 10,000, 750) = 750 rows: free
    let s = score_detections("t", &ts, &d, &windows, &NabProfile::Standard.cost_matrix(), 0.15).unwrap();
    assert_eq!((s.raw, s.fp), (-1.0, 0));
    d[760] = true; // after probation, before the window: a full FP
    let s = score_detections("t", &ts, &d, &windows, &NabProfile::Standard.cost_matrix(), 0.15).unwrap();
    assert!((s.raw - (-1.0 - 0.11)).abs() < 1e-12, "{}", s.raw);
}

#[test]
fn window_limits_must_be_rows_of_the_data() {
    let ts = timestamps(10);
    let off = LabelWindow { start: ts[2] + Duration::minutes(1), end: ts[4] };
    let e = score_detections("f.csv", &ts, &[false; 10], &[off], &unit_costs(), 0.0).unwrap_err();
    assert!(e.to_string().contains("f.csv: label window limit 2015-03-01 00:11:00"), "{e}");
}

#[test]
fn built_in_profiles_match_the_shared_profiles_file() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/nab/profiles.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipped: ../shared/data not found");
        return;
    };
    #[derive(serde::Deserialize)]
    struct Profile {
        #[serde(rename = "CostMatrix")]
        cost: CostMatrix,
    }
    let profiles: std::collections::BTreeMap<String, Profile> = serde_json::from_str(&text).unwrap();
    assert_eq!(profiles.len(), 3);
    for p in NabProfile::ALL {
        assert_eq!(profiles[p.name()].cost, p.cost_matrix(), "{p}");
    }
}

#[test]
fn evaluation_of_a_fixture_detects_its_burst_and_writes_nab_results() {
    let dir = tempfile::tempdir().unwrap();
    let report = eval_nab(&fixtures().join("data"), &fixtures().join("windows.json"), Some(dir.path())).unwrap();
    let file = &report.files["data/synthetic_volume.csv"];
    assert_eq!((file.category.as_str(), file.rows), ("data", 1200));
    let standard = &file.scores[&NabProfile::Standard];
    assert_eq!(standard.detected_windows, 1, "{file:?}");
    assert_eq!(standard.fp, 0, "{file:?}");
    let overall = report.overall(NabProfile::Standard);
    assert!(overall > 50.0 && overall <= 100.0, "{overall}");
    assert_eq!(standard.normalized(), Some(overall));
    assert_eq!(report.profiles[&NabProfile::Standard].categories["data"].score(), Some(overall));

    let results = std::fs::read_to_string(dir.path().join("data/veille_synthetic_volume.csv")).unwrap();
    let lines: Vec<&str> = results.lines().collect();
    assert_eq!(lines[0], "timestamp,value,anomaly_score,label");
    assert_eq!(lines.len(), 1201);
    assert_eq!(lines[1], "2026-01-05 00:00:00,48,0.0,0");
    assert_eq!(lines.iter().filter(|l| l.ends_with(",1")).count(), 101, "the window spans 101 rows");
    let alerts: Vec<usize> =
        lines.iter().enumerate().filter(|(_, l)| l.contains(",1.0,")).map(|(i, _)| i - 1).collect();
    assert!(alerts.contains(&900), "the burst's first row raises the alert: {alerts:?}");
}

#[test]
fn evaluation_names_missing_labels_and_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("other.csv"), "timestamp,value\n2026-01-01 00:00:00,1\n").unwrap();
    let e = eval_nab(dir.path(), &fixtures().join("windows.json"), None).unwrap_err();
    let category = dir.path().file_name().and_then(|n| n.to_str()).unwrap_or_default();
    assert!(e.to_string().starts_with(&format!("no label windows for `{category}/other.csv`")), "{e}");

    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("synthetic_volume.csv"), "timestamp,value\n2026-01-01 00:00:00,lots\n").unwrap();
    let e = eval_nab(&data, &fixtures().join("windows.json"), None).unwrap_err();
    assert!(e.to_string().ends_with("line 2: `lots` is not a number"), "{e}");
}

proptest! {
    #[test]
    fn scores_stay_between_the_worst_case_and_perfect(hits in proptest::collection::vec(any::<bool>(), 300)) {
        let ts = timestamps(300);
        let windows = [window(&ts, 60, 89), window(&ts, 200, 229)];
        for p in NabProfile::ALL {
            let cost = p.cost_matrix();
            let s = score_detections("p", &ts, &hits, &windows, &cost, 0.15).unwrap();
            prop_assert!(s.raw <= s.perfect + 1e-12);
            prop_assert!(s.raw >= s.null - cost.fp_weight * s.fp as f64 - 1e-12);
        }
    }

    #[test]
    fn a_detection_outside_windows_never_raises_the_score(hits in proptest::collection::vec(any::<bool>(), 300), extra in 0usize..300) {
        let ts = timestamps(300);
        let windows = [window(&ts, 60, 89), window(&ts, 200, 229)];
        prop_assume!(!(60..=89).contains(&extra) && !(200..=229).contains(&extra));
        let cost = NabProfile::Standard.cost_matrix();
        let before = score_detections("p", &ts, &hits, &windows, &cost, 0.15).unwrap().raw;
        let mut more = hits.clone();
        more[extra] = true;
        let after = score_detections("p", &ts, &more, &windows, &cost, 0.15).unwrap().raw;
        prop_assert!(after <= before + 1e-12);
    }
}

#[test]
fn scaled_sigmoid_is_decreasing() {
    let xs: Vec<f64> = (-40..40).map(|i| i as f64 / 10.0).collect();
    assert!(xs.windows(2).all(|w| scaled_sigmoid(w[0]) >= scaled_sigmoid(w[1])));
}
