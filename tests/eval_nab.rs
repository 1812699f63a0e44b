//! `veille eval nab` on the NAB corpus in `../shared/data/nab`, with NAB's results files written out.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use common::veille_ok;

#[test]
fn eval_nab_walks_the_categories_scores_every_file_and_writes_results() {
    let Some(data) = common::shared("nab") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let run =
        veille_ok(&["eval", "nab", "--data", data.to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let files = report["files"].as_object().unwrap();
    assert_eq!(files.len(), 53, "the labels folder holds no data file");
    assert!(files.contains_key("realTweets/Twitter_volume_AAPL.csv"), "{:?}", files.keys());
    let standard = &report["profiles"]["standard"];
    let overall = standard["overall"].as_f64().unwrap();
    eprintln!("NAB standard over 53 files: {overall:.2}");
    assert!(overall >= 74.0, "standard profile {overall}");
    assert!(report["profiles"]["reward_low_FP_rate"]["overall"].as_f64().unwrap() >= 66.3);
    assert_eq!(standard["categories"].as_object().map(|c| c.len()), Some(7));
    assert_eq!(standard["total"]["windows"], 99);

    // NAB's results layout: OUT/<category>/<detector>_<file>.csv, one per data file.
    let written: Vec<_> =
        std::fs::read_dir(out.path().join("realTweets")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(written.len(), 5, "{written:?}");
    let first = std::fs::read_to_string(&written[0]).unwrap();
    assert!(first.starts_with("timestamp,value,anomaly_score,label"), "{}", &first[..80.min(first.len())]);
    let categories = std::fs::read_dir(out.path()).unwrap().count();
    assert_eq!(categories, 7);

    // The tables: per file, per category, and over all files, for the three profiles.
    let tables = veille_ok(&["eval", "nab", "--data", data.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&tables.stdout);
    assert!(text.contains("reward_low_FP_rate") && text.contains("reward_low_FN_rate"), "{text}");
    assert!(text.contains("realKnownCause/nyc_taxi.csv"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("all files")), "{text}");
}
