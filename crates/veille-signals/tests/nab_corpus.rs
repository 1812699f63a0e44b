//! The volume detector on every NAB file in `../shared/data/nab`, and a
//! cross-check of the scorer against an independent Python implementation.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use std::path::{Path, PathBuf};
use std::process::Command;

use veille_signals::nab::{eval_nab, NabProfile};

fn shared_nab() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/nab");
    dir.join("labels/combined_windows.json").is_file().then_some(dir)
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
fn volume_detector_reaches_the_published_scores_on_the_whole_corpus() {
    let Some(nab) = shared_nab() else {
        println!("skipped: ../shared/data not found");
        return;
    };
    let report = eval_nab(&nab, &nab.join("labels/combined_windows.json"), None).unwrap();
    assert_eq!(report.files.len(), 53, "every file of the seven categories");
    for (profile, summary) in &report.profiles {
        let t = summary.total;
        println!(
            "{:<20} overall {:6.2}  ({}/{} windows, {} false positives)",
            profile.name(),
            summary.overall,
            t.detected_windows,
            t.windows,
            t.false_positives
        );
        for (category, t) in &summary.categories {
            println!("    {category:<24} {:>7}", t.score().map_or("-".into(), |s| format!("{s:.2}")));
        }
    }
    // Published on these 53 files: ARTime 74.0 standard, contextOSE 66.3 reward_low_FP.
    let standard = report.overall(NabProfile::Standard);
    let low_fp = report.overall(NabProfile::RewardLowFpRate);
    assert!(standard >= 74.0, "standard {standard}");
    assert!(low_fp >= 66.3, "reward_low_FP_rate {low_fp}");
    // The real tweet volumes alone, with the same settings.
    let tweets = report.tally(NabProfile::Standard, |k| k.starts_with("realTweets/")).score().unwrap_or(0.0);
    assert!(tweets >= 80.0, "realTweets standard {tweets}");
}

#[test]
fn one_category_folder_scores_as_it_does_within_the_corpus() {
    let Some(nab) = shared_nab() else {
        println!("skipped: ../shared/data not found");
        return;
    };
    let windows = nab.join("labels/combined_windows.json");
    let alone = eval_nab(&nab.join("realTweets"), &windows, None).unwrap();
    assert_eq!(alone.files.len(), 5);
    assert!(alone.files.keys().all(|k| k.starts_with("realTweets/Twitter_volume_")), "{:?}", alone.files.keys());
    let whole = eval_nab(&nab, &windows, None).unwrap();
    for p in NabProfile::ALL {
        let within = whole.tally(p, |k| k.starts_with("realTweets/")).score().unwrap_or(f64::NAN);
        assert!((alone.overall(p) - within).abs() < 1e-9, "{p}: {} vs {within}", alone.overall(p));
    }
}

#[test]
fn an_independent_python_scorer_agrees_on_every_file_and_profile() {
    let Some(python) = python() else { return };
    let (data, windows) = match shared_nab() {
        Some(nab) => (nab.clone(), nab.join("labels/combined_windows.json")),
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
    let report = eval_nab(&data, &windows, Some(&results)).unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/nab_score.py");
    let output = Command::new(python).arg(script).arg(&results).arg(&windows).arg(&profiles_path).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let reference: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for (profile, summary) in &report.profiles {
        let theirs = &reference[profile.name()];
        for (key, file) in &report.files {
            let name = key.rsplit('/').next().unwrap_or(key);
            let ours = file.scores[profile].raw;
            let raw = theirs["raw"][name].as_f64().unwrap_or(f64::NAN);
            assert!((raw - ours).abs() < 1e-9, "{profile} {key}: {raw} vs {ours}");
        }
        let overall = theirs["overall"].as_f64().unwrap_or(f64::NAN);
        assert!((overall - summary.overall).abs() < 1e-9, "{profile}: {overall} vs {}", summary.overall);
    }
}
