//! Scale-out keeps its judgement, on a real Kafka-protocol broker and a real Alertmanager:
//! the simulator's crisis scenario (two days of history, then live, then a burst about Acme)
//! runs once embedded (`veille run`, one per workspace) and once on 2 ingest workers,
//! 3 processors and 2 signals owners, with a processor and the crisis workspace's signals owner
//! SIGKILLed mid-burst and restarted. Both raise the same alerts (watch, rule, start) in one
//! incident, delivered once to Alertmanager (one group) and to a webhook; the top-10 key nodes
//! are the same with scores within 1e-3; every mention is indexed exactly once.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::alerting::{alertmanager_binary, receive, start_alertmanager};
use common::role::Role;
use common::server::{free_port, get, wait_ready, wait_until};
use serde_json::Value;
use veille_index::MentionIndex;

/// The crisis workspace and the calm one.
const CRISIS: &str = "acme-team";
const CALM: &str = "initech-team";

const WORKSPACES: &str = r#"
[[workspaces]]
name = "acme-team"
[[workspaces.watches]]
name = "acme"
kind = "brand"
terms = ["Acme"]
handles = ["@acme"]
[[workspaces.watches]]
name = "globex"
kind = "competitor"
terms = ["Globex"]
[[workspaces.watches]]
name = "crisis"
kind = "crisis"
lexicons = ["crisis-en", "crisis-fr"]

[[workspaces]]
name = "initech-team"
[[workspaces.watches]]
name = "initech"
kind = "brand"
terms = ["Initech"]
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
"#;

/// Seconds of history before the live start.
const HISTORY_S: i64 = 172_800;

/// The simulator of one workspace: two days of history, then live from `start`; the crisis
/// workspace gets a burst `after_s` into the live stream. With `count`, the stream ends after
/// that many mentions.
fn simulator(workspace: &str, start: DateTime<Utc>, after_s: i64, count: Option<u64>) -> String {
    let (brands, seed, crisis) = if workspace == CRISIS {
        (
            r#"["Acme", "Globex"]"#,
            21,
            format!("[sources.crisis]\nbrand = \"Acme\"\nafter_s = {after_s}\nduration_s = 60\nintensity = 20\n"),
        )
    } else {
        (r#"["Initech", "Hooli"]"#, 22, String::new())
    };
    format!(
        r#"
[[sources]]
kind = "simulate"
name = "sim-{workspace}"
workspace = "{workspace}"
brands = {brands}
rate = 0.2
speed = 1
authors = 400
history_s = {HISTORY_S}
seed = {seed}
start = "{start}"
{count}
{crisis}"#,
        start = start.to_rfc3339(),
        count = count.map(|n| format!("count = {n}")).unwrap_or_default(),
    )
}

/// How many mentions the simulator of `workspace` writes before `until` (event time): the
/// generator is deterministic, so both runs end on the same mention.
fn mentions_before(workspace: &str, start: DateTime<Utc>, after_s: i64, until: DateTime<Utc>) -> u64 {
    let toml = format!("{WORKSPACES}{}", simulator(workspace, start, after_s, None));
    let config = veille_config::Config::from_toml_str(&toml, "simulator.toml").unwrap();
    let Some(veille_config::SourceConfig::Simulate(source)) = config.sources.first() else { panic!("a simulator") };
    let mut sim = veille_sources::Simulator::new(source.clone(), start - chrono::Duration::seconds(HISTORY_S));
    let mut n = 0;
    while sim.next_mention().created_at < until {
        n += 1;
    }
    n
}

/// What every Kafka role shares.
fn kafka(broker: &str, data: &Path) -> String {
    format!(
        r#"
[data]
dir = "{data}"
[bus]
kind = "kafka"
batch_size = 500
[bus.kafka]
brokers = ["{broker}"]
group_id = "veille-judgement"
signals_group_id = "veille-judgement-signals"
partitions = 4
[bus.kafka.properties]
"batch.num.messages" = "1"
"session.timeout.ms" = "6000"
"heartbeat.interval.ms" = "500"
[index]
commit_every_docs = 5000
commit_every_ms = 300
writer_memory_mb = 32
writer_threads = 1
"#,
        data = data.display()
    )
}

fn receivers(am: &str, hook: &str) -> String {
    format!(
        "[alerts]\nbackoff_min_ms = 200\nbackoff_max_ms = 2000\n[[alerts.alertmanager]]\nname = \"am\"\nurl = \"{am}\"\n\
         [[alerts.webhook]]\nname = \"hook\"\nurl = \"{hook}\"\nsecret = \"s3cret-for-the-test\"\n"
    )
}

fn write(dir: &Path, name: &str, toml: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, toml).unwrap();
    path
}

