//! `veille test` and `veille check`: the shipped watch tests pass, every kind
//! of case fails when it should with a message that says what was expected
//! and what happened, JUnit XML is valid, and the linter names file, line and
//! key for each problem of a broken configuration.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::path::Path;

use common::{root, veille};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The FAIL line of case `name` and the indented message under it.
fn failure(text: &str, name: &str) -> String {
    let mut lines = text.lines().skip_while(|l| !(l.starts_with("FAIL") && l.contains(name)));
    let Some(head) = lines.next() else { panic!("no failure of `{name}` in:\n{text}") };
    let body: Vec<&str> = lines.take_while(|l| l.starts_with("        ")).collect();
    format!("{head}\n{}", body.join("\n"))
}

#[test]
fn shipped_watch_tests_pass_and_cover_the_crisis_rules() {
    let r = root();
    let out = veille(&[
        "test",
        r.join("config/veille.test.toml").to_str().unwrap(),
        r.join("config/examples/airlines.test.toml").to_str().unwrap(),
        "--coverage",
    ]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("FAIL"), "{text}");
    let cases = text.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(cases >= 30, "{text}");
    for kind in ["match", "series", "baseline"] {
        assert!(text.lines().any(|l| l.starts_with(&format!("ok    {kind}"))), "no {kind} case ran:\n{text}");
    }
    assert!(text.contains("coverage of"), "{text}");
    // The default configuration's crisis rules are all exercised.
    let default_cov = text.split("coverage of").find(|s| s.contains("config/veille.toml")).unwrap();
    assert!(!default_cov.contains("crisis_burst") && !default_cov.contains("volume_spike"), "{default_cov}");
}

const BROKEN: &str = r#"
[[match]]
name = "a watch that misses"
text = "Initech support was great"
tagged = ["acme"]

[[series]]
name = "an alert that fires late"
[[series.stream]]
watch = "acme"
rate = "10x1440 10x10 80x20 10x30"
[[series.expect]]
rule = "volume_spike"
watch = "acme"
at = "1d"
within = "2m"

[[series]]
name = "an alert in a never window"
[[series.stream]]
watch = "acme"
rate = "10x1440 80x20 10x40"
[[series.never]]
rule = "volume_spike"
watch = "acme"
from = "23h"
until = "2d"

[[baseline]]
name = "a noisy baseline"
file = "noisy.ndjson"
"#;

/// A day of ten Acme posts a minute, then twenty minutes of a hundred: not quiet.
fn noisy_baseline(path: &Path) {
    let mut lines = String::new();
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-05T00:00:00Z").unwrap().timestamp();
    let mut id = 0;
    for minute in 0..1440 + 20 + 30 {
        let n = if (1440..1460).contains(&minute) { 100 } else { 10 };
        for k in 0..n {
            id += 1;
            let at = chrono::DateTime::from_timestamp(start + minute * 60 + k * 60 / n, 0).unwrap();
            lines += &format!(
                "{{\"platform\":\"x\",\"native_id\":\"{id}\",\"text\":\"Acme again\",\"created_at\":\"{}\",\"author\":{{\"handle\":\"u{}\"}}}}\n",
                at.to_rfc3339(),
                id % 300
            );
        }
    }
    std::fs::write(path, lines).unwrap();
}

