//! `veille backtest`: indexed history replayed through the configured rules.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::process::{Command, Stdio};

use serde_json::Value;

const WATCHES: &str = r#"
[[workspaces]]
name = "default"
[[workspaces.watches]]
name = "acme"
kind = "brand"
terms = ["Acme"]
handles = ["@acme"]
"#;

fn backtest(config: &std::path::Path, data: &std::path::Path) -> Value {
    let out = common::veille_ok(&[
        "backtest",
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--json",
    ]);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn spikes_on_acme(report: &Value) -> Vec<Value> {
    report["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["rule"] == "volume_spike" && a["watch"] == "acme")
        .cloned()
        .collect()
}

#[test]
fn backtest_finds_the_injected_crisis_and_follows_rule_changes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Two days at 0.2 mentions/s, then a 10-minute burst about Acme.
    let history = 2 * 86_400;
    let stream = dir.path().join("stream.ndjson");
    let sim = Command::new(common::bin())
        .args(["simulate", "--brands", "Acme,Globex", "--count", "36000", "--rate", "0.2"])
        .args(["--start", "2026-03-02T00:00:00Z", "--crisis", "Acme", "--crisis-intensity", "20"])
        .args(["--crisis-after", &history.to_string(), "--crisis-duration", "600"])
        .stdout(Stdio::from(std::fs::File::create(&stream).unwrap()))
        .status()
        .unwrap();
    assert!(sim.success());
    let config = dir.path().join("veille.toml");
    std::fs::write(&config, WATCHES).unwrap();
    common::veille_ok(&[
        "import",
        "ndjson",
        stream.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);

    let report = backtest(&config, &data);
    assert_eq!(report["replayed"], 36_000);
    let spikes = spikes_on_acme(&report);
    let burst = "2026-03-04T00:00:00Z";
    let in_burst: Vec<_> = spikes
        .iter()
        .filter(|a| {
            a["starts_at"].as_str().is_some_and(|t| ("2026-03-04T00:00:00".."2026-03-04T00:10:00").contains(&t))
        })
        .collect();
    assert_eq!(in_burst.len(), 1, "one spike alert in the burst from {burst}: {spikes:#?}");
    let alert = in_burst[0];
    assert!(alert["explanation"]["examples"].as_array().is_some_and(|e| !e.is_empty()), "{alert}");
    assert_eq!(alert["state"], "resolved", "{alert}");

    // The same history with the rule switched off raises no spike.
    std::fs::write(&config, format!("{WATCHES}\n[signals.rules.volume_spike]\nenabled = false\n")).unwrap();
    let report = backtest(&config, &data);
    assert!(spikes_on_acme(&report).is_empty(), "{report}");
}

/// Hours (UTC, `YYYY-MM-DD HH`) with at least `least` "Cancelled Flight" complaints about
/// American Airlines, read from the airline CSV independently of veille.
fn american_cancellation_hours(csv_path: &std::path::Path, least: usize) -> std::collections::BTreeSet<String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(csv_path).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (airline, reason, created) = (col("airline"), col("negativereason"), col("tweet_created"));
    let mut per_hour: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for record in reader.records() {
        let r = record.unwrap();
        if r.len() != header.len() || &r[airline] != "American" || &r[reason] != "Cancelled Flight" {
            continue;
        }
        if let Ok(t) = chrono::DateTime::parse_from_str(r[created].trim(), "%Y-%m-%d %H:%M:%S %z") {
            *per_hour.entry(t.with_timezone(&chrono::Utc).format("%Y-%m-%d %H").to_string()).or_default() += 1;
        }
    }
    per_hour.into_iter().filter(|(_, n)| *n >= least).map(|(h, _)| h).collect()
}

#[test]
fn the_airline_week_pages_for_american_cancellation_wave_once_and_rarely_otherwise() {
    let Some(csv_path) = common::shared("airline/Tweets.csv") else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let watches = std::fs::read_to_string(common::root().join("config/examples/airlines.toml")).unwrap();
    let config = dir.path().join("airlines.toml");
    std::fs::write(
        &config,
        format!(
            "{watches}\n[data]\ndir = \"{}\"\n[sentiment]\nenabled = true\n[graph]\nenabled = true\n\
             [signals]\nenabled = true\n[alerts]\nenabled = true\n",
            data.display()
        ),
    )
    .unwrap();
    common::veille_ok(&[
        "import",
        "csv",
        csv_path.to_str().unwrap(),
        "--workspace",
        "airlines",
        "--map",
        "id=tweet_id,text=text,author=name,created_at=tweet_created,attr.airline=airline,attr.sentiment=airline_sentiment",
        "--config",
        config.to_str().unwrap(),
    ]);
    let out =
        common::veille_ok(&["backtest", "--config", config.to_str().unwrap(), "-w", "airlines", "--json", "--summary"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let alerts = report["alerts"].as_array().unwrap();
    let critical: Vec<&Value> = alerts.iter().filter(|a| a["severity"] == "critical").collect();
    let pages = report["summary"]["total"]["pages"].as_u64().unwrap();
    eprintln!("{} alerts, {pages} pages over the week", alerts.len());
    assert_eq!(pages as usize, critical.len());

    // A week a manager can live with: at most ten pages, at most two per rule and watch.
    assert!(critical.len() <= 10, "{critical:#?}");
    let mut per_rule_and_watch: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for a in &critical {
        *per_rule_and_watch.entry((a["watch"].to_string(), a["rule"].to_string())).or_default() += 1;
    }
    assert!(per_rule_and_watch.values().all(|&n| n <= 2), "{per_rule_and_watch:?}");

    // American's cancellation wave: a critical crisis alert whose condition starts between 20:00
    // and 20:30 UTC on 22 February, one alert for the whole wave (the hours from 20:00 with at
    // least five cancellation complaints each, read from the file).
    let wave = american_cancellation_hours(&csv_path, 5);
    let mut wave_hours = Vec::new();
    let mut hour = chrono::DateTime::parse_from_rfc3339("2015-02-22T20:00:00Z").unwrap().with_timezone(&chrono::Utc);
    while wave.contains(&hour.format("%Y-%m-%d %H").to_string()) {
        wave_hours.push(hour);
        hour += chrono::Duration::hours(1);
    }
    assert!(wave_hours.len() >= 6, "the wave in the file: {wave:?}");
    let subsides = hour;
    let time = |a: &Value, key: &str| a[key].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    let american: Vec<&Value> =
        alerts.iter().filter(|a| a["watch"] == "american" && a["rule"] == "crisis_burst").collect();
    let onset = wave_hours[0]..wave_hours[0] + chrono::Duration::minutes(30);
    let first = american
        .iter()
        .find(|a| time(a, "starts_at").is_some_and(|t| onset.contains(&t.with_timezone(&chrono::Utc))))
        .unwrap_or_else(|| panic!("no American crisis alert starting 20:00-20:30 on the 22nd: {american:#?}"));
    assert_eq!(first["severity"], "critical", "{first}");
    assert!(
        time(first, "ends_at").is_none_or(|end| end >= subsides),
        "ended before the wave subsided at {subsides}: {first}"
    );
    let during: Vec<&&Value> =
        american.iter().filter(|a| time(a, "starts_at").is_some_and(|t| t >= wave_hours[0] && t < subsides)).collect();
    assert_eq!(during.len(), 1, "one alert for the wave: {during:#?}");
}
