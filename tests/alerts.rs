//! Crisis alerts end to end: the simulator injects a burst into a live stream, `veille run`
//! detects it and pages a real Prometheus Alertmanager and a signed webhook that is down for
//! a while.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::alerting::{alertmanager_binary, receive, start_alertmanager};
use common::server::{free_port, get, post as http_post, wait_ready, wait_until};
use serde_json::{json, Value};

const SECRET: &str = "s3cret-for-the-test";

fn config(dir: &Path, port: u16, am: &str, webhook: SocketAddr, start: DateTime<Utc>, after_s: i64) -> String {
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
name = "crisis"
kind = "crisis"
lexicons = ["crisis-en", "crisis-fr"]
[signals]
allowed_lateness_s = 10
[signals.rules.volume_spike]
resolve_after_s = 60
[signals.rules.crisis_burst]
resolve_after_s = 60
[alerts]
backoff_min_ms = 200
backoff_max_ms = 2000
[[alerts.alertmanager]]
name = "am"
url = "{am}"
[[alerts.webhook]]
name = "hook"
url = "http://{webhook}/veille"
secret = "{SECRET}"
"#,
        data = dir.join("data").display(),
        start = start.to_rfc3339(),
    )
}

/// Alertmanager's alerts for the acme volume spike.
fn spike_in_alertmanager(am: &str) -> Vec<Value> {
    let (_, alerts) = get(&format!("{am}/api/v2/alerts"));
    alerts
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["labels"]["alertname"] == "VolumeSpike" && a["labels"]["watch"] == "acme")
        .cloned()
        .collect()
}

#[test]
fn a_live_crisis_pages_alertmanager_within_seconds_resolves_and_survives_a_receiver_outage() {
    if alertmanager_binary().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let paged_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let paged = receive(&rt, paged_addr);
    let (_am_process, am) = start_alertmanager(dir.path(), paged_addr, "'alertname', 'workspace', 'watch'");
    // The signed webhook is down until the crisis is over.
    let hook_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();

    // Two days of history replayed at once, then live; the burst starts on a minute boundary.
    let now = Utc::now().timestamp();
    let burst = (now + 45).div_euclid(60) * 60 + 60;
    let history = 2 * 86_400;
    let start = DateTime::from_timestamp(burst - history, 0).unwrap();
    let port = free_port();
    let mut app = common::server::run(dir.path(), &config(dir.path(), port, &am, hook_addr, start, history), port);
    let base = app.base.clone();
    wait_ready(&base);

    // It fires within 5 s of the burst's first minute closing.
    let first_minute_closes = burst + 60;
    wait_until("the spike in Alertmanager", Duration::from_secs(240), || !spike_in_alertmanager(&am).is_empty());
    let fired_at = Utc::now().timestamp_millis() as f64 / 1000.0;
    let latency = fired_at - first_minute_closes as f64;
    eprintln!("alert in Alertmanager {latency:.1} s after the burst's first minute closed");
    assert!(latency <= 5.0, "the alert reached Alertmanager {latency:.1} s after the first minute closed");
    let spikes = spike_in_alertmanager(&am);
    assert_eq!(spikes.len(), 1, "{spikes:?}");
    let annotations = &spikes[0]["annotations"];
    assert!(annotations["summary"].as_str().is_some_and(|s| s.contains("acme")), "{annotations}");
    assert!(annotations["examples"].as_str().is_some_and(|s| !s.is_empty()), "{annotations}");

    // The API lists it, with its explanation, and it can be acknowledged.
    let (status, active) = get(&format!("{base}/api/v1/alerts"));
    assert_eq!(status, 200, "{active}");
    let alert = active["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule"] == "volume_spike" && a["watch"] == "acme")
        .cloned()
        .unwrap_or_else(|| panic!("{active}"));
    assert!(alert["explanation"]["examples"].as_array().is_some_and(|e| !e.is_empty()), "{alert}");
    let id = alert["id"].as_str().unwrap().to_string();
    // Every alert the burst raised belongs to one incident, which the API lists on its own.
    let incident = alert["incident"].as_str().unwrap_or_else(|| panic!("{alert}")).to_string();
    let burst_alerts: Vec<&Value> = active["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["starts_at"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t.timestamp() >= burst)
        })
        .collect();
    assert!(burst_alerts.iter().all(|a| a["incident"] == incident.as_str()), "{active}");
    let (status, same) = get(&format!("{base}/api/v1/alerts?incident={incident}"));
    assert_eq!(status, 200, "{same}");
    let members = same["alerts"].as_array().unwrap();
    assert!(members.iter().any(|a| a["id"] == id.as_str()), "{same}");
    assert!(members.iter().all(|a| a["incident"] == incident.as_str()), "{same}");
    assert!(members.len() >= burst_alerts.len(), "{same}");
    let (status, acked) = http_post(&format!("{base}/api/v1/alerts/{id}/ack"), &json!({"by": "on-call"}));
    assert_eq!(status, 200, "{acked}");
    assert_eq!(acked["ack"]["by"], "on-call");
    let (status, _) = http_post(&format!("{base}/api/v1/alerts/nope/ack"), &json!({"by": "on-call"}));
    assert_eq!(status, 404);

    // The burst ends: the alert resolves, in veille and in Alertmanager.
    wait_until("the spike to resolve", Duration::from_secs(300), || {
        let (_, history) = get(&format!("{base}/api/v1/alerts?state=history"));
        history["alerts"].as_array().is_some_and(|h| h.iter().any(|a| a["id"] == id.as_str()))
    });
    wait_until("Alertmanager to page the resolution", Duration::from_secs(30), || {
        paged.lock().unwrap().iter().any(|(_, _, body)| {
            let v: Value = serde_json::from_slice(body).unwrap_or_default();
            v["status"] == "resolved" && v["commonLabels"]["alertname"] == "VolumeSpike"
        })
    });

    // The webhook comes back: it gets every notice once, in order, signed.
    let hook = receive(&rt, hook_addr);
    wait_until("the webhook to catch up", Duration::from_secs(30), || {
        hook.lock().unwrap().iter().any(|(_, _, body)| {
            let v: Value = serde_json::from_slice(body).unwrap_or_default();
            v["alert"]["id"] == id.as_str() && v["kind"] == "resolved"
        })
    });
    std::thread::sleep(Duration::from_secs(3));
    let received = hook.lock().unwrap().clone();
    let mut deliveries = BTreeMap::new();
    for (_, headers, body) in &received {
        let signature = headers.get("x-veille-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(veille_alert::webhook::verify(SECRET.as_bytes(), body, signature), "bad signature");
        let v: Value = serde_json::from_slice(body).unwrap();
        let delivery = v["delivery"].as_str().unwrap().to_string();
        assert!(deliveries.insert(delivery.clone(), v).is_none(), "{delivery} delivered twice");
    }
    let ours: Vec<&str> = received
        .iter()
        .map(|(_, _, body)| serde_json::from_slice::<Value>(body).unwrap())
        .filter(|v| v["alert"]["id"] == id.as_str())
        .map(|v| if v["kind"] == "firing" { "firing" } else { "other" })
        .collect();
    assert_eq!(ours.first(), Some(&"firing"), "{ours:?}");
    assert_eq!(ours.iter().filter(|k| **k == "firing").count(), 1, "fired once: {ours:?}");

    let metrics = reqwest::blocking::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(common::server::ADMIN_KEY)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(metrics.contains("veille_alert_fired_total{rule=\"volume_spike\"}"), "fired metric");
    assert!(metrics.contains("veille_alert_detection_latency_seconds"), "latency metric");
    app.terminate();
}
