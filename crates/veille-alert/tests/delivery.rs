//! Durable delivery to a signed webhook that is down for a while.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::receiver::{free_addr, serve, Inbox};
use common::{spike, t0};
use prometheus::Registry;
use veille_alert::webhook::{verify, DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use veille_alert::{AlertBook, AlertMetrics, AlertNotice, Backoff, Dispatcher, Notifier, WebhookNotifier};
use veille_config::alerts::AlertsConfig;
use veille_signals::Transition;

const SECRET: &[u8] = b"correct horse battery staple";

/// Firing and resolved notices for `n` watches, in the order the book made them.
fn notices(book: &mut AlertBook, watches: std::ops::Range<usize>) -> Vec<AlertNotice> {
    let mut out = Vec::new();
    for i in watches {
        let watch = format!("brand{i}");
        out.extend(book.apply(&spike(&watch, Transition::Fired, t0(), 400.0), Utc::now()));
        out.extend(
            book.apply(&spike(&watch, Transition::Resolved, t0() + chrono::Duration::minutes(20), 9.0), Utc::now()),
        );
    }
    out
}

/// The sum of a counter family's values in `registry`.
fn counter(registry: &Registry, name: &str) -> f64 {
    registry
        .gather()
        .iter()
        .filter(|f| f.name() == name)
        .flat_map(|f| f.get_metric().iter().map(|m| m.get_counter().get_value()))
        .sum()
}

async fn wait_for(inbox: &Inbox, n: usize, limit: Duration) {
    let start = Instant::now();
    while inbox.accepted().len() < n && start.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_notice_arrives_once_in_order_across_an_outage_and_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let url = format!("http://{addr}/hooks/veille");
    let backoff = Backoff { min: Duration::from_millis(20), max: Duration::from_millis(200) };
    let registry = Registry::new();
    let metrics = AlertMetrics::register(&registry).unwrap();
    let webhook = || -> Vec<Arc<dyn Notifier>> {
        vec![Arc::new(WebhookNotifier::new("ops".into(), &url, SECRET, Duration::from_secs(2)).unwrap())]
    };
    let mut book = AlertBook::new(&AlertsConfig::default());

    // The receiver is down (connection refused): enqueue returns at once, nothing is lost.
    let (handle, join) = Dispatcher::start_with(webhook(), 1 << 20, backoff, data.path(), &metrics).unwrap();
    let first = notices(&mut book, 0..3);
    let started = Instant::now();
    for n in &first {
        handle.enqueue(n).unwrap();
    }
    assert!(started.elapsed() < Duration::from_secs(1), "enqueue never waits for the receiver");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(handle.depth("ops"), Some(6));
    let failures = counter(&registry, "veille_alert_notification_failures_total");
    assert!(failures >= 3.0, "retried with backoff ({failures} failures)");

    // The process stops with everything still queued.
    handle.shutdown();
    tokio::time::timeout(Duration::from_secs(5), join).await.unwrap().unwrap();

    // The receiver comes back, but answers 503 three times first.
    let inbox = Inbox::default();
    inbox.refuse_with.lock().unwrap().extend([503, 503, 503]);
    let server = serve(addr, inbox.clone()).await;

    // A new process reloads the outbox, sends it first, then what comes next.
    let registry = Registry::new();
    let metrics = AlertMetrics::register(&registry).unwrap();
    let (handle, join) = Dispatcher::start_with(webhook(), 1 << 20, backoff, data.path(), &metrics).unwrap();
    let second = notices(&mut book, 3..5);
    for n in &second {
        handle.enqueue(n).unwrap();
    }
    let expected: Vec<String> = first.iter().chain(&second).map(AlertNotice::delivery_id).collect();
    wait_for(&inbox, expected.len(), Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let got = inbox.accepted();
    let ids: Vec<String> = got.iter().map(|r| r.headers[DELIVERY_HEADER].to_str().unwrap().to_string()).collect();
    assert_eq!(ids, expected, "each notice exactly once, in order");
    assert_eq!(*inbox.refused.lock().unwrap(), 3);
    assert_eq!(handle.depth("ops"), Some(0));

    for r in &got {
        assert_eq!(r.path, "hooks/veille");
        let signature = r.headers[SIGNATURE_HEADER].to_str().unwrap();
        assert!(verify(SECRET, &r.body, signature), "signature of {}", String::from_utf8_lossy(&r.body));
        assert!(!verify(b"wrong secret", &r.body, signature));
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        let sent_at = chrono::DateTime::parse_from_rfc3339(body["sent_at"].as_str().unwrap()).unwrap();
        assert_eq!(r.headers[TIMESTAMP_HEADER].to_str().unwrap(), sent_at.timestamp().to_string());
        assert_eq!(body["delivery"], r.headers[DELIVERY_HEADER].to_str().unwrap());
        assert_eq!(body["alert"]["rule"], "volume_spike");
    }
    let kinds: Vec<&str> = got
        .iter()
        .map(|r| if String::from_utf8_lossy(&r.body).contains("\"kind\":\"resolved\"") { "resolved" } else { "firing" })
        .collect();
    assert_eq!(kinds, ["firing", "resolved"].repeat(5));
    assert_eq!(counter(&registry, "veille_alert_notifications_sent_total"), 10.0);

    handle.shutdown();
    tokio::time::timeout(Duration::from_secs(5), join).await.unwrap().unwrap();
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_notice_is_set_aside_and_does_not_block_the_next() {
    let data = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let inbox = Inbox::default();
    inbox.refuse_with.lock().unwrap().push_back(400);
    let server = serve(addr, inbox.clone()).await;
    let url = format!("http://{addr}/hook");
    let notifier: Arc<dyn Notifier> =
        Arc::new(WebhookNotifier::new("ops".into(), &url, SECRET, Duration::from_secs(2)).unwrap());
    let metrics = AlertMetrics::register(&Registry::new()).unwrap();
    let backoff = Backoff { min: Duration::from_millis(20), max: Duration::from_millis(200) };
    let (handle, join) = Dispatcher::start_with(vec![notifier], 1 << 20, backoff, data.path(), &metrics).unwrap();
    let mut book = AlertBook::new(&AlertsConfig::default());
    let sent = notices(&mut book, 0..1);
    for n in &sent {
        handle.enqueue(n).unwrap();
    }
    wait_for(&inbox, 1, Duration::from_secs(10)).await;
    let got = inbox.accepted();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].headers[DELIVERY_HEADER], sent[1].delivery_id().as_str());
    let rejected = std::fs::read_to_string(data.path().join("alerts/outbox/ops/rejected.ndjson")).unwrap();
    assert_eq!(rejected.lines().count(), 1);
    assert!(rejected.contains(&sent[0].delivery_id()) && rejected.contains("400"), "{rejected}");
    handle.shutdown();
    join.await.unwrap();
    server.abort();
}

#[tokio::test]
async fn a_full_outbox_refuses_with_an_error_naming_the_receiver() {
    let data = tempfile::tempdir().unwrap();
    let url = format!("http://{}/hook", free_addr());
    let notifier: Arc<dyn Notifier> =
        Arc::new(WebhookNotifier::new("ops".into(), &url, SECRET, Duration::from_secs(1)).unwrap());
    let metrics = AlertMetrics::register(&Registry::new()).unwrap();
    let backoff = Backoff { min: Duration::from_secs(10), max: Duration::from_secs(10) };
    let (handle, join) = Dispatcher::start_with(vec![notifier], 8192, backoff, data.path(), &metrics).unwrap();
    let mut book = AlertBook::new(&AlertsConfig::default());
    let mut stored = 0;
    let error = loop {
        let n = notices(&mut book, stored..stored + 1).remove(0);
        match handle.enqueue(&n) {
            Ok(()) => stored += 1,
            Err(e) => break e,
        }
        assert!(stored < 100, "the bound holds");
    };
    assert!(stored >= 1);
    assert!(error.to_string().contains("`ops`") && error.to_string().contains("outbox full"), "{error}");
    assert_eq!(handle.depth("ops"), Some(stored));
    handle.shutdown();
    join.await.unwrap();
}
