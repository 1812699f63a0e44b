//! The airline data set imported with the airline example and the default scorer: the report on United
//! says what its customers said, negative, because the brand's own name ("united", a positive word in
//! VADER's lexicon) is not read as an opinion; and the configuration's sentiment-word names are reported.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use common::{import_summary, veille_ok};

#[test]
fn the_report_on_united_shows_the_negative_net_sentiment_of_its_customers() {
    let Some(csv) = common::shared("airline/Tweets.csv") else { return };
    let config = common::root().join("config/examples/airlines.toml");
    let dir = tempfile::tempdir().unwrap();
    let (d, c) = (dir.path().to_str().unwrap(), config.to_str().unwrap());
    let out = veille_ok(&[
        "import",
        "csv",
        csv.to_str().unwrap(),
        "--map",
        "id=tweet_id,text=text,author=name,created_at=tweet_created,attr.airline=airline",
        "--workspace",
        "airlines",
        "--config",
        c,
        "--data-dir",
        d,
    ]);
    let (imported, _) = import_summary(&out);
    assert!(imported > 14_000, "{imported}");
    // The watch term "united" is a sentiment word: the operator is told, with its valence.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let notice = stderr.lines().find(|l| l.contains("watch `united`")).unwrap_or_else(|| panic!("no notice: {stderr}"));
    assert!(notice.contains("`united`") && notice.contains("+1.8") && notice.contains("en"), "{notice}");

    let report = dir.path().join("united.md");
    veille_ok(&[
        "report",
        "--watch",
        "united",
        "-w",
        "airlines",
        "--period",
        "monthly",
        "--until",
        "2015-03-01",
        "-f",
        "md",
        "-o",
        report.to_str().unwrap(),
        "--config",
        c,
        "--data-dir",
        d,
    ]);
    let md = std::fs::read_to_string(&report).unwrap();
    let line =
        md.lines().find(|l| l.starts_with("| Net sentiment |")).unwrap_or_else(|| panic!("no net sentiment: {md}"));
    let net: f64 = line.trim_matches(|c| c == '|' || c == ' ').rsplit('|').next().unwrap().trim().parse().unwrap();
    eprintln!("United, February 2015: net sentiment {net:+.1} (its customers: -56)");
    assert!(net < 0.0, "{line}");
}
