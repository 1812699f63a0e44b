//! Scale-out on a real Kafka-protocol broker: 2 ingest workers and 2 processors
//! on a 4-partition topic. One processor is SIGKILLed mid-stream and restarted,
//! the other joins late (a rebalance). In the end the union of the shards holds
//! every mention exactly once, and queries fanned out over the shards count
//! what the embedded mode counts on the same input.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::role::Role;
use common::server::{free_port, wait_until};
use veille_index::MentionIndex;

const PER_WORKER: u64 = 100_000;
const START: &str = "2026-03-01T00:00:00Z";

/// What every role shares: the broker, the topic, the group, the shard directory.
fn base(broker: &str, data: &Path) -> String {
    format!(
        r#"
[data]
dir = "{data}"

[bus]
kind = "kafka"
batch_size = 500

[bus.kafka]
brokers = ["{broker}"]
group_id = "veille-acceptance"
partitions = 4

[bus.kafka.properties]
# tansu's in-memory storage resumes exactly only at batch starts.
"batch.num.messages" = "1"
# A killed processor's partitions move after 6 s instead of librdkafka's default 45 s.
"session.timeout.ms" = "6000"
"heartbeat.interval.ms" = "500"

[index]
commit_every_docs = 5000
commit_every_ms = 300
writer_memory_mb = 48
writer_threads = 1

{watches}
"#,
        data = data.display(),
        watches = WATCHES
    )
}

const WATCHES: &str = r#"
[[workspaces]]
name = "default"

[[workspaces.watches]]
name = "acme"
kind = "brand"
terms = ["Acme"]
handles = ["@acme"]

[[workspaces.watches]]
name = "globex"
kind = "competitor"
terms = ["Globex"]
handles = ["@globex"]
"#;

fn simulator(name: &str, seed: u64) -> String {
    format!(
        r#"
[[sources]]
kind = "simulate"
name = "{name}"
brands = ["Acme", "Globex", "Initech"]
speed = 0
rate = 50
count = {PER_WORKER}
seed = {seed}
start = "{START}"
"#
    )
}

fn write(dir: &Path, name: &str, toml: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, toml).unwrap();
    path
}

fn shard_total(root: &Path) -> u64 {
    MentionIndex::open_sharded(root).map(|v| v.num_docs()).unwrap_or(0)
}

fn process_args(config: &Path, port: u16) -> Vec<String> {
    vec![
        "process".into(),
        "--config".into(),
        config.display().to_string(),
        "--listen".into(),
        format!("127.0.0.1:{port}"),
    ]
}

fn search_count(config: &Path, query: &str) -> u64 {
    let out = common::veille_ok(&["search", query, "--count", "--config", config.to_str().unwrap()]);
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("a count")
}