/// GET `url` with the admin key: the JSON body of a 200, `None` otherwise (a role that is
/// restarting does not answer yet).
fn try_get(url: &str) -> Option<Value> {
    let resp = reqwest::blocking::Client::new()
        .get(url)
        .bearer_auth(common::server::ADMIN_KEY)
        .timeout(Duration::from_secs(10))
        .send()
        .ok()?;
    if !resp.status().is_success() {
        return None;
    }
    resp.json().ok()
}

/// (watch, rule, start, incident) of every alert of `workspace` an API at `base` holds.
fn alert_set(base: &str, workspace: &str) -> BTreeSet<(String, String, String, String)> {
    let Some(body) = try_get(&format!("{base}/api/v1/alerts?state=all&workspace={workspace}")) else {
        return BTreeSet::new();
    };
    body["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap_or_default().to_string();
            (s("watch"), s("rule"), s("starts_at"), s("incident"))
        })
        .collect()
}

/// The top-10 key nodes of `workspace` at `base`: handle → score.
fn top_key_nodes(base: &str, workspace: &str) -> BTreeMap<String, f64> {
    let Some(body) = try_get(&format!("{base}/api/v1/keynodes?workspace={workspace}&limit=10")) else {
        return BTreeMap::new();
    };
    body["key_nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|k| {
            (
                format!("{}:{}", k["platform"].as_str().unwrap_or(""), k["handle"].as_str().unwrap_or("")),
                k["score"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

/// What the shards under `root` lack of the mentions topic, for a failure message: each shard's
/// documents and resume offset, and per partition the offsets whose mention no shard holds
/// (as ranges), read back from the broker by a group of its own.
fn missing(roles_toml: &str, root: &Path) -> String {
    use veille_bus::kafka::{KafkaGroupConsumer, OwnerError, PartitionOwner};
    struct FromTheStart;
    impl PartitionOwner for FromTheStart {
        fn assigned(&self, _: &str, _: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError> {
            Ok(BTreeMap::new())
        }
        fn revoked(&self, _: &str, _: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError> {
            Ok(BTreeMap::new())
        }
        fn lost(&self, _: &str, _: &[i32]) {}
    }
    let mut report = String::new();
    let mut held: HashSet<String> = HashSet::new();
    let mut dirs: Vec<_> = std::fs::read_dir(root).unwrap().flatten().map(|e| e.path()).collect();
    dirs.sort();
    for dir in dirs {
        match MentionIndex::open(&dir) {
            Ok(shard) => {
                let checkpoint = shard.checkpoint().map(|c| format!("{:?}", c.partitions)).unwrap_or_default();
                report +=
                    &format!("shard {}: {} documents, resumes at {checkpoint}\n", dir.display(), shard.num_docs());
                for workspace in [CRISIS, CALM] {
                    shard
                        .scan(workspace, "*", None, None, |m| {
                            held.insert(m.store_key());
                            true
                        })
                        .unwrap();
                }
            }
            Err(e) => report += &format!("shard {}: {e}\n", dir.display()),
        }
    }
    let mut config = veille_config::Config::from_toml_str(roles_toml, "roles.toml").unwrap().bus.kafka;
    config.group_id = format!("veille-diagnosis-{}", std::process::id());
    let consumer = KafkaGroupConsumer::join(&config, std::sync::Arc::new(FromTheStart)).unwrap();
    let mut records: BTreeMap<i32, Vec<(i64, Option<String>)>> = BTreeMap::new();
    let mut quiet = 0;
    while quiet < 50 {
        let batch = consumer.poll(5_000, Duration::from_millis(100)).unwrap();
        quiet = if batch.is_empty() { quiet + 1 } else { 0 };
        for c in batch {
            let key = match &c.record {
                veille_bus::Record::Mention(m) => Some(m.store_key()),
                veille_bus::Record::Dead(_) => None,
            };
            records.entry(c.partition).or_default().push((c.offset, key));
        }
    }
    let mut times: BTreeMap<&str, usize> = BTreeMap::new();
    for key in records.values().flatten().filter_map(|(_, k)| k.as_deref()) {
        *times.entry(key).or_default() += 1;
    }
    let repeated: Vec<_> = times.iter().filter(|(_, n)| **n > 1).take(5).collect();
    report += &format!("keys produced more than once: {repeated:?}\n");
    for (partition, list) in &records {
        let dead = list.iter().filter(|(_, k)| k.is_none()).count();
        let mut absent: Vec<(i64, i64)> = Vec::new();
        let mut keys = Vec::new();
        for (offset, key) in list {
            if let Some(k) = key.as_ref().filter(|k| !held.contains(*k)) {
                if keys.len() < 5 {
                    keys.push(k.clone());
                }
                match absent.last_mut() {
                    Some((_, end)) if *end + 1 == *offset => *end = *offset,
                    _ => absent.push((*offset, *offset)),
                }
            }
        }
        let last = list.last().map_or(-1, |(o, _)| *o);
        report += &format!(
            "partition {partition}: {} records up to offset {last}, {dead} dead letters; in no shard: {absent:?} \
             {keys:?}\n",
            list.len()
        );
    }
    report
}

fn has_spike(alerts: &BTreeSet<(String, String, String, String)>) -> bool {
    alerts.iter().any(|(watch, rule, _, _)| watch == "acme" && rule == "volume_spike")
}

#[cfg(unix)]
#[test]
fn scaled_out_signals_raise_the_alerts_and_name_the_key_nodes_of_one_machine_through_kills() {
    let Some(broker) = common::broker::start() else { return };
    if alertmanager_binary().is_none() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (paged_addr, hook_addr) =
        (format!("127.0.0.1:{}", free_port()).parse().unwrap(), format!("127.0.0.1:{}", free_port()).parse().unwrap());
    let paged = receive(&rt, paged_addr);
    let hook = receive(&rt, hook_addr);
    let (_am_process, am) = start_alertmanager(dir.path(), paged_addr, "'workspace'");

    // Live from `start`, the burst `after_s` later: long enough for the history to go through.
    let start = Utc::now() + chrono::Duration::seconds(50);
    let after_s = 30;
    let burst = start + chrono::Duration::seconds(after_s);
    // Both streams end a little after the burst, just before a minute (a bucket) ends, so
    // both runs end on the same input and close the same last bucket.
    let after_burst = (burst + chrono::Duration::seconds(65)).timestamp();
    let end = DateTime::from_timestamp(after_burst - after_burst.rem_euclid(60) + 59, 0).unwrap();
    let counts: BTreeMap<&str, u64> =
        [CRISIS, CALM].into_iter().map(|w| (w, mentions_before(w, start, after_s, end))).collect();
    let count = |workspace: &str| counts.get(workspace).copied();

    // One machine, one run per workspace (each source is its workspace's whole stream).
    let mut embedded = BTreeMap::new();
    for workspace in [CRISIS, CALM] {
        let port = free_port();
        let data = dir.path().join(format!("embedded-{workspace}"));
        let toml = format!(
            "[data]\ndir = \"{}\"\n[index]\ncommit_every_ms = 500\n[server]\nlisten = \"127.0.0.1:{port}\"\n{WORKSPACES}{}",
            data.display(),
            simulator(workspace, start, after_s, count(workspace))
        );
        let config = write(dir.path(), &format!("embedded-{workspace}.toml"), &toml);
        let role = Role::start(&format!("embedded {workspace}"), &["run", "--config", config.to_str().unwrap()]);
        embedded.insert(workspace, (role, format!("http://127.0.0.1:{port}"), data));
    }

    // The same streams scaled out.
    let shared = dir.path().join("shared");
    let roles = write(
        dir.path(),
        "roles.toml",
        &format!(
            "{}{WORKSPACES}{}",
            kafka(&broker.address, &shared),
            receivers(&am, &format!("http://{hook_addr}/veille"))
        ),
    );
    let ingest = |workspace: &str| {
        let data = dir.path().join(format!("ingest-{workspace}"));
        let toml = format!(
            "{}{WORKSPACES}{}",
            kafka(&broker.address, &data),
            simulator(workspace, start, after_s, count(workspace))
        );
        write(dir.path(), &format!("ingest-{workspace}.toml"), &toml)
    };
    let roles_arg = roles.to_str().unwrap().to_string();
    let listen = |port: u16| format!("127.0.0.1:{port}");
    let logs = std::env::var_os("VEILLE_TEST_LOGS").map(PathBuf::from);
    let start_role = |name: &str, role: &str, port: u16| {
        let args = [role, "--config", &roles_arg, "--listen", &listen(port)];
        match &logs {
            Some(dir) => Role::start_logged(name, &args, &dir.join(format!("{role}-{port}.log"))),
            None => Role::start(name, &args),
        }
    };
    let signal_ports = [free_port(), free_port()];
    let mut owners: Vec<Role> = signal_ports
        .iter()
        .enumerate()
        .map(|(i, &p)| start_role(&format!("signals owner {i}"), "signals", p))
        .collect();
    let process_ports = [free_port(), free_port(), free_port()];
    let mut processors: Vec<Role> =
        process_ports.iter().enumerate().map(|(i, &p)| start_role(&format!("processor {i}"), "process", p)).collect();
    let (ingest_crisis, ingest_calm) = (ingest(CRISIS), ingest(CALM));
    let _workers = [
        Role::start(
            "ingest worker 0",
            &["ingest", "--config", ingest_crisis.to_str().unwrap(), "--listen", &listen(free_port())],
        ),
        Role::start(
            "ingest worker 1",
            &["ingest", "--config", ingest_calm.to_str().unwrap(), "--listen", &listen(free_port())],
        ),
    ];
    for (_, base, _) in embedded.values() {
        wait_ready(base);
    }
    let owner_bases: Vec<String> = signal_ports.iter().map(|p| format!("http://{}", listen(*p))).collect();
    for base in &owner_bases {
        wait_ready(base);
    }

    // Mid-burst: a processor and the crisis workspace's signals owner die, and come back.
    let mid = burst + chrono::Duration::seconds(25);
    while Utc::now() < mid {
        std::thread::sleep(Duration::from_millis(200));
    }
    let crisis_owner = owner_bases
        .iter()
        .position(|base| !top_key_nodes(base, CRISIS).is_empty())
        .expect("a signals owner judges the crisis workspace");
    processors[0].kill();
    owners[crisis_owner].kill();
    // Their groups notice after the session timeout and hand their partitions over; then
    // they come back and take a share again.
    std::thread::sleep(Duration::from_secs(10));
    processors[0] = start_role("processor 0 (restarted)", "process", process_ports[0]);
    owners[crisis_owner] = start_role("crisis signals owner (restarted)", "signals", signal_ports[crisis_owner]);

    // Both runs see the spike; then the burst ends and both settle.
    let kafka_alerts =
        |workspace: &str| -> BTreeSet<_> { owner_bases.iter().flat_map(|base| alert_set(base, workspace)).collect() };
    wait_until("the embedded run to raise the spike", Duration::from_secs(240), || {
        has_spike(&alert_set(&embedded[CRISIS].1, CRISIS))
    });
    wait_until("the signals owners to raise the spike", Duration::from_secs(120), || has_spike(&kafka_alerts(CRISIS)));
    // The streams end; the last facts are released and the last buckets close (ten seconds
    // of allowed lateness).
    let settled = end + chrono::Duration::seconds(20);
    while Utc::now() < settled {
        std::thread::sleep(Duration::from_millis(500));
    }

    // The same alerts, in one incident per crisis.
    for workspace in [CRISIS, CALM] {
        let one = alert_set(&embedded[workspace].1, workspace);
        let scaled = kafka_alerts(workspace);
        assert_eq!(scaled, one, "{workspace}: alerts scaled out (left) and on one machine (right)");
    }
    let crisis_alerts = alert_set(&embedded[CRISIS].1, CRISIS);
    let burst_alerts: BTreeSet<_> = crisis_alerts
        .iter()
        .filter(|(_, _, starts, _)| {
            DateTime::parse_from_rfc3339(starts).is_ok_and(|t| t >= burst - chrono::Duration::minutes(2))
        })
        .collect();
    let incidents: BTreeSet<_> = burst_alerts.iter().map(|(_, _, _, incident)| incident.clone()).collect();
    assert_eq!(incidents.len(), 1, "the crisis is one incident: {burst_alerts:?}");
    eprintln!("alerts: {crisis_alerts:?}");

    // Delivered once each: the webhook saw every notice once, Alertmanager one group.
    let deliveries: Vec<(String, String)> = hook
        .lock()
        .unwrap()
        .iter()
        .map(|(_, _, body)| {
            let v: Value = serde_json::from_slice(body).unwrap();
            (
                v["delivery"].as_str().unwrap_or_default().to_string(),
                v["alert"]["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let unique: HashSet<&String> = deliveries.iter().map(|(d, _)| d).collect();
    assert_eq!(unique.len(), deliveries.len(), "a notice reached the webhook twice: {deliveries:?}");
    let notified: BTreeSet<&String> = deliveries.iter().map(|(_, id)| id).collect();
    let (_, listed) = get(&format!("{}/api/v1/alerts?state=all&workspace={CRISIS}", owner_bases[crisis_owner]));
    let ids: BTreeSet<String> = listed["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["notifications"].as_u64().unwrap_or(0) > 0 || a["state"] != "pending")
        .filter_map(|a| a["id"].as_str().map(str::to_string))
        .collect();
    assert!(ids.iter().all(|id| notified.contains(id)), "alerts {ids:?} not all notified: {notified:?}");
    let (_, in_am) = get(&format!("{am}/api/v2/alerts/groups"));
    let groups: Vec<&Value> =
        in_am.as_array().into_iter().flatten().filter(|g| g["labels"]["workspace"] == CRISIS).collect();
    assert_eq!(groups.len(), 1, "Alertmanager holds one group for the crisis: {in_am}");
    let am_alerts = groups[0]["alerts"].as_array().cloned().unwrap_or_default();
    let mut fingerprints: Vec<&str> = am_alerts.iter().filter_map(|a| a["fingerprint"].as_str()).collect();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), am_alerts.len(), "an alert twice in Alertmanager");
    assert!(
        paged.lock().unwrap().iter().any(|(_, _, body)| serde_json::from_slice::<Value>(body)
            .is_ok_and(|v| v["commonLabels"]["workspace"] == CRISIS)),
        "Alertmanager paged the on-call receiver"
    );

    // The same key nodes.
    for workspace in [CRISIS, CALM] {
        let one = top_key_nodes(&embedded[workspace].1, workspace);
        let scaled =
            owner_bases.iter().map(|b| top_key_nodes(b, workspace)).find(|k| !k.is_empty()).unwrap_or_default();
        assert_eq!(one.len(), 10, "{workspace}: {one:?}");
        assert_eq!(scaled.keys().collect::<Vec<_>>(), one.keys().collect::<Vec<_>>(), "{workspace}: top-10 key nodes");
        for (handle, score) in &one {
            assert!((scaled[handle] - score).abs() <= 1e-3, "{workspace} {handle}: {} vs {score}", scaled[handle]);
        }
    }

    // Every mention indexed exactly once: the shards hold what the embedded index holds,
    // without a duplicate. The processors stop once the shards hold the whole stream.
    let total: u64 = counts.values().sum();
    let shards = shared.join("shards");
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    loop {
        let seen = match MentionIndex::open_sharded(&shards) {
            Ok(v) if v.num_docs() >= total => break,
            Ok(v) => format!("the shards hold {} of {total} mentions", v.num_docs()),
            Err(e) => format!("the shards do not open: {e}"),
        };
        if std::time::Instant::now() >= deadline {
            let config = std::fs::read_to_string(&roles).unwrap();
            panic!("the processors did not index the whole stream: {seen}\n{}", missing(&config, &shards));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    for p in processors.iter_mut() {
        p.terminate();
    }
    let view = MentionIndex::open_sharded(&shared.join("shards")).unwrap();
    for workspace in [CRISIS, CALM] {
        let mut keys = HashSet::new();
        let mut duplicates = 0;
        view.scan(workspace, "*", None, None, |m| {
            duplicates += u64::from(!keys.insert(m.key().to_string()));
            true
        })
        .unwrap();
        assert_eq!(duplicates, 0, "{workspace}: mentions indexed twice");
        let (mut role, _, data) = embedded.remove(workspace).unwrap();
        role.terminate();
        let one = MentionIndex::open(&data.join("index")).unwrap();
        let mut single = HashSet::new();
        one.scan(workspace, "*", None, None, |m| {
            single.insert(m.key().to_string());
            true
        })
        .unwrap();
        assert!(single.len() > 30_000, "{workspace}: {} mentions", single.len());
        let only_scaled: Vec<_> = keys.difference(&single).take(5).collect();
        let only_one: Vec<_> = single.difference(&keys).take(5).collect();
        assert!(
            only_scaled.is_empty() && only_one.is_empty(),
            "{workspace}: scaled out {} mentions, one machine {}; only scaled out: {only_scaled:?}, only on one \
             machine: {only_one:?}",
            keys.len(),
            single.len()
        );
    }
    for o in owners.iter_mut() {
        o.terminate();
    }
}