#[test]
fn each_kind_of_case_fails_when_it_should_and_junit_is_valid_xml() {
    let dir = tempfile::tempdir().unwrap();
    let config = root().join("config/veille.toml");
    let file = dir.path().join("broken.test.toml");
    std::fs::write(&file, format!("config = {:?}\n{BROKEN}", config.to_str().unwrap())).unwrap();
    noisy_baseline(&dir.path().join("noisy.ndjson"));
    let junit = dir.path().join("junit.xml");
    let out = veille(&["test", file.to_str().unwrap(), "--junit", junit.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("4 cases: 0 passed, 4 failed"), "{text}");

    let miss = failure(&text, "a watch that misses");
    assert!(miss.contains("broken.test.toml:3,"), "{miss}");
    assert!(miss.contains("expected tagged by: acme") && miss.contains("got tagged by: initech"), "{miss}");
    assert!(miss.contains("missing: acme"), "{miss}");

    let late = failure(&text, "an alert that fires late");
    assert!(late.contains("expected volume_spike on acme to fire between 2026-01-06 00:00:00 (+1d0h00m)"), "{late}");
    assert!(late.contains("(9 min late)") && late.contains("it fired at 2026-01-06 00:11:00"), "{late}");
    // The series values around the expected time, against the usual level.
    assert!(late.contains("acme mentions per bucket") && late.contains("*10 10 10 10 10 10 10 10 10 10 80"), "{late}");
    assert!(late.contains("usually 10.0 a bucket"), "{late}");

    let never = failure(&text, "an alert in a never window");
    assert!(never.contains("expected volume_spike on acme to stay quiet from +0d23h00m to +2d0h00m"), "{never}");
    assert!(never.contains("volume_spike on acme fired at 2026-01-06 00:01:00"), "{never}");

    let noisy = failure(&text, "a noisy baseline");
    assert!(noisy.contains("expected no alert through") && noisy.contains("noisy.ndjson"), "{noisy}");
    assert!(noisy.contains("default/acme volume_spike fired at 2026-01-06 00:01"), "{noisy}");

    // JUnit XML: well formed, one suite, four test cases, four failures with messages.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures, mut suites) = (0, Vec::new(), Vec::new());
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("invalid XML at {}: {e}\n{xml}", reader.error_position())) {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let attr = |name: &str| {
                    e.try_get_attribute(name)
                        .unwrap()
                        .map(|a| a.normalized_value(quick_xml::XmlVersion::Explicit1_0).unwrap().into_owned())
                };
                match e.name().as_ref() {
                    "testsuite" => suites.push((attr("tests"), attr("failures"))),
                    "testcase" => cases += 1,
                    "failure" => failures.push(attr("message").unwrap_or_default()),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!(suites, vec![(Some("4".to_string()), Some("4".to_string()))], "{xml}");
    assert_eq!(cases, 4, "{xml}");
    assert_eq!(failures.len(), 4, "{xml}");
    assert!(failures.iter().any(|m| m.contains("expected volume_spike on acme to fire")), "{failures:?}");

    // --run selects cases by name.
    let out = veille(&["test", file.to_str().unwrap(), "--run", "^a watch"]);
    let text = stdout(&out);
    assert!(text.contains("1 cases: 0 passed, 1 failed"), "{text}");
}

#[test]
fn every_shipped_configuration_and_test_file_checks_clean() {
    let mut checked = 0;
    for dir in ["config", "config/examples"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let out = veille(&["check", "--config", path.to_str().unwrap()]);
                let text = stdout(&out);
                assert!(out.status.success(), "{}: {text}", path.display());
                assert!(text.contains("0 errors, 0 warnings"), "{}: {text}", path.display());
                checked += 1;
            }
        }
    }
    assert!(checked >= 5, "expected the configurations and their test files");
}

#[test]
fn broken_configurations_report_each_problem_with_file_line_and_key() {
    let fixtures = root().join("tests/fixtures/check");
    let check = |name: &str| {
        let path = fixtures.join(name);
        let out = veille(&["check", "--config", path.to_str().unwrap()]);
        (out.status.code(), stdout(&out).replace(&format!("{}/", fixtures.display()), ""))
    };
    let (code, text) = check("bad-rule.toml");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("bad-rule.toml:9: error: `workspaces[0].watches[0].rule`:") && text.contains("never closed"),
        "{text}"
    );

    let (code, text) = check("unknown-field.toml");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("unknown-field.toml:9: error: `workspaces[0].watches[0].rule`:"), "{text}");
    assert!(text.contains("unknown field `country:`"), "{text}");

    let (code, text) = check("terms.toml");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("terms.toml:9: error: `workspaces[0].watches[0].terms[1]`: `!!!` can never match"), "{text}");
    assert!(text.contains("terms.toml:16: error: `workspaces[0].watches[1].exclude`: vetoes every term"), "{text}");
    assert!(
        text.contains("terms.toml:21: warning: `workspaces[0].watches[2].terms[0]`: `ACME` is also a term of watch `acme` (line 9)"),
        "{text}"
    );
    assert!(text.contains("2 errors, 1 warnings"), "{text}");

    let (code, text) = check("thresholds.toml");
    assert_eq!(code, Some(0), "warnings alone pass: {text}");
    assert!(text.contains("thresholds.toml:11: warning: `signals.detector.threshold`"), "{text}");
    assert!(text.contains("thresholds.toml:14: warning: `signals.rules.volume_spike.min_volume`"), "{text}");
    assert!(text.contains("thresholds.toml:17: warning: `signals.rules.negative_surge.min_z`"), "{text}");

    let (code, text) = check("unknown-key.toml");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("unknown-key.toml:12: error: `min_volum`: unknown field `min_volum`"), "{text}");

    let (code, text) = check("bad-range.toml");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("bad-range.toml:11: error: `signals.rules.negative_surge.min_lift`: must be between 0 and 1"),
        "{text}"
    );
}
