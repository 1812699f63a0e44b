//! What each receiver gets, field by field.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{key_node, spike, t0};
use veille_alert::{incident_id, AlertBook, AlertmanagerNotifier, SlackNotifier, WebhookNotifier};
use veille_config::alerts::AlertsConfig;
use veille_signals::Transition;

fn book() -> AlertBook {
    AlertBook::new(&AlertsConfig { external_url: Some("https://veille.example/".into()), ..AlertsConfig::default() })
}

#[test]
fn alertmanager_gets_labels_annotations_and_times() {
    let mut b = book();
    let fired = b.apply(&spike("acme", Transition::Fired, t0(), 412.0), t0()).unwrap();
    let am = AlertmanagerNotifier::new(
        "am".into(),
        "http://127.0.0.1:9093/",
        Duration::from_secs(1),
        Duration::from_secs(3 * 3600),
    )
    .unwrap();
    let now = Utc::now();
    let body = am.body(&fired, now);
    let a = &body[0];
    assert_eq!(body.as_array().unwrap().len(), 1);
    assert_eq!(a["labels"]["alertname"], "VolumeSpike");
    assert_eq!(a["labels"].as_object().unwrap().len(), 6);
    let opened = incident_id(&fired.alert.workspace, fired.alert.starts_at);
    assert_eq!(a["labels"]["incident"], opened.as_str(), "the first alert of its incident");
    assert_eq!(a["startsAt"], "2026-01-05T10:00:00Z");
    let ends = chrono::DateTime::parse_from_rfc3339(a["endsAt"].as_str().unwrap()).unwrap();
    assert_eq!(ends.with_timezone(&Utc), now + chrono::Duration::hours(3), "firing: held for three renotify intervals");
    assert_eq!(a["generatorURL"], format!("https://veille.example/api/v1/alerts/{}", fired.alert.id));

    let later = t0() + chrono::Duration::minutes(25);
    let resolved = b.apply(&spike("acme", Transition::Resolved, later, 18.0), now).unwrap();
    let a = &am.body(&resolved, now)[0];
    assert_eq!(a["endsAt"], "2026-01-05T10:25:00Z", "resolved: ends when the condition stopped");
}

#[test]
fn slack_gets_a_fallback_text_and_blocks_within_limits() {
    let mut b = book();
    let n = b.apply(&key_node("bigvoice", Transition::Fired, t0()), t0()).unwrap();
    let msg = SlackNotifier::message(&n);
    assert!(msg["text"].as_str().unwrap().starts_with(":warning: [warning] default/acme: key node negative"), "{msg}");
    let blocks = msg["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert!(blocks[0]["text"]["text"].as_str().unwrap().chars().count() <= 150);
    assert_eq!(blocks[1]["text"]["type"], "mrkdwn");
    assert!(blocks[1]["text"]["text"].as_str().unwrap().contains("https://x.com/bigvoice/status/1"), "{msg}");
    assert!(blocks[2]["elements"][0]["text"].as_str().unwrap().contains("<https://veille.example/api/v1/alerts/"));

    let resolved = b.apply(&key_node("bigvoice", Transition::Resolved, t0()), t0()).unwrap();
    assert!(SlackNotifier::message(&resolved)["text"].as_str().unwrap().starts_with(":white_check_mark:"));
}

#[test]
fn an_alert_that_joins_an_incident_says_so_everywhere() {
    let mut b = book();
    let first = b.apply(&spike("acme", Transition::Fired, t0(), 412.0), t0()).unwrap();
    let at = t0() + chrono::Duration::minutes(3);
    let joined = b.apply(&key_node("bigvoice", Transition::Fired, at), at).unwrap();
    let incident = incident_id(&first.alert.workspace, first.alert.starts_at);
    assert_eq!((first.alert.incident.as_str(), joined.alert.incident.as_str()), (incident.as_str(), incident.as_str()));

    let context = SlackNotifier::message(&joined)["blocks"][2]["elements"][0]["text"].as_str().unwrap().to_string();
    assert!(context.contains(&format!("incident `{incident}`")), "{context}");
    let opener = SlackNotifier::message(&first)["blocks"][2]["elements"][0]["text"].as_str().unwrap().to_string();
    assert!(opener.contains(&format!("incident `{incident}`")), "{opener}");

    let am = AlertmanagerNotifier::new(
        "am".into(),
        "http://127.0.0.1:9093",
        Duration::from_secs(1),
        Duration::from_secs(60),
    )
    .unwrap();
    assert_eq!(am.body(&joined, Utc::now())[0]["labels"]["incident"], incident.as_str());
    let hook = WebhookNotifier::new("ops".into(), "http://127.0.0.1:1/x", b"k", Duration::from_secs(1)).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&hook.body(&joined, Utc::now())).unwrap();
    assert_eq!(body["alert"]["incident"], incident.as_str());

    // A notice written before incidents existed keeps the labels its alert fired with.
    let mut old = first.clone();
    old.alert.incident.clear();
    let labels = am.body(&old, Utc::now())[0]["labels"].clone();
    assert_eq!(labels.as_object().unwrap().len(), 5, "{labels}");
    let json = serde_json::to_value(&old.alert).unwrap();
    let mut without = json.as_object().unwrap().clone();
    without.remove("incident");
    let back: veille_alert::Alert = serde_json::from_value(serde_json::Value::Object(without)).unwrap();
    assert_eq!(back.incident, "", "older alerts read back without an incident");
}

#[test]
fn the_webhook_body_carries_the_alert_and_a_delivery_id() {
    let mut b = book();
    let n = b.apply(&spike("acme", Transition::Fired, t0(), 412.0), t0()).unwrap();
    let hook = WebhookNotifier::new("ops".into(), "http://127.0.0.1:1/x", b"k", Duration::from_secs(1)).unwrap();
    let now = Utc::now();
    let body: serde_json::Value = serde_json::from_slice(&hook.body(&n, now)).unwrap();
    assert_eq!(body["version"], 1);
    assert_eq!(body["delivery"], format!("{}-0", n.alert.id));
    assert_eq!(body["kind"], "firing");
    assert_eq!(body["alert"]["state"], "firing");
    assert_eq!(body["alert"]["evidence"]["kind"], "spike");
    assert_eq!(body["alert"]["explanation"]["summary"], n.alert.explanation.summary.as_str());
    let back: veille_alert::Alert = serde_json::from_value(body["alert"].clone()).unwrap();
    assert_eq!(back, n.alert, "the alert round-trips through JSON");
}
