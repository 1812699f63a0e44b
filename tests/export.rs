//! `veille export` and `veille report` on a small indexed fixture: twelve mentions of an
//! airline brand and its competitors in early January 2026.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::path::Path;

use common::{count, veille_ok};

fn fixture(name: &str) -> String {
    common::root().join("tests/fixtures").join(name).to_string_lossy().into_owned()
}

/// A data directory holding the fixture, indexed with its watches and sentiment.
fn indexed() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    veille_ok(&[
        "import",
        "ndjson",
        &fixture("analytics.ndjson"),
        "--config",
        &fixture("analytics.toml"),
        "--data-dir",
        d,
    ]);
    dir
}

/// Runs `veille` with `rest`, the fixture's configuration and `dir` as data directory.
fn run(dir: &Path, rest: &[&str]) -> std::process::Output {
    let config = fixture("analytics.toml");
    let mut all = rest.to_vec();
    all.extend(["--config", config.as_str(), "--data-dir", dir.to_str().unwrap()]);
    veille_ok(&all)
}

#[test]
fn csv_export_parses_back_with_one_row_per_indexed_mention_in_time_order() {
    let dir = indexed();
    let total = count(dir.path(), "default", "*", &[]);
    assert_eq!(total, 12);
    let out = dir.path().join("all.csv");
    run(dir.path(), &["export", "*", "--format", "csv", "--out", out.to_str().unwrap(), "--quiet"]);
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header.first().map(String::as_str), Some("key"));
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len() as u64, total);
    let at = header.iter().position(|h| h == "created_at").unwrap();
    let times: Vec<&str> = rows.iter().map(|r| &r[at]).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first: {times:?}");
    // Quotes and commas inside the text survive the round trip.
    let text = header.iter().position(|h| h == "text").unwrap();
    assert!(rows.iter().any(|r| &r[text] == "Acme refund denied again, awful \"customer care\" #boycott"));
    let watches = header.iter().position(|h| h == "watches").unwrap();
    let hal = rows.iter().find(|r| &r[0] == "bluesky:a11").unwrap();
    assert_eq!(&hal[watches], "acme|globex|initech");
}

#[test]
fn ndjson_export_of_a_query_holds_exactly_its_mentions() {
    let dir = indexed();
    let expected = count(dir.path(), "default", "watch:acme", &[]);
    let out = dir.path().join("acme.ndjson");
    run(dir.path(), &["export", "watch:acme", "--format", "ndjson", "--out", out.to_str().unwrap(), "--quiet"]);
    let text = std::fs::read_to_string(&out).unwrap();
    let mentions: Vec<veille_model::Mention> = text
        .lines()
        .enumerate()
        .map(|(i, l)| veille_model::Mention::from_ndjson_line(l, i as u64 + 1).unwrap())
        .collect();
    assert_eq!(mentions.len() as u64, expected);
    assert!(expected >= 8, "{expected}");
    assert!(mentions.iter().all(|m| m.tags.iter().any(|t| t.watch == "acme")));
}

#[test]
fn reports_are_written_in_every_format_for_the_week() {
    let dir = indexed();
    for format in ["md", "html", "pdf"] {
        let out = dir.path().join(format!("report.{format}"));
        run(
            dir.path(),
            &[
                "report",
                "--watch",
                "acme",
                "--period",
                "weekly",
                "--until",
                "2026-01-13",
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
            ],
        );
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.len() > 500, "{format}: {} bytes", bytes.len());
        match format {
            "pdf" => assert!(bytes.starts_with(b"%PDF"), "a PDF"),
            "html" => {
                let html = String::from_utf8(bytes).unwrap();
                assert!(html.contains("<svg"), "charts are inline SVG");
                assert!(html.contains("acme: activity report, week of 2026-01-05"));
            }
            _ => {
                let md = String::from_utf8(bytes).unwrap();
                // Acme is named by a4 to a7, a9, a11 and a12 in the week of Jan 5, by a1 and a3 before.
                assert!(md.contains("| Mentions | 7 |"), "{md}");
                assert!(md.contains("| Previous period | 2 |"), "{md}");
            }
        }
    }
}
