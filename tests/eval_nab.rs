//! `veille eval nab` on the NAB real-tweet volumes, with NAB's results files written out.

mod common;

use common::veille_ok;

#[test]
fn eval_nab_scores_every_file_and_writes_results() {
    let (Some(data), Some(windows)) =
        (common::shared("nab/realTweets"), common::shared("nab/labels/combined_windows.json"))
    else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let run = veille_ok(&[
        "eval",
        "nab",
        "--data",
        data.to_str().unwrap(),
        "--windows",
        windows.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let overall = report["overall"].as_f64().unwrap();
    eprintln!("NAB standard: {overall:.2}");
    assert!(overall > 83.8, "standard profile {overall}");
    assert_eq!(
        report["files"].as_array().map(|f| f.len()).or_else(|| report["files"].as_object().map(|f| f.len())),
        Some(5)
    );
    // NAB's results layout: OUT/<category>/<detector>_<file>.csv
    let written: Vec<_> =
        std::fs::read_dir(out.path().join("realTweets")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(written.len(), 5, "{written:?}");
    let first = std::fs::read_to_string(&written[0]).unwrap();
    assert!(first.starts_with("timestamp,value,anomaly_score,label"), "{}", &first[..80.min(first.len())]);
}
