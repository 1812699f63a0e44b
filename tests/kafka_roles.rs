//! The Kafka roles serve the API the way `veille run` does, on a real Kafka-protocol broker:
//! `veille process` honours `[server.tls]`, and `veille ingest` takes pushes, answering `202`
//! only once the broker acknowledged every record, so nothing answered `202` is lost when the
//! worker is SIGKILLed.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::role::Role;
use common::server::{free_port, wait_until, ADMIN_KEY};
use serde_json::json;
use veille_index::MentionIndex;

/// What every role of these tests runs with.
const ROLE_ENV: &[(&str, &str)] = &[("VEILLE_ROLES_PUSH_TOKEN", "unused")];

fn config(dir: &Path, name: &str, broker: &str, data: &Path, extra: &str) -> PathBuf {
    let toml = format!(
        r#"
[data]
dir = "{data}"
[bus]
kind = "kafka"
batch_size = 100
[bus.kafka]
brokers = ["{broker}"]
group_id = "veille-roles"
partitions = 2
ack_timeout_ms = 4000
[bus.kafka.properties]
"batch.num.messages" = "1"
"session.timeout.ms" = "6000"
"heartbeat.interval.ms" = "500"
[index]
commit_every_ms = 200
writer_memory_mb = 32
writer_threads = 1
[[workspaces]]
name = "default"
{extra}
"#,
        data = data.display()
    );
    let path = dir.join(name);
    std::fs::write(&path, toml).unwrap();
    path
}

fn self_signed(dir: &Path) -> (PathBuf, PathBuf, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let cert_pem = certified.cert.pem();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, &cert_pem).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key, cert_pem)
}

#[cfg(unix)]
#[test]
fn process_serves_its_api_over_https_only_when_tls_is_configured() {
    let Some(broker) = common::broker::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, cert_pem) = self_signed(dir.path());
    let tls = format!("[server.tls]\ncert = \"{}\"\nkey = \"{}\"\n", cert.display(), key.display());
    let process = config(dir.path(), "process.toml", &broker.address, &dir.path().join("shared"), &tls);
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let _processor = Role::start_with(
        "processor",
        &["process", "--config", process.to_str().unwrap(), "--listen", &listen],
        ROLE_ENV,
    );
    let https = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .tls_built_in_root_certs(false)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    wait_until("the processor's HTTPS API", Duration::from_secs(60), || {
        https.get(format!("https://127.0.0.1:{port}/readyz")).send().is_ok_and(|r| r.status().is_success())
    });
    let search =
        https.get(format!("https://127.0.0.1:{port}/api/v1/search?limit=0")).bearer_auth(ADMIN_KEY).send().unwrap();
    assert_eq!(search.status(), 200);
    // Plain HTTP on the same port gets no answer: it was `serve` without TLS before.
    let plain = reqwest::blocking::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let answered = plain.get(format!("http://127.0.0.1:{port}/healthz")).send();
    assert!(answered.is_err() || !answered.unwrap().status().is_success(), "plain HTTP was served");
}

/// Pushes `n` mentions numbered from `first`; their keys when answered `202`.
fn push(client: &reqwest::blocking::Client, base: &str, first: u64, n: u64) -> Result<Vec<String>, String> {
    let lines: Vec<String> = (first..first + n)
        .map(|i| {
            json!({
                "platform": "web", "native_id": format!("p{i}"), "text": format!("pushed acme note {i}"),
                "created_at": "2026-03-01T12:00:00Z", "author": { "handle": format!("user{}", i % 50) }
            })
            .to_string()
        })
        .collect();
    let resp = client
        .post(format!("{base}/api/v1/ingest"))
        .bearer_auth(ADMIN_KEY)
        .header("content-type", "application/x-ndjson")
        .body(lines.join("\n"))
        .send()
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp.text().unwrap_or_default();
    if status == 202 {
        Ok((first..first + n).map(|i| format!("web:p{i}")).collect())
    } else {
        Err(format!("{status} {body}"))
    }
}

fn indexed_keys(root: &Path) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    if let Ok(view) = MentionIndex::open_sharded(root) {
        let _ = view.scan("default", "*", None, None, |m| {
            keys.insert(m.key().to_string());
            true
        });
    }
    keys
}

#[cfg(unix)]
#[test]
fn pushes_to_an_ingest_worker_are_answered_after_the_broker_acknowledges_them_and_survive_a_sigkill() {
    let Some(mut broker) = common::broker::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    let push_source = "[[sources]]\nkind = \"push\"\nname = \"hook\"\ntoken_env = \"VEILLE_ROLES_PUSH_TOKEN\"\n";
    let ingest = config(dir.path(), "ingest.toml", &broker.address, &dir.path().join("ingest"), push_source);
    let process = config(dir.path(), "process.toml", &broker.address, &shared, "[server]\nenabled = false\n");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let ingest_args = ["ingest", "--config", ingest.to_str().unwrap(), "--listen", &format!("127.0.0.1:{port}")];
    let _processor = Role::start_with("processor", &["process", "--config", process.to_str().unwrap()], ROLE_ENV);
    let mut worker = Role::start_with("ingest worker", &ingest_args, ROLE_ENV);
    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    wait_until("the ingest worker's push endpoint", Duration::from_secs(60), || {
        client.get(format!("{base}/readyz")).send().is_ok_and(|r| r.status().is_success())
    });
    // A worker that answers only ingest, health and metrics.
    let search = client.get(format!("{base}/api/v1/search")).bearer_auth(ADMIN_KEY).send().unwrap();
    assert_eq!(search.status(), 404);

    // Pushes from another thread while the worker is SIGKILLed and restarted.
    let accepted = std::thread::scope(|s| {
        let pusher = s.spawn(|| {
            let mut accepted = Vec::new();
            let mut refused = 0;
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut next = 0;
            while Instant::now() < deadline {
                match push(&client, &base, next, 20) {
                    Ok(keys) => accepted.extend(keys),
                    Err(_) => refused += 1,
                }
                next += 20;
                std::thread::sleep(Duration::from_millis(20));
            }
            (accepted, refused)
        });
        std::thread::sleep(Duration::from_secs(5));
        worker.kill();
        std::thread::sleep(Duration::from_secs(2));
        worker = Role::start_with("ingest worker", &ingest_args, ROLE_ENV);
        pusher.join().unwrap()
    });
    let (accepted, refused) = accepted;
    assert!(accepted.len() > 200, "too few pushes accepted: {}", accepted.len());
    println!("{} mentions answered 202, {refused} pushes refused while the worker was down", accepted.len());
    let root = shared.join("shards");
    wait_until("every mention answered 202 indexed", Duration::from_secs(120), || {
        let indexed = indexed_keys(&root);
        accepted.iter().all(|k| indexed.contains(k))
    });

    // Without a broker there is no acknowledgement, so no 202.
    wait_until("the restarted worker", Duration::from_secs(60), || push(&client, &base, 1_000_000, 1).is_ok());
    broker.stop();
    let answer = push(&client, &base, 2_000_000, 5);
    assert!(answer.is_err(), "a push was answered 202 with the broker down");
}
