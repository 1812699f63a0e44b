//! The volume detector live: `veille run` with the simulator from an empty data directory
//! raises nothing before the injected crisis, then the crisis alert within a bucket of the
//! burst's first bucket closing; a run restarted mid-stream rebuilds its baselines from the
//! index and raises nothing the uninterrupted run did not.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::server::{free_port, get, wait_ready, wait_until, Running};
use serde_json::Value;

/// One minute buckets (the default).
const BUCKET_S: i64 = 60;

fn config(dir: &Path, port: u16, start: DateTime<Utc>, after_s: i64) -> String {
    format!(
        r#"
[data]
dir = "{data}"
[index]
commit_every_ms = 500
[server]
listen = "127.0.0.1:{port}"
[[sources]]
kind = "simulate"
name = "live"
brands = ["Acme", "Globex"]
rate = 0.2
speed = 1
authors = 400
start = "{start}"
[sources.crisis]
brand = "Acme"
after_s = {after_s}
duration_s = 60
intensity = 20
[[workspaces]]
name = "default"
[[workspaces.watches]]
name = "acme"
kind = "brand"
terms = ["Acme"]
handles = ["@acme"]
[[workspaces.watches]]
name = "globex"
kind = "brand"
terms = ["Globex"]
[signals]
allowed_lateness_s = 10
[signals.rules.volume_spike]
resolve_after_s = 60
"#,
        data = dir.join("data").display(),
        start = start.to_rfc3339(),
    )
}

/// Every alert the run at `base` holds, active and resolved.
fn alerts(base: &str) -> Vec<Value> {
    let (status, body) = get(&format!("{base}/api/v1/alerts?state=all"));
    assert_eq!(status, 200, "{body}");
    body["alerts"].as_array().cloned().unwrap_or_default()
}

fn starts_at(alert: &Value) -> i64 {
    alert["starts_at"].as_str().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map_or(i64::MIN, |t| t.timestamp())
}

fn spike(alerts: &[Value]) -> Option<Value> {
    alerts.iter().find(|a| a["rule"] == "volume_spike" && a["watch"] == "acme").cloned()
}

fn start(dir: &Path, port: u16, start: DateTime<Utc>, after_s: i64) -> Running {
    let app = common::server::run(dir, &config(dir, port, start, after_s), port);
    wait_ready(&app.base);
    app
}

#[test]
fn a_live_crisis_fires_within_a_bucket_and_a_restart_raises_nothing_new() {
    // Two days of history are replayed at once, then the stream is live; the burst starts on a
    // minute boundary, late enough for both runs to replay the history and one to restart.
    let now = Utc::now().timestamp();
    let burst = (now + 150).div_euclid(BUCKET_S) * BUCKET_S;
    let history = 2 * 86_400;
    let begin = DateTime::from_timestamp(burst - history, 0).unwrap();
    let (whole_dir, restarted_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (whole_port, restarted_port) = (free_port(), free_port());
    let mut whole = start(whole_dir.path(), whole_port, begin, history);
    let mut restarted = start(restarted_dir.path(), restarted_port, begin, history);

    // The second run is stopped once it is live, then started again on the same data.
    wait_until("the live stream", Duration::from_secs(120), || Utc::now().timestamp() >= now + 60);
    restarted.terminate();
    let mut restarted = start(restarted_dir.path(), restarted_port, begin, history);
    assert!(Utc::now().timestamp() < burst, "the restart took until the burst: make the history start later");

    // The spike fires within one bucket of the burst's first bucket closing.
    let first_bucket_closes = burst + BUCKET_S;
    wait_until("the spike in the uninterrupted run", Duration::from_secs(300), || {
        spike(&alerts(&whole.base)).is_some()
    });
    let seen = Utc::now().timestamp_millis() as f64 / 1000.0;
    let latency = seen - first_bucket_closes as f64;
    eprintln!("spike listed {latency:.1} s after the burst's first bucket closed");
    assert!(latency <= BUCKET_S as f64, "the spike came {latency:.1} s after the first bucket closed");
    wait_until("the spike in the restarted run", Duration::from_secs(60), || spike(&alerts(&restarted.base)).is_some());

    // Let the burst end and its alerts resolve, then compare what both runs raised.
    wait_until("the burst to be over", Duration::from_secs(300), || Utc::now().timestamp() >= burst + 4 * BUCKET_S);
    let whole_alerts = alerts(&whole.base);
    let restarted_alerts = alerts(&restarted.base);
    let before: Vec<&Value> = whole_alerts.iter().filter(|a| starts_at(a) < burst).collect();
    assert!(before.is_empty(), "alerts before the injected crisis: {before:#?}");
    let spike = spike(&whole_alerts).unwrap_or_default();
    assert!(starts_at(&spike) >= burst && starts_at(&spike) < burst + BUCKET_S, "{spike}");
    assert!(spike["detection_delay_s"].as_f64().is_some_and(|d| d <= BUCKET_S as f64), "{spike}");
    let ids =
        |list: &[Value]| list.iter().filter_map(|a| a["id"].as_str().map(str::to_string)).collect::<BTreeSet<_>>();
    let (whole_ids, restarted_ids) = (ids(&whole_alerts), ids(&restarted_alerts));
    let extra: Vec<&Value> =
        restarted_alerts.iter().filter(|a| a["id"].as_str().is_some_and(|id| !whole_ids.contains(id))).collect();
    assert!(extra.is_empty(), "the restarted run raised alerts the uninterrupted run did not: {extra:#?}");
    assert!(restarted_ids.contains(spike["id"].as_str().unwrap_or_default()), "the restart is not blind");

    let metrics = reqwest::blocking::Client::new()
        .get(format!("{}/metrics", whole.base))
        .bearer_auth(common::server::ADMIN_KEY)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(metrics.contains("veille_alert_detection_delay_seconds_bucket{rule=\"volume_spike\""), "delay histogram");
    whole.terminate();
    restarted.terminate();
}
