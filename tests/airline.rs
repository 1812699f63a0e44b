//! The airline data set, imported as-is: every row is either indexed or dead-lettered with a reason,
//! and searches count what an independent reading of the file counts.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use common::{count, import_summary, veille_ok};

/// What the file holds, read independently of veille: rows, and the rows that carry
/// a full set of fields and a valid creation time, last row per tweet id.
struct Expected {
    rows: u64,
    valid: u64,
    by_airline: BTreeMap<String, u64>,
    by_day: BTreeMap<String, u64>,
    distinct: u64,
}

fn read_expected(path: &std::path::Path) -> Expected {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (id, airline, created, text, name) =
        (col("tweet_id"), col("airline"), col("tweet_created"), col("text"), col("name"));
    let mut rows = 0;
    let mut valid = 0;
    let mut last: BTreeMap<String, (String, DateTime<Utc>)> = BTreeMap::new();
    for record in reader.records() {
        let r = record.unwrap();
        rows += 1;
        if r.len() != header.len() || r[text].trim().is_empty() || r[name].trim().is_empty() {
            continue;
        }
        let Ok(t) = DateTime::parse_from_str(r[created].trim(), "%Y-%m-%d %H:%M:%S %z") else { continue };
        valid += 1;
        last.insert(r[id].to_string(), (r[airline].to_string(), t.with_timezone(&Utc)));
    }
    let mut by_airline = BTreeMap::new();
    let mut by_day = BTreeMap::new();
    for (airline, t) in last.values() {
        *by_airline.entry(airline.clone()).or_insert(0) += 1;
        *by_day.entry(t.format("%Y-%m-%d").to_string()).or_insert(0) += 1;
    }
    Expected { rows, valid, by_airline, by_day, distinct: last.len() as u64 }
}

#[test]
fn airline_csv_imports_completely_and_counts_match_per_airline_and_per_day() {
    let Some(csv_path) = common::shared("airline/Tweets.csv") else { return };
    let expected = read_expected(&csv_path);
    assert_eq!(expected.rows, 14_640);

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = veille_ok(&[
        "import",
        "csv",
        csv_path.to_str().unwrap(),
        "--map",
        "id=tweet_id,text=text,author=name,created_at=tweet_created,attr.airline=airline,attr.sentiment=airline_sentiment",
        "--data-dir",
        d,
    ]);
    let (imported, dead) = import_summary(&out);
    eprintln!("airline: {imported} imported, {dead} dead-lettered, {} distinct tweet ids", expected.distinct);
    assert_eq!(imported + dead, expected.rows, "every row read is imported or dead-lettered");
    assert_eq!(imported, expected.valid);

    // Each dead letter names its row and says why.
    let dead_file = std::fs::read_to_string(dir.path().join("deadletter.ndjson")).unwrap();
    assert_eq!(dead_file.lines().count() as u64, dead);
    let mut rows_seen = BTreeSet::new();
    for line in dead_file.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let reason = v["reason"].as_str().unwrap();
        assert!(reason.starts_with("row "), "{reason}");
        assert!(reason.contains("tweet_created") || reason.contains("fields") || reason.contains("empty"), "{reason}");
        assert!(!v["original"].as_str().unwrap().is_empty());
        rows_seen.insert(v["origin"]["location"].as_str().unwrap().to_string());
    }
    assert_eq!(rows_seen.len() as u64, dead, "each refused row is recorded once");

    // Tweet ids in this export were rounded, so a few distinct tweets share a key: upserts keep the last.
    assert_eq!(count(dir.path(), "default", "*", &[]), expected.distinct);
    for (airline, n) in &expected.by_airline {
        let q = format!("attrs.airline:\"{airline}\"");
        assert_eq!(count(dir.path(), "default", &q, &[]), *n, "{airline}");
    }
    for (day, n) in &expected.by_day {
        let from = format!("{day}T00:00:00Z");
        let next =
            (chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap() + chrono::Days::new(1)).format("%Y-%m-%d");
        let to = format!("{next}T00:00:00Z");
        assert_eq!(count(dir.path(), "default", "*", &["--from", &from, "--to", &to]), *n, "{day}");
    }
    // Full-text search agrees with a plain scan for a word.
    assert!(count(dir.path(), "default", "attrs.sentiment:negative AND (delayed OR cancelled)", &[]) > 100);
}
