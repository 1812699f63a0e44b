//! The volume detector on NAB's real Twitter volumes, and a cross-check of
//! the scorer against an independent Python implementation.

use std::path::{Path, PathBuf};
use std::process::Command;

use veille_signals::nab::{eval_nab, NabProfile, NabReport};

fn shared_nab() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/nab");
    dir.join("realTweets").is_dir().then_some(dir)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The reference interpreter, or `None` (with the skip message) when it is absent and not required.
fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("VEILLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    let works = Command::new(&candidate).arg("--version").output().is_ok_and(|o| o.status.success());
    if works {
        return Some(candidate);
    }
    assert!(
        std::env::var("VEILLE_REQUIRE_REFERENCE").as_deref() != Ok("1"),
        "python reference required but not available at {}",
        candidate.display()
    );
    println!("skipped: python reference not available");
    None
}

#[test]
fn volume_detector_beats_the_best_published_scores_on_real_tweets() {
    let Some(nab) = shared_nab() else {
        println!("skipped: ../shared/data not found");
        return;
    };
    let windows = nab.join("labels/combined_windows.json");
    let reports: Vec<NabReport> =
        NabProfile::ALL.iter().map(|&p| eval_nab(&nab.join("realTweets"), &windows, p, None).unwrap()).collect();
    for r in &reports {
        let fp: usize = r.details.values().map(|d| d.detail.fp).sum();
        let found: usize = r.details.values().map(|d| d.detail.detected_windows).sum();
        let total: usize = r.details.values().map(|d| d.detail.windows).sum();
        println!("{:<20} overall {:6.2}  ({found}/{total} windows, {fp} false positives)", r.profile.name(), r.overall);
        for (file, score) in &r.files {
            println!("    {file:<28} {:6.2}", score.unwrap_or(f64::NAN));
        }
    }
    // Published on these five files: ARTime 83.8 / 73.1 / 89.2, contextOSE 76.0 / 75.7 / 77.5.
    assert!(reports[0].overall > 83.8, "standard {}", reports[0].overall);
    assert!(reports[1].overall > 75.7, "reward_low_FP_rate {}", reports[1].overall);
    assert!(reports[2].overall > 0.0, "reward_low_FN_rate {}", reports[2].overall);
}

#[test]
fn an_independent_python_scorer_agrees_on_every_file_and_profile() {
    let Some(python) = python() else { return };
    let (data, windows) = match shared_nab() {
        Some(nab) => (nab.join("realTweets"), nab.join("labels/combined_windows.json")),
        None => {
            let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nab");
            (fixtures.join("data"), fixtures.join("windows.json"))
        }
    };
    let out = tempfile::tempdir().unwrap();
    let profiles: serde_json::Map<String, serde_json::Value> = NabProfile::ALL
        .iter()
        .map(|p| (p.name().to_string(), serde_json::json!({ "CostMatrix": p.cost_matrix() })))
        .collect();
    let profiles_path = out.path().join("profiles.json");
    std::fs::write(&profiles_path, serde_json::Value::Object(profiles).to_string()).unwrap();
    let results = out.path().join("results");
    let reports: Vec<NabReport> =
        NabProfile::ALL.iter().map(|&p| eval_nab(&data, &windows, p, Some(&results)).unwrap()).collect();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/nab_score.py");
    let output = Command::new(python).arg(script).arg(&results).arg(&windows).arg(&profiles_path).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let reference: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for r in &reports {
        let theirs = &reference[r.profile.name()];
        for (file, detail) in &r.details {
            let raw = theirs["raw"][file].as_f64().unwrap_or(f64::NAN);
            assert!((raw - detail.detail.raw).abs() < 1e-9, "{} {file}: {raw} vs {}", r.profile, detail.detail.raw);
        }
        let overall = theirs["overall"].as_f64().unwrap_or(f64::NAN);
        assert!((overall - r.overall).abs() < 1e-9, "{}: {overall} vs {}", r.profile, r.overall);
    }
}
