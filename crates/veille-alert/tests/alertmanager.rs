//! Against a real Prometheus Alertmanager (Debian package
//! `prometheus-alertmanager`), started on loopback by the test.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::receiver::{free_addr, serve, Inbox};
use common::{key_node, mention, spike, t0};
use prometheus::Registry;
use serde_json::Value;
use veille_alert::{incident_id, AlertBook, AlertMetrics, Dispatcher, DispatcherHandle, NoticeKind};
use veille_config::alerts::{AlertmanagerReceiver, AlertsConfig};
use veille_signals::Transition;

const BINARY: &str = "/usr/bin/prometheus-alertmanager";

/// The Alertmanager binary, or None when the test must be skipped.
fn binary() -> Option<&'static Path> {
    let path = Path::new(BINARY);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("VEILLE_REQUIRE_REFERENCE").as_deref() == Ok("1") {
        panic!("{BINARY} is missing and VEILLE_REQUIRE_REFERENCE=1: apt-get install -y prometheus-alertmanager");
    }
    println!("skipped: prometheus-alertmanager not installed");
    None
}

/// An Alertmanager process, killed on drop.
struct Alertmanager {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_alertmanager(bin: &Path, dir: &Path, webhook: SocketAddr, group_by: &str) -> Alertmanager {
    let config = dir.join("alertmanager.yml");
    std::fs::write(
        &config,
        format!(
            "route:\n  receiver: veille-test\n  group_by: [{group_by}]\n  \
             group_wait: 2s\n  group_interval: 1s\n  repeat_interval: 1h\n\
             receivers:\n  - name: veille-test\n    webhook_configs:\n      - url: http://{webhook}/am\n        send_resolved: true\n"
        ),
    )
    .unwrap();
    let addr = free_addr();
    let child = Command::new(bin)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address={addr}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(dir.join("alertmanager.log")).unwrap()))
        .spawn()
        .expect("start prometheus-alertmanager");
    Alertmanager { child, addr }
}

