//! `veille eval sentiment` and `veille train sentiment`, driven through the real binary: figures on the
//! crate's fixture and on the xlmt validation sets, a model trained then evaluated, and errors that name
//! the file and line at fault.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::path::{Path, PathBuf};

use common::{veille, veille_ok};
use serde_json::Value;

/// The labelled English posts shipped with `veille-sentiment`.
fn fixture() -> (PathBuf, PathBuf) {
    let dir = common::root().join("crates/veille-sentiment/tests/fixtures");
    (dir.join("labelled_en_text.txt"), dir.join("labelled_en_labels.txt"))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `veille train sentiment --lang en` on one labelled file, with `extra` flags, into `out`.
fn train_en(text: &Path, labels: &Path, extra: &[&str], out: &Path) -> std::process::Output {
    let mut args =
        vec!["train", "sentiment", "--train", s(text), "--labels", s(labels), "--lang", "en", "--out", s(out)];
    args.extend_from_slice(extra);
    veille(&args)
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn eval(text: &Path, labels: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["eval", "sentiment", "--text", s(text), "--labels", s(labels)];
    args.extend_from_slice(extra);
    json(&veille_ok(&args))
}

fn f64_of(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("no number `{key}` in {v}"))
}

#[test]
fn eval_sentiment_reports_accuracy_macro_f1_classes_and_throughput() {
    let (text, labels) = fixture();
    let report = eval(&text, &labels, &["--scorer", "vader", "--lang", "en"]);
    assert_eq!(report["posts"], 30);
    assert_eq!(report["scorer"], "vader");
    assert_eq!(report["lang"], "en");
    assert!(f64_of(&report, "posts_per_sec") > 0.0);
    let mut f1_sum = 0.0;
    for class in ["negative", "neutral", "positive"] {
        let c = &report["classes"][class];
        assert_eq!(c["support"], 10, "{class}");
        let (p, r, f1) = (f64_of(c, "precision"), f64_of(c, "recall"), f64_of(c, "f1"));
        assert!((0.0..=1.0).contains(&p) && (0.0..=1.0).contains(&r));
        assert!((f1 - 2.0 * p * r / (p + r)).abs() < 1e-9, "{class}: f1 is the harmonic mean");
        f1_sum += f1;
    }
    assert!((f64_of(&report, "macro_f1") - f1_sum / 3.0).abs() < 1e-9);
    // Plainly worded posts: VADER gets most of them right.
    assert!(f64_of(&report, "accuracy") >= 0.8, "{report}");
}

#[test]
fn eval_sentiment_reproduces_vader_on_xlmt_val_and_the_learned_scorers_beat_it_by_eight_points() {
    let Some(data) = common::shared("xlmt_sentiment") else {
        return;
    };
    let mut figures = Vec::new();
    for (folder, lang, vader_f1) in [("english", "en", 0.605), ("french", "fr", 0.521)] {
        let dir = data.join(folder);
        let (text, labels) = (dir.join("val_text.txt"), dir.join("val_labels.txt"));
        let vader = eval(&text, &labels, &["--lang", lang, "--scorer", "vader"]);
        let learned = eval(&text, &labels, &["--lang", lang, "--scorer", "learned"]);
        let (v, l) = (f64_of(&vader, "macro_f1"), f64_of(&learned, "macro_f1"));
        eprintln!(
            "xlmt {folder} val: vader macro-F1 {v:.4} ({:.0} posts/s), learned {l:.4} ({:.0} posts/s)",
            f64_of(&vader, "posts_per_sec"),
            f64_of(&learned, "posts_per_sec")
        );
        assert_eq!(vader["posts"], 324);
        assert!((v - vader_f1).abs() < 0.0015, "{folder}: VADER macro-F1 {v}, published {vader_f1}");
        figures.push((folder, v, l));
    }
    for (folder, v, l) in figures {
        assert!(l >= v + 0.08, "{folder}: learned {l} does not beat VADER {v} by 8 points");
    }
}

#[test]
fn eval_sentiment_reads_the_airline_csv() {
    let Some(csv) = common::shared("airline/Tweets.csv") else {
        return;
    };
    let report = json(&veille_ok(&["eval", "sentiment", "--airline-csv", s(&csv), "--scorer", "vader"]));
    let posts = report["posts"].as_u64().expect("posts");
    assert_eq!(posts + report["skipped"].as_u64().expect("skipped"), 14_640);
    assert_eq!(report["classes"]["negative"]["support"].as_u64().expect("support"), 9178);
    let f1 = f64_of(&report, "macro_f1");
    assert!((f1 - 0.456).abs() < 0.005, "VADER on the airline set: macro-F1 {f1}, published 0.456");
}

#[test]
fn masking_the_airline_watches_names_lifts_both_scorers_on_the_airline_set_and_on_united() {
    let Some(csv) = common::shared("airline/Tweets.csv") else {
        return;
    };
    let config = common::root().join("config/examples/airlines.toml");
    for scorer in ["vader", "learned"] {
        let raw = json(&veille_ok(&["eval", "sentiment", "--airline-csv", s(&csv), "--scorer", scorer]));
        let masked = json(&veille_ok(&[
            "eval",
            "sentiment",
            "--airline-csv",
            s(&csv),
            "--scorer",
            scorer,
            "--config",
            s(&config),
        ]));
        assert_eq!(raw["masked"], "none");
        assert_eq!(masked["masked"], "handles and watch names");
        let (r, m) = (f64_of(&raw, "macro_f1"), f64_of(&masked, "macro_f1"));
        eprintln!("{scorer}: macro-F1 {r:.4} as written, {m:.4} masked");
        let airlines = masked["by_airline"].as_object().expect("by_airline");
        assert_eq!(airlines.len(), 6);
        for (airline, figures) in airlines {
            eprintln!(
                "  {airline:>15}: {:>5} posts, macro-F1 {:.4} as written, {:.4} masked; net human {:+.1}, scored {:+.1} masked",
                figures["posts"],
                f64_of(&raw["by_airline"][airline.as_str()], "macro_f1"),
                f64_of(figures, "macro_f1"),
                f64_of(figures, "human_net"),
                f64_of(figures, "scored_net"),
            );
        }
        let united = |v: &Value| f64_of(&v["by_airline"]["United"], "macro_f1");
        assert!(m > r, "{scorer}: masking lowers macro-F1 from {r} to {m}");
        assert!(united(&masked) > united(&raw), "{scorer} on United: {} then {}", united(&raw), united(&masked));
        if scorer == "vader" {
            assert!(m >= 0.51, "VADER masked: {m}");
        }
        let by_watch = masked["by_watch"].as_object().expect("by_watch");
        assert!(f64_of(&by_watch["united"], "human_net") < -50.0);
    }
}

#[test]
fn a_trained_model_evaluates_through_model() {
    let (text, labels) = fixture();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("fixture.vsm");
    let trained = train_en(&text, &labels, &[], &model);
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    let summary = json(&trained);
    assert_eq!(summary["posts"], 30);
    assert!(summary["epochs"].as_u64().expect("epochs") > 0);
    assert_eq!(summary["bytes"].as_u64(), Some(std::fs::metadata(&model).unwrap().len()));
    assert!(f64_of(&summary, "train_macro_f1") >= 0.9, "a linear model fits 30 posts: {summary}");
    assert_eq!(summary["masked"], "handles");

    // Twice the same file: the second copy is left out; three folds cross-validate the 30 posts.
    let folded = json(&veille_ok(&[
        "train",
        "sentiment",
        "--train",
        s(&text),
        "--labels",
        s(&labels),
        "--train",
        s(&text),
        "--labels",
        s(&labels),
        "--lang",
        "en",
        "--folds",
        "3",
        "--out",
        s(&dir.path().join("folded.vsm")),
    ]));
    assert_eq!((folded["posts"].as_u64(), folded["duplicates"].as_u64()), (Some(30), Some(30)));
    let cv = folded["cross_validation"].as_array().expect("cross_validation");
    assert_eq!(cv.len(), 1, "one entry per --train file that brought posts");
    let mean = f64_of(&cv[0], "macro_f1_mean");
    assert!((0.0..=1.0).contains(&mean) && f64_of(&cv[0], "macro_f1_spread") >= 0.0, "{folded}");

    let report = eval(&text, &labels, &["--scorer", "learned", "--model", s(&model)]);
    assert_eq!(report["scorer"], "learned");
    assert_eq!(report["lang"], "en");
    assert!((f64_of(&report, "macro_f1") - f64_of(&summary, "train_macro_f1")).abs() < 1e-9);

    let french = veille(&["eval", "sentiment", "--text", s(&text), "--labels", s(&labels), "--lang", "fr"]);
    assert!(french.status.success(), "VADER-FR reads English posts too, if poorly");
    let wrong = veille(&[
        "eval",
        "sentiment",
        "--text",
        s(&text),
        "--labels",
        s(&labels),
        "--scorer",
        "learned",
        "--model",
        s(&model),
        "--lang",
        "fr",
    ]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("model is for `en`"));
}

#[test]
fn rated_posts_train_beside_the_labelled_ones_and_a_bad_rating_names_its_line() {
    let (text, labels) = fixture();
    let dir = tempfile::tempdir().unwrap();
    let rated = dir.path().join("rated.txt");
    std::fs::write(
        &rated,
        "1\t3.1\tWorks great, love it\r\n2\t-2.9\tBroke after a day, awful\r\n3\t0.2\tIt is blue\r\n",
    )
    .unwrap();
    let train = |rated: &Path, out: &str| train_en(&text, &labels, &["--rated", s(rated)], &dir.path().join(out));
    let out = train(&rated, "rated.vsm");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["posts"], 33, "30 labelled posts and 3 rated ones: {summary}");

    std::fs::write(&rated, "1\t3.1\tfine\n2\tgood\tno rating\n").unwrap();
    let out = train(&rated, "bad.vsm");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:2", rated.display())) && stderr.contains("`good`"), "{stderr}");
}

