//! The Kafka transport against a real broker: every produced mention ends up
//! exactly once in the offsets the processors made durable, through a crash,
//! a hand-over and resumes from stored offsets in the middle of the stream.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod broker;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use veille_bus::kafka::{ensure_topics, KafkaGroupConsumer, KafkaSink, OwnerError, PartitionOwner};
use veille_bus::{Batch, Record};
use veille_config::KafkaConfig;
use veille_model::{DeadLetter, Mention, Origin};

const MENTIONS: usize = 20_000;
/// Records a member takes between two durable commits: never a round number,
/// so resume points fall anywhere.
const COMMIT_EVERY: usize = 777;

fn config(broker: &str) -> KafkaConfig {
    let mut config = KafkaConfig { brokers: vec![broker.to_string()], partitions: 4, ..KafkaConfig::default() };
    config.group_id = "veille-test-processors".into();
    for (key, value) in [
        // tansu serves a fetch from the batch *after* the requested offset:
        // one record per batch makes every offset a batch start.
        ("batch.num.messages", "1"),
        ("heartbeat.interval.ms", "300"),
        ("session.timeout.ms", "6000"),
        ("statistics.interval.ms", "500"),
    ] {
        config.properties.insert(key.into(), value.into());
    }
    config
}

fn mention(i: usize) -> Mention {
    let json = format!(
        r#"{{"platform":"x","native_id":"{i}","text":"mention {i} of @acme","created_at":"2026-01-02T03:04:05Z","author":{{"handle":"author{}"}}}}"#,
        i % 97
    );
    Mention::from_json(&json).unwrap_or_else(|e| panic!("mention {i}: {e}"))
}

/// The durable state of one partition's shard: what a tantivy commit holds.
#[derive(Debug, Default)]
struct Shard {
    next: i64,
    offsets: Vec<i64>,
    keys: Vec<String>,
}

/// Every shard, whichever member committed it.
#[derive(Debug, Default)]
struct Shards {
    parts: Mutex<BTreeMap<i32, Shard>>,
    violations: Mutex<Vec<String>>,
}

impl Shards {
    fn durable(&self) -> usize {
        self.parts.lock().unwrap().values().map(|s| s.offsets.len()).sum()
    }
}

/// One processor: records consumed since its last commit, per partition.
struct Member {
    name: &'static str,
    shards: Arc<Shards>,
    pending: Mutex<BTreeMap<i32, Vec<(i64, String)>>>,
    /// A crashed member makes nothing durable any more.
    crashed: AtomicBool,
    discarded: AtomicUsize,
    /// Commits that made records of this member durable.
    commits: AtomicUsize,
    assignments: AtomicUsize,
    /// Partitions in the latest assignment.
    owned: AtomicUsize,
    resumed_at: Mutex<Vec<(i32, i64)>>,
}

impl Member {
    fn new(name: &'static str, shards: Arc<Shards>) -> Arc<Self> {
        Arc::new(Member {
            name,
            shards,
            pending: Mutex::default(),
            crashed: AtomicBool::new(false),
            discarded: AtomicUsize::new(0),
            commits: AtomicUsize::new(0),
            assignments: AtomicUsize::new(0),
            owned: AtomicUsize::new(0),
            resumed_at: Mutex::default(),
        })
    }

    fn absorb(&self, consumed: Vec<veille_bus::kafka::Consumed>) {
        let mut pending = self.pending.lock().unwrap();
        for c in consumed {
            let key = match c.record {
                Record::Mention(m) => m.key().as_str().to_string(),
                Record::Dead(d) => format!("dead:{}", d.origin.location),
            };
            pending.entry(c.partition).or_default().push((c.offset, key));
        }
    }

    fn pending_len(&self) -> usize {
        self.pending.lock().unwrap().values().map(Vec::len).sum()
    }

    /// Makes the pending records of `partitions` (all when `None`) durable, as a shard commit does.
    fn commit(&self, partitions: Option<&[i32]>) -> BTreeMap<i32, i64> {
        let mut pending = self.pending.lock().unwrap();
        let mut parts = self.shards.parts.lock().unwrap();
        let mut durable = BTreeMap::new();
        let chosen: Vec<i32> = pending.keys().copied().filter(|p| partitions.is_none_or(|ps| ps.contains(p))).collect();
        for p in chosen {
            let records = pending.remove(&p).unwrap_or_default();
            let shard = parts.entry(p).or_default();
            for (offset, key) in records {
                if offset != shard.next {
                    self.shards.violations.lock().unwrap().push(format!(
                        "{}: partition {p}: offset {offset} committed after {} (expected {})",
                        self.name,
                        shard.next - 1,
                        shard.next
                    ));
                }
                shard.offsets.push(offset);
                shard.keys.push(key);
                shard.next = offset + 1;
            }
            durable.insert(p, shard.next);
        }
        if !durable.is_empty() {
            self.commits.fetch_add(1, Ordering::SeqCst);
        }
        durable
    }
}