async fn wait_ready(client: &reqwest::Client, am: &Alertmanager, log: &Path) {
    let start = Instant::now();
    loop {
        let ready = client.get(format!("http://{}/-/ready", am.addr)).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "Alertmanager not ready: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn alerts(client: &reqwest::Client, am: &Alertmanager) -> Vec<Value> {
    let r = client.get(format!("http://{}/api/v2/alerts", am.addr)).send().await.unwrap();
    r.json::<Vec<Value>>().await.unwrap()
}

/// Polls until `check` holds, for up to `limit`.
async fn eventually<F: std::future::Future<Output = bool>>(limit: Duration, mut check: impl FnMut() -> F) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// An Alertmanager grouping by `group_by` and paging a loopback receiver, and
/// a dispatcher delivering to it.
struct Setup {
    dir: tempfile::TempDir,
    paged: Inbox,
    server: tokio::task::JoinHandle<()>,
    am: Alertmanager,
    client: reqwest::Client,
    registry: Registry,
    handle: DispatcherHandle,
    join: tokio::task::JoinHandle<()>,
    book: AlertBook,
}

async fn setup(bin: &Path, group_by: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let paged = Inbox::default();
    let webhook_addr = free_addr();
    let server = serve(webhook_addr, paged.clone()).await;
    let am = start_alertmanager(bin, dir.path(), webhook_addr, group_by);
    let client = reqwest::Client::new();
    wait_ready(&client, &am, &dir.path().join("alertmanager.log")).await;

    let config = AlertsConfig {
        external_url: Some("http://127.0.0.1:7700".into()),
        backoff_min_ms: 50,
        backoff_max_ms: 500,
        alertmanager: vec![AlertmanagerReceiver {
            name: Some("am".into()),
            url: format!("http://{}", am.addr),
            timeout_ms: 2000,
        }],
        ..AlertsConfig::default()
    };
    let registry = Registry::new();
    let metrics = AlertMetrics::register(&registry).unwrap();
    let (handle, join) = Dispatcher::start(&config, &dir.path().join("veille"), &metrics).unwrap();
    let book = AlertBook::new(&config).with_metrics(metrics);
    Setup { dir, paged, server, am, client, registry, handle, join, book }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_fires_in_alertmanager_with_its_explanation_then_resolves() {
    let Some(bin) = binary() else { return };
    let Setup { dir: _dir, paged, server, am, client, registry, handle, join, mut book } =
        setup(bin, "'alertname', 'workspace', 'watch'").await;
    for i in 0..30 {
        let at = t0() + chrono::Duration::seconds(i);
        book.observe(&mention(i, at, &format!("user{}", i % 7), "Acme recall now #AcmeRecall", &["recall"]));
    }

    let fired = book.apply(&spike("acme", Transition::Fired, t0(), 412.0), Utc::now()).unwrap();
    assert_eq!(fired.kind, NoticeKind::Firing);
    let sent = Instant::now();
    handle.enqueue(&fired).unwrap();

    let mut seen = Vec::new();
    let mut firing = false;
    while !firing && sent.elapsed() < Duration::from_secs(10) {
        seen = alerts(&client, &am).await;
        firing = seen.iter().any(|a| a["status"]["state"] == "active");
        if !firing {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(firing, "alert never active in Alertmanager: {seen:?}");
    assert!(sent.elapsed() < Duration::from_secs(5), "reached Alertmanager in {:?}", sent.elapsed());
    assert_eq!(seen.len(), 1, "fired once: {seen:?}");
    let a = &seen[0];
    assert_eq!(a["labels"]["alertname"], "VolumeSpike");
    assert_eq!(a["labels"]["workspace"], "default");
    assert_eq!(a["labels"]["watch"], "acme");
    assert_eq!(a["labels"]["severity"], "critical");
    assert_eq!(a["labels"]["rule"], "volume_spike");
    assert_eq!(a["annotations"]["alert_id"], fired.alert.id.as_str());
    assert!(a["annotations"]["summary"].as_str().unwrap().contains("412 mentions"), "{a}");
    assert!(
        a["annotations"]["description"].as_str().unwrap().contains("Top terms: #AcmeRecall (30), recall (30)"),
        "{a}"
    );
    assert!(a["annotations"]["examples"].as_str().unwrap().contains("https://x.com/i/status/"), "{a}");
    assert_eq!(a["generatorURL"], format!("http://127.0.0.1:7700/api/v1/alerts/{}", fired.alert.id));
    assert_eq!(a["startsAt"].as_str().unwrap(), "2026-01-05T10:00:00.000Z");

    // Alertmanager routes it to its receiver.
    assert!(eventually(Duration::from_secs(10), || async { !paged.accepted().is_empty() }).await, "never paged");

    // A renotify keeps the same alert (no duplicate).
    let again = book.tick(Utc::now() + chrono::Duration::hours(2));
    assert_eq!(again.len(), 1);
    handle.enqueue(&again[0]).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(alerts(&client, &am).await.len(), 1, "the renotify updates the same alert");

    let resolved = book
        .apply(&spike("acme", Transition::Resolved, t0() + chrono::Duration::minutes(20), 18.0), Utc::now())
        .unwrap();
    handle.enqueue(&resolved).unwrap();
    let gone = eventually(Duration::from_secs(10), || {
        let client = client.clone();
        let am = &am;
        async move { alerts(&client, am).await.is_empty() }
    })
    .await;
    assert!(gone, "resolved alerts leave the active list");
    let resolved_paged = eventually(Duration::from_secs(10), || async {
        paged.accepted().iter().any(|r| {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            v["status"] == "resolved" && v["alerts"][0]["labels"]["watch"] == "acme"
        })
    })
    .await;
    assert!(resolved_paged, "Alertmanager sends the resolution on");
    let firing_pages = paged
        .accepted()
        .iter()
        .filter(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["status"] == "firing")
        .count();
    assert_eq!(firing_pages, 1, "paged once while firing");

    let sent_total: f64 = registry
        .gather()
        .iter()
        .filter(|f| f.name() == "veille_alert_notifications_sent_total")
        .flat_map(|f| f.get_metric().iter().map(|m| m.get_counter().get_value()))
        .sum();
    assert_eq!(sent_total, 3.0);
    let fired_total: f64 = registry
        .gather()
        .iter()
        .filter(|f| f.name() == "veille_alert_fired_total")
        .flat_map(|f| f.get_metric().iter().map(|m| m.get_counter().get_value()))
        .sum();
    assert_eq!(fired_total, 1.0);

    handle.shutdown();
    join.await.unwrap();
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_crisis_tripping_several_rules_makes_one_alertmanager_group() {
    let Some(bin) = binary() else { return };
    // Routed as the README recommends.
    let Setup { dir: _dir, paged, server, am: _am, client: _, registry: _, handle, join, mut book } =
        setup(bin, "'workspace', 'incident'").await;

    // A recall: the brand spikes, so does the crisis watch, and a key node turns on the brand,
    // a few minutes apart; another client's brand spikes meanwhile.
    let now = Utc::now();
    let brand = book.apply(&spike("acme", Transition::Fired, t0(), 412.0), now).unwrap();
    let crisis =
        book.apply(&spike("recall", Transition::Fired, t0(), 95.0), now + chrono::Duration::minutes(2)).unwrap();
    let voice = book.apply(&key_node("bigvoice", Transition::Fired, t0()), now + chrono::Duration::minutes(5)).unwrap();
    let mut elsewhere = spike("acme", Transition::Fired, t0(), 300.0);
    elsewhere.workspace = "client-b".into();
    let other = book.apply(&elsewhere, now + chrono::Duration::minutes(5)).unwrap();
    for notice in [&brand, &crisis, &voice, &other] {
        handle.enqueue(notice).unwrap();
    }
    let incident = incident_id(&brand.alert.workspace, brand.alert.starts_at);
    assert_eq!(brand.alert.incident, incident);
    assert!([&crisis, &voice].iter().all(|n| n.alert.incident == incident));
    assert_eq!(other.alert.incident, incident_id("client-b", other.alert.starts_at));

    let firing = |paged: &Inbox| -> Vec<Value> {
        paged
            .accepted()
            .iter()
            .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
            .filter(|v| v["status"] == "firing")
            .collect()
    };
    // Alertmanager notifies a group at once when its first alert is older than group_wait (these
    // started in the past), then again as the group grows: what matters is that the three alerts
    // of the recall make one group, which paging tools keep as one incident (its group key).
    let grouped = || {
        let pages = firing(&paged);
        let recall: Vec<&Value> = pages.iter().filter(|p| p["groupLabels"]["workspace"] == "default").collect();
        let complete = recall.last().is_some_and(|p| p["alerts"].as_array().unwrap().len() == 3);
        let client_b = pages.iter().any(|p| p["groupLabels"]["workspace"] == "client-b");
        complete && client_b
    };
    assert!(eventually(Duration::from_secs(15), || async { grouped() }).await, "{:?}", firing(&paged));
    let pages = firing(&paged);
    let mut keys: Vec<&str> = pages.iter().map(|p| p["groupKey"].as_str().unwrap()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), 2, "one group per incident: {keys:?}");
    let recall: Vec<&Value> = pages.iter().filter(|p| p["groupLabels"]["workspace"] == "default").collect();
    assert!(recall.iter().all(|p| p["groupLabels"]["incident"] == incident.as_str()), "{recall:?}");
    let last = recall.last().unwrap();
    let mut names: Vec<&str> =
        last["alerts"].as_array().unwrap().iter().map(|a| a["labels"]["alertname"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["KeyNodeNegative", "VolumeSpike", "VolumeSpike"], "{last}");
    let other_page = pages.iter().find(|p| p["groupLabels"]["workspace"] == "client-b").unwrap();
    assert_eq!(other_page["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(other_page["groupLabels"]["incident"], other.alert.incident.as_str());

    handle.shutdown();
    join.await.unwrap();
    server.abort();
}