#[cfg(unix)]
#[test]
fn two_ingest_workers_and_two_processors_index_every_mention_exactly_once_through_a_kill_and_a_rebalance() {
    let Some(broker) = common::broker::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("processors");
    let base = |data: &Path| base(&broker.address, data);

    let process = write(
        dir.path(),
        "process.toml",
        &format!("{}\n[server]\nenabled = true\n[alerts]\nenabled = false\n", base(&shared)),
    );
    let ingest_a = write(
        dir.path(),
        "ingest-a.toml",
        &format!("{}{}", base(&dir.path().join("ingest-a")), simulator("sim-a", 11)),
    );
    let ingest_b = write(
        dir.path(),
        "ingest-b.toml",
        &format!("{}{}", base(&dir.path().join("ingest-b")), simulator("sim-b", 12)),
    );
    let root = shared.join("shards");
    let total = 2 * PER_WORKER;

    let p1_args = process_args(&process, free_port());
    let p1_args: Vec<&str> = p1_args.iter().map(String::as_str).collect();
    let mut p1 = Role::start("processor 1", &p1_args);
    let (port_a, port_b) = (format!("127.0.0.1:{}", free_port()), format!("127.0.0.1:{}", free_port()));
    let mut a =
        Role::start("ingest worker a", &["ingest", "--config", ingest_a.to_str().unwrap(), "--listen", &port_a]);
    let mut b =
        Role::start("ingest worker b", &["ingest", "--config", ingest_b.to_str().unwrap(), "--listen", &port_b]);

    // Processor 1 dies mid-stream, with uncommitted work, and comes back.
    wait_until("processor 1 to index a first share", Duration::from_secs(300), || shard_total(&root) >= total / 5);
    p1.kill();
    let before = shard_total(&root);
    assert!(before < total, "the kill must land mid-stream");
    // It comes back after its session expired, as a crashed pod does. (The test broker only
    // drops a dead member when a request finds its session expired: a member that rejoins
    // sooner finds the dead one still leading the group, and waits for it.)
    std::thread::sleep(Duration::from_secs(8));
    let mut p1 = Role::start("processor 1 (restarted)", &p1_args);

    // Processor 2 joins later: the group rebalances the 4 partitions over two members.
    wait_until("a second share", Duration::from_secs(300), || shard_total(&root) >= total / 2);
    let p2_args = process_args(&process, free_port());
    let p2_args: Vec<&str> = p2_args.iter().map(String::as_str).collect();
    let mut p2 = Role::start("processor 2", &p2_args);

    a.wait_success(Duration::from_secs(600));
    b.wait_success(Duration::from_secs(600));
    wait_until("every mention indexed", Duration::from_secs(300), || shard_total(&root) >= total);
    // Let any late duplicate show up before counting.
    std::thread::sleep(Duration::from_secs(2));
    p1.terminate();
    p2.terminate();

    // The union of the shards: every mention exactly once.
    let view = MentionIndex::open_sharded(&root).unwrap();
    let shards = view.shard_sizes();
    assert_eq!(shards.len(), 4, "one shard per partition: {shards:?}");
    assert!(shards.iter().all(|(_, docs)| *docs > 0), "every partition got mentions: {shards:?}");
    let mut keys = HashSet::new();
    let mut duplicates = 0;
    view.scan("default", "*", None, None, |m| {
        if !keys.insert(m.key().to_string()) {
            duplicates += 1;
        }
        true
    })
    .unwrap();
    assert_eq!(duplicates, 0, "mentions indexed twice");
    assert_eq!(keys.len() as u64, total, "mentions lost");
    for worker in ["sim-a", "sim-b"] {
        let seed = if worker == "sim-a" { 11 } else { 12 };
        for i in [0, PER_WORKER / 2, PER_WORKER - 1] {
            assert!(keys.iter().any(|k| k.ends_with(&format!(":sim-{seed}-{i}"))), "{worker} mention {i} is missing");
        }
    }
    let checkpoint = view.checkpoint().unwrap();
    assert_eq!(checkpoint.partitions.len(), 4, "each shard stores its partition's offset: {checkpoint:?}");

    // The same input in the embedded mode, counted the same way.
    let embedded_dir = dir.path().join("embedded");
    let embedded = write(
        dir.path(),
        "embedded.toml",
        &format!(
            "[data]\ndir = \"{}\"\n[server]\nenabled = false\n[index]\ncommit_every_docs = 50000\n{WATCHES}{}{}",
            embedded_dir.display(),
            simulator("sim-a", 11),
            simulator("sim-b", 12)
        ),
    );
    common::veille_ok(&["run", "--config", embedded.to_str().unwrap()]);
    for query in ["*", "acme", "globex AND lang:fr", "watch:acme", "sentiment:negative", "recall OR boycott"] {
        let fanned_out = search_count(&process, query);
        let single = search_count(&embedded, query);
        assert_eq!(fanned_out, single, "`{query}`: shards count {fanned_out}, the embedded index {single}");
        assert!(single > 0 || query == "recall OR boycott", "`{query}` matches nothing");
    }
}