impl PartitionOwner for Member {
    fn assigned(&self, _topic: &str, partitions: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError> {
        self.assignments.fetch_add(1, Ordering::SeqCst);
        self.owned.store(partitions.len(), Ordering::SeqCst);
        let parts = self.shards.parts.lock().unwrap();
        let starts: BTreeMap<i32, i64> = partitions.iter().filter_map(|p| parts.get(p).map(|s| (*p, s.next))).collect();
        self.resumed_at.lock().unwrap().extend(starts.iter().map(|(p, o)| (*p, *o)));
        Ok(starts)
    }

    fn revoked(&self, _topic: &str, partitions: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError> {
        if self.crashed.load(Ordering::SeqCst) {
            self.lost(_topic, partitions);
            return Ok(BTreeMap::new());
        }
        Ok(self.commit(Some(partitions)))
    }

    fn lost(&self, _topic: &str, partitions: &[i32]) {
        let mut pending = self.pending.lock().unwrap();
        for p in partitions {
            let gone = pending.remove(p).map_or(0, |v| v.len());
            self.discarded.fetch_add(gone, Ordering::SeqCst);
        }
    }
}

/// Runs a member on its own thread until `stop`; when `crash` is also set it
/// dies with records consumed and not yet durable.
fn spawn(config: &KafkaConfig, member: Arc<Member>, stop: Arc<AtomicBool>, crash: bool) -> JoinHandle<()> {
    let config = config.clone();
    std::thread::spawn(move || {
        let consumer = KafkaGroupConsumer::join(&config, member.clone()).unwrap_or_else(|e| panic!("{e}"));
        loop {
            let consumed = consumer.poll(100, Duration::from_millis(200)).unwrap_or_else(|e| panic!("{e}"));
            let idle = consumed.is_empty();
            member.absorb(consumed);
            if stop.load(Ordering::SeqCst) && (!crash || member.pending_len() > 0) {
                break;
            }
            // Commit every COMMIT_EVERY records, and whatever waits once the stream is idle.
            if member.pending_len() >= COMMIT_EVERY || (idle && member.pending_len() > 0) {
                let durable = member.commit(None);
                consumer.commit(&durable).unwrap_or_else(|e| panic!("{e}"));
            }
            // Slow enough that the rebalances below happen mid-stream.
            std::thread::sleep(Duration::from_millis(40));
        }
        if crash {
            member.crashed.store(true, Ordering::SeqCst);
        }
        consumer.close().unwrap_or_else(|e| panic!("{e}"));
    })
}

fn wait_until(what: &str, shards: &Shards, deadline: Instant, done: impl Fn() -> bool) {
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {} records durable, offsets out of sequence: {:?}",
            shards.durable(),
            shards.violations.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn every_mention_is_made_durable_exactly_once_through_crash_hand_over_and_resumes() {
    let Some(broker) = broker::start() else { return };
    let config = config(&broker.address);
    let rt = tokio::runtime::Runtime::new().unwrap();

    // Ingest: 20,000 mentions in batches, plus one dead letter and one malformed message.
    let started = Instant::now();
    rt.block_on(async {
        ensure_topics(&config).await.unwrap_or_else(|e| panic!("{e}"));
        let sink = KafkaSink::new(&config).unwrap_or_else(|e| panic!("{e}"));
        for chunk in (0..MENTIONS).collect::<Vec<_>>().chunks(1_000) {
            let mut records: Vec<Record> = chunk.iter().map(|&i| Record::Mention(Box::new(mention(i)))).collect();
            if chunk[0] == 0 {
                let origin = Origin { source: "replay".into(), location: "line 1".into() };
                records.push(Record::Dead(Box::new(DeadLetter::new(origin, "text is missing", "{}"))));
            }
            let acked = sink.send_batch(&Batch::new("replay", records, None)).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(acked.mentions, chunk.len());
            assert_eq!(acked.dead, usize::from(chunk[0] == 0));
        }
        let raw: FutureProducer = ClientConfig::new().set("bootstrap.servers", &broker.address).create().unwrap();
        raw.send(FutureRecord::to(&config.topics.mentions).key("junk").payload("not json"), Duration::from_secs(10))
            .await
            .unwrap_or_else(|(e, _)| panic!("{e}"));
    });
    let produce_s = started.elapsed().as_secs_f64();
    println!("produced {MENTIONS} mentions in {produce_s:.2} s ({:.0}/s)", MENTIONS as f64 / produce_s);
    let total = MENTIONS + 1;

    // Two processors share the four partitions; B crashes with records not yet durable.
    let shards = Arc::new(Shards::default());
    // A liveness bound, not a speed check: a crashed member is noticed after the session timeout.
    let deadline = Instant::now() + Duration::from_secs(300);
    let (a, b, c) =
        (Member::new("a", shards.clone()), Member::new("b", shards.clone()), Member::new("c", shards.clone()));
    let (stop_a, stop_b, stop_c) = (Arc::default(), Arc::new(AtomicBool::new(false)), Arc::default());
    let consuming = Instant::now();
    let thread_a = spawn(&config, a.clone(), Arc::clone(&stop_a), false);
    let thread_b = spawn(&config, b.clone(), Arc::clone(&stop_b), true);
    // B must have made some of its partitions durable, so that A resumes them mid-stream.
    wait_until("both members to make records durable", &shards, deadline, || {
        shards.durable() >= 4_000 && b.commits.load(Ordering::SeqCst) > 0 && b.pending_len() > 0
    });
    stop_b.store(true, Ordering::SeqCst);
    thread_b.join().unwrap();
    assert!(b.discarded.load(Ordering::SeqCst) > 0, "b must crash with records not yet durable");

    // A takes over B's partitions from their stored offsets; later C joins and A hands partitions over.
    wait_until("a to take over b's partitions", &shards, deadline, || a.owned.load(Ordering::SeqCst) == 4);
    let thread_c = spawn(&config, c.clone(), Arc::clone(&stop_c), false);
    wait_until("c to join and every record to be durable", &shards, deadline, || {
        c.assignments.load(Ordering::SeqCst) >= 1 && shards.durable() >= total
    });
    let consume_s = consuming.elapsed().as_secs_f64();
    stop_a.store(true, Ordering::SeqCst);
    stop_c.store(true, Ordering::SeqCst);
    thread_a.join().unwrap();
    thread_c.join().unwrap();
    println!("consumed {total} records through 3 rebalances in {consume_s:.2} s (throttled members)");

    // Exactly once: each partition's durable offsets are 0, 1, 2, ... with no gap and no repeat.
    let violations = shards.violations.lock().unwrap().clone();
    assert!(violations.is_empty(), "offsets out of sequence: {violations:#?}");
    let parts = shards.parts.lock().unwrap();
    assert_eq!(parts.len(), 4, "every partition received mentions");
    for (p, shard) in parts.iter() {
        let expected: Vec<i64> = (0..shard.offsets.len() as i64).collect();
        assert_eq!(shard.offsets, expected, "partition {p}");
    }
    let keys: Vec<&String> = parts.values().flat_map(|s| &s.keys).collect();
    let unique: BTreeSet<&String> = keys.iter().copied().collect();
    assert_eq!(keys.len(), total, "records made durable");
    assert_eq!(unique.len(), total, "each record made durable once");
    for i in 0..MENTIONS {
        assert!(unique.contains(&format!("x:{i}")), "mention x:{i} is missing");
    }
    let dead: Vec<&&String> = unique.iter().filter(|k| k.starts_with("dead:")).collect();
    assert_eq!(dead.len(), 1, "the malformed message is a dead letter, not dropped");
    assert!(dead[0].starts_with("dead:topic veille.mentions.raw partition "), "{}", dead[0]);

    // The resumes were in the middle of partitions, where a mid-batch skip would show.
    let resumed: Vec<(i32, i64)> = [&a, &c].iter().flat_map(|m| m.resumed_at.lock().unwrap().clone()).collect();
    let mid_stream = resumed.iter().filter(|(p, o)| *o > 0 && *o < parts[p].next).count();
    assert!(mid_stream >= 1, "a resume from a stored offset mid-stream: {resumed:?}");
    assert!(a.assignments.load(Ordering::SeqCst) >= 2, "a took over b's partitions, then shared them with c");
    assert!(c.assignments.load(Ordering::SeqCst) >= 1);
}