#[test]
fn a_bad_label_names_its_file_and_line() {
    let (text, _) = fixture();
    let dir = tempfile::tempdir().unwrap();
    let labels = dir.path().join("labels.txt");
    let mut lines: Vec<String> = (0..30).map(|i| (i % 3).to_string()).collect();
    lines[6] = "positive".into();
    std::fs::write(&labels, lines.join("\n")).unwrap();
    let out = veille(&["eval", "sentiment", "--text", s(&text), "--labels", s(&labels)]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:7", labels.display())), "{stderr}");
    assert!(stderr.contains("`positive`"), "{stderr}");

    let out = train_en(&text, &labels, &[], &dir.path().join("m.vsm"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("{}:7", labels.display())));
}

#[test]
fn texts_and_labels_of_different_lengths_are_refused() {
    let (text, _) = fixture();
    let dir = tempfile::tempdir().unwrap();
    let labels = dir.path().join("short.txt");
    std::fs::write(&labels, "0\n1\n2\n").unwrap();
    let out = veille(&["eval", "sentiment", "--text", s(&text), "--labels", s(&labels)]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("has 30 lines") && stderr.contains("has 3"), "{stderr}");
    assert!(stderr.contains(&format!("line 4 of {}", text.display())), "{stderr}");

    let missing = veille(&["eval", "sentiment", "--text", "/nonexistent/posts.txt", "--labels", s(&labels)]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/posts.txt"));
}
