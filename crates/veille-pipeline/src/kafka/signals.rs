//! The signals owner role: judges each workspace over its whole stream.
//!
//! ```text
//! veille process × M ──facts, keyed by workspace──▶ veille.signals (K partitions) ──▶ veille signals × S
//!   per-mention work,                                                                 (one consumer group)
//!   shard commit after                                              merge in event time, key nodes, signals,
//!   the facts' ack                                                  alerts, incidents, notifiers
//! ```
//!
//! Every fact of a workspace is in one partition of the signals topic, and every partition has
//! one owner in the signals group: one owner judges each workspace, whatever the number of
//! processors, so one crisis opens one incident and pages once.
//!
//! **Merging.** Facts of a workspace arrive from several processors, each at its own pace. An
//! owner holds them and releases them in event time: a fact is released once every partition
//! of the mentions topic has sent a fact at least as recent (what a slower processor still owes
//! cannot be older), or once it waited on the wall clock: [`MERGE_HOLD`] for a live fact, the
//! catch-up hold (twice the group's session timeout, at least [`CATCH_UP_MIN_HOLD`]) for a
//! fact from the past. History goes through in seconds, so a processor a few seconds behind
//! (joining the group, or replaced after a crash) owes hours of it: releasing without it would
//! make its facts late, and the owner would judge another stream than one machine. The
//! monitor, the alert book and the interaction graph thus read the stream in the order a
//! single machine would. A fact sent twice (a processor that died between publishing and its
//! shard commit: its successor publishes again) is dropped by its mention key.
//!
//! **State moves with the partition.** A partition's state lives in
//! `DATA_DIR/signals/TOPIC-PARTITION/` (a volume the owners share): the receivers' outboxes, the
//! ledger of notices sent and the read position. A new owner (after a rebalance or a crash)
//! reads the partition again from its start, so its series, baselines, incidents and graphs
//! are what its predecessor had. Every notice is checked against the ledger of notices sent:
//! one its predecessor sent is not sent again, one its predecessor never decided is sent now,
//! so Alertmanager and webhooks get each notice of the book once. Until it reaches the
//! predecessor's saved position, facts alone move time (no wall-clock ticks). The signals topic's retention bounds the
//! replay (it is created with `[signals] rebuild_s` plus a day).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use veille_alert::{AckError, Alert, AlertScope, AlertStore};
use veille_bus::kafka::{KafkaGroupConsumer, OwnerError, PartitionOwner, RawMessage};
use veille_config::Config;
use veille_graph::{CommunityQuery, CommunityReport, KeyNode, KeyNodeQuery, KeyNodeStore};
use veille_model::Mention;

use super::facts::{Fact, FACT_KIND};
use super::tables::{watches_by_workspace, AckCommand, Publisher, ACK_KIND};
use crate::{Alerts, Enricher, KeyNodes, PipelineError};

/// Longest a live fact waits for slower processors once it arrived, before it is released
/// anyway (a processor that died, a mentions partition that is quiet in a live stream).
pub const MERGE_HOLD: Duration = Duration::from_secs(3);
/// Shortest wait of a fact from the past (catching up on history) for slower processors.
pub const CATCH_UP_MIN_HOLD: Duration = Duration::from_secs(30);
/// A fact whose event time is this far behind the wall clock when it arrives is from the past.
const LIVE_LAG: chrono::Duration = chrono::Duration::seconds(60);
/// Most messages taken from one poll.
const POLL_MAX: usize = 2_000;
/// Longest wait for messages in one poll.
const POLL_WAIT: Duration = Duration::from_millis(100);
/// How often time moves on without facts, and positions are saved.
const TICK: Duration = Duration::from_secs(1);
/// File holding a partition's read position in its directory.
const POSITION_FILE: &str = "position";
/// How often key-node rankings are published.
const RANKINGS_EVERY: Duration = Duration::from_secs(5);
/// How long a stopping owner waits for its receivers to take the notices still queued.
const DELIVERY_GRACE: Duration = Duration::from_secs(5);

/// Holds a workspace's facts until every mentions partition has moved past them (or they
/// waited [`MERGE_HOLD`]), then releases them in event-time order; drops facts seen before.
struct Merge {
    /// Facts waiting, by event time (µs) and mention key.
    pending: BTreeMap<(i64, String), Mention>,
    /// Event times (µs) of the live facts waiting, in arrival order, with their arrival.
    live: VecDeque<(Instant, i64)>,
    /// The same for the facts from the past.
    past: VecDeque<(Instant, i64)>,
    /// How long a fact from the past waits.
    catch_up_hold: Duration,
    /// Newest event time (µs) of the facts that waited their hold.
    forced: i64,
    /// Newest event time (µs) each mentions partition sent.
    high: BTreeMap<i32, i64>,
    /// Partitions of the mentions topic.
    partitions: usize,
    /// Mention keys seen, with their event time (µs), for de-duplication.
    seen: HashMap<String, i64>,
    /// How long (µs of event time) a key is remembered.
    horizon_us: i64,
    /// Size of `seen` after its last pruning.
    pruned_at: usize,
}

impl Merge {
    fn new(partitions: usize, horizon_s: u64, catch_up_hold: Duration) -> Self {
        Merge {
            pending: BTreeMap::new(),
            live: VecDeque::new(),
            past: VecDeque::new(),
            catch_up_hold: catch_up_hold.max(MERGE_HOLD),
            forced: i64::MIN,
            high: BTreeMap::new(),
            partitions: partitions.max(1),
            seen: HashMap::new(),
            horizon_us: i64::try_from(horizon_s.saturating_mul(1_000_000)).unwrap_or(i64::MAX),
            pruned_at: 1024,
        }
    }

    /// Takes a fact that arrived at `now` (`wall` on the wall clock); false when its mention
    /// was seen before.
    fn push(&mut self, fact: Fact, now: Instant, wall: DateTime<Utc>) -> bool {
        let live = wall - fact.mention.created_at <= LIVE_LAG;
        let t = fact.mention.created_at.timestamp_micros();
        let high = self.high.entry(fact.partition).or_insert(t);
        *high = (*high).max(t);
        let key = fact.mention.key().as_str().to_string();
        if self.seen.insert(key.clone(), t).is_some() {
            return false;
        }
        self.pending.insert((t, key), fact.mention);
        if live { &mut self.live } else { &mut self.past }.push_back((now, t));
        true
    }

    /// The event time (µs) up to which facts are released: every mentions partition sent a
    /// fact at least that recent, or a fact that recent has waited long enough.
    fn watermark(&mut self, now: Instant) -> i64 {
        for (arrivals, hold) in [(&mut self.live, MERGE_HOLD), (&mut self.past, self.catch_up_hold)] {
            while let Some(&(arrived, t)) = arrivals.front() {
                if now.saturating_duration_since(arrived) < hold {
                    break;
                }
                self.forced = self.forced.max(t);
                arrivals.pop_front();
            }
        }
        let all_in = if self.high.len() >= self.partitions {
            self.high.values().copied().min().unwrap_or(i64::MIN)
        } else {
            i64::MIN
        };
        all_in.max(self.forced)
    }

    /// Takes out the facts at or before the watermark, oldest first.
    fn release(&mut self, now: Instant) -> Vec<Mention> {
        let w = self.watermark(now);
        let mut out = Vec::new();
        while let Some(entry) = self.pending.first_entry() {
            if entry.key().0 > w {
                break;
            }
            out.push(entry.remove());
        }
        if self.pending.is_empty() {
            self.live.clear();
            self.past.clear();
        }
        if self.seen.len() > 2 * self.pruned_at {
            let oldest = w.saturating_sub(self.horizon_us);
            self.seen.retain(|_, t| *t >= oldest);
            self.pruned_at = self.seen.len().max(1024);
        }
        out
    }
}

/// One workspace's judgement: its merge, graph, signals and alerts, and their receivers.
struct Judge {
    merge: Merge,
    alerts: Option<Alerts>,
    key_nodes: Option<KeyNodes>,
    delivery: Option<tokio::task::JoinHandle<()>>,
}

impl Judge {
    /// Feeds the released facts to the graph, then the alerts.
    fn apply(&mut self, now: Instant) {
        for mut mention in self.merge.release(now) {
            if let Some(k) = &mut self.key_nodes {
                k.enrich(&mut mention);
            }
            if let Some(a) = &self.alerts {
                a.observe(&mention);
            }
        }
    }

    fn stop(self) {
        if let Some(a) = &self.alerts {
            a.stop_delivery();
        }
        if let Some(d) = self.delivery {
            d.abort();
        }
    }
}

/// What an owner holds for one partition of the signals topic: the judges of its workspaces.
struct Part {
    dir: PathBuf,
    judges: BTreeMap<String, Judge>,
    /// The next offset to read.
    next: i64,
    /// The predecessor's saved position: decisions made while reading before it were notified.
    notified_until: i64,
}

impl Part {
    /// Reads one message of the partition.
    fn read(&mut self, message: &RawMessage, config: &Config, runtime: &tokio::runtime::Handle) -> Result<(), String> {
        self.next = message.offset + 1;
        if message.kind.as_deref() == Some(ACK_KIND) {
            return self.acknowledge(message);
        }
        if message.kind.as_deref() != Some(FACT_KIND) {
            return Ok(());
        }
        let payload = message.payload.as_deref().unwrap_or_default();
        let fact: Fact = serde_json::from_slice(payload).map_err(|e| format!("a fact that does not parse: {e}"))?;
        // The workspace names a directory: only a valid mention is judged.
        fact.mention.validate().map_err(|e| format!("a fact whose mention is invalid: {e}"))?;
        let workspace = fact.mention.workspace.clone();
        if !self.judges.contains_key(&workspace) {
            let judge = self.judge(&workspace, config, runtime)?;
            self.judges.insert(workspace.clone(), judge);
        }
        let Some(judge) = self.judges.get_mut(&workspace) else { return Ok(()) };
        let now = Instant::now();
        let outcome = if judge.merge.push(fact, now, Utc::now()) { "applied" } else { "duplicate" };
        metrics::FACTS.with_label_values(&[outcome]).inc();
        judge.apply(now);
        Ok(())
    }

    /// Applies an acknowledgement made through an API server, in order with the facts.
    fn acknowledge(&mut self, message: &RawMessage) -> Result<(), String> {
        let payload = message.payload.as_deref().unwrap_or_default();
        let ack: AckCommand =
            serde_json::from_slice(payload).map_err(|e| format!("an acknowledgement that does not parse: {e}"))?;
        let workspace = message.key.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
        let alerts = self.judges.get(workspace.as_ref()).and_then(|j| j.alerts.as_ref());
        match alerts.map(|a| a.ack(&ack.id, &ack.by)) {
            Some(Ok(_)) => tracing::info!(alert = %ack.id, by = %ack.by, "alert acknowledged"),
            Some(Err(error)) => tracing::warn!(alert = %ack.id, %error, "acknowledgement not applied"),
            None => tracing::warn!(alert = %ack.id, %workspace, "acknowledgement for a workspace with no alerts"),
        }
        Ok(())
    }

    /// Publishes the alert states and (when `rankings`) the key-node rankings of this
    /// partition's workspaces, once it has read what its predecessor judged.
    fn publish(
        &self,
        publisher: &mut Publisher,
        watches: &BTreeMap<String, Vec<String>>,
        rankings: bool,
    ) -> Result<(), veille_bus::kafka::KafkaError> {
        if self.next < self.notified_until {
            return Ok(());
        }
        for (workspace, judge) in &self.judges {
            if let Some(a) = &judge.alerts {
                publisher.alerts(&a.list(AlertScope::All, None))?;
            }
            if let (Some(k), true) = (&judge.key_nodes, rankings) {
                publisher.rankings(workspace, watches.get(workspace).map_or(&[][..], Vec::as_slice), k)?;
            }
        }
        Ok(())
    }

    /// A new judge for `workspace`, delivering from `DIR/WORKSPACE/`.
    fn judge(&self, workspace: &str, config: &Config, runtime: &tokio::runtime::Handle) -> Result<Judge, String> {
        let alerts = if config.signals.enabled && config.alerts.enabled {
            Some(Alerts::new(config).map_err(|e| e.to_string())?)
        } else {
            None
        };
        let key_nodes =
            if config.graph.enabled { Some(KeyNodes::new(&config.graph).map_err(|e| e.to_string())?) } else { None };
        let mut delivery = None;
        if let Some(a) = &alerts {
            let dir = self.dir.join(workspace);
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            a.notify_once(&dir).map_err(|e| e.to_string())?;
            let mut here = config.clone();
            here.data.dir = dir;
            let _runtime = runtime.enter();
            delivery = Some(a.deliver_to(&here).map_err(|e| e.to_string())?);
        }
        let merge = Merge::new(
            config.bus.kafka.partitions as usize,
            config.signals.rebuild_s.max(86_400),
            catch_up_hold(config),
        );
        Ok(Judge { merge, alerts, key_nodes, delivery })
    }

    /// Time moves on without facts: facts that waited long enough are released, buckets close.
    fn tick(&mut self) {
        if self.next < self.notified_until {
            // Still reading what the predecessor judged: its facts move time.
            return;
        }
        let now = Instant::now();
        for judge in self.judges.values_mut() {
            judge.apply(now);
            if let Some(a) = &judge.alerts {
                a.tick();
            }
            if let Some(k) = &judge.key_nodes {
                k.refresh_communities();
            }
        }
        metrics::PENDING.set(self.judges.values().map(|j| j.merge.pending.len() as i64).sum());
    }

    fn save_position(&self) -> Result<(), std::io::Error> {
        let path = self.dir.join(POSITION_FILE);
        let tmp = self.dir.join(format!("{POSITION_FILE}.tmp"));
        std::fs::write(&tmp, self.next.max(self.notified_until).to_string())?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &path)
    }

    fn undelivered(&self) -> usize {
        self.judges.values().filter_map(|j| j.alerts.as_ref()).map(Alerts::undelivered).sum()
    }
}

/// How long a fact from the past waits for a slower processor: twice the mentions group's
/// session timeout (the time a dead processor's partitions take to find a new owner), at
/// least [`CATCH_UP_MIN_HOLD`].
fn catch_up_hold(config: &Config) -> Duration {
    let session_ms = config.bus.kafka.properties.get("session.timeout.ms").and_then(|v| v.parse::<u64>().ok());
    // librdkafka's default session timeout.
    let session = Duration::from_millis(session_ms.unwrap_or(45_000));
    (session * 2).max(CATCH_UP_MIN_HOLD)
}

fn read_position(dir: &Path) -> Result<i64, String> {
    match std::fs::read_to_string(dir.join(POSITION_FILE)) {
        Ok(text) => text.trim().parse().map_err(|e| format!("position file holds `{}`: {e}", text.trim())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(format!("position file: {e}")),
    }
}

/// A member of the signals group: owns some partitions of the signals topic, and with them the
/// signals, alerts and key nodes of their workspaces. Clones share the same state; the API
/// reads alerts and key nodes from it ([`AlertStore`], [`KeyNodeStore`]).
#[derive(Clone)]
pub struct SignalsOwner {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    root: PathBuf,
    runtime: tokio::runtime::Handle,
    parts: Mutex<BTreeMap<i32, Part>>,
}

impl SignalsOwner {
    /// An owner for `config` (which must name the Kafka bus), keeping partition state under
    /// `DATA_DIR/signals/`. Must be called inside a Tokio runtime (receivers deliver on it).
    pub fn new(config: Config) -> Result<Self, PipelineError> {
        if config.bus.kind != veille_config::BusKind::Kafka {
            return Err(PipelineError::NotKafka);
        }
        // The configuration is checked now, not at the first assignment.
        Alerts::new(&config)?;
        KeyNodes::new(&config.graph)?;
        let root = config.data.dir.join("signals");
        std::fs::create_dir_all(&root).map_err(|error| PipelineError::SignalsState { path: root.clone(), error })?;
        let runtime = tokio::runtime::Handle::current();
        Ok(SignalsOwner { inner: Arc::new(Inner { config, root, runtime, parts: Mutex::new(BTreeMap::new()) }) })
    }

    fn parts(&self) -> MutexGuard<'_, BTreeMap<i32, Part>> {
        // Every update leaves the parts consistent, so a poisoned lock is still usable.
        self.inner.parts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Consumes until `cancel` fires, then saves every position, gives the receivers a grace
    /// period, and leaves the group.
    pub async fn run(self, cancel: CancellationToken) -> Result<(), PipelineError> {
        let owner = self.clone();
        let stop = cancel.clone();
        let worker = std::thread::Builder::new()
            .name("veille-signals".into())
            .spawn(move || owner.consume(&stop))
            .map_err(|_| PipelineError::Stage("signals"))?;
        let result = tokio::task::spawn_blocking(move || worker.join()).await;
        match result {
            Ok(Ok(r)) => r,
            _ => Err(PipelineError::Stage("signals")),
        }
    }

    fn consume(&self, cancel: &CancellationToken) -> Result<(), PipelineError> {
        let kafka = &self.inner.config.bus.kafka;
        let consumer = KafkaGroupConsumer::join_signals(kafka, Arc::new(self.clone()))?;
        let mut publisher = Publisher::new(kafka, self.inner.runtime.clone())?;
        let watches = watches_by_workspace(&self.inner.config);
        let mut ticked = Instant::now();
        let mut ranked = Instant::now();
        let outcome = loop {
            if cancel.is_cancelled() {
                break Ok(());
            }
            let messages = match consumer.poll_raw(POLL_MAX, POLL_WAIT) {
                Ok(m) => m,
                Err(e) => break Err(e),
            };
            {
                let mut parts = self.parts();
                for message in &messages {
                    let Some(part) = parts.get_mut(&message.partition) else { continue };
                    if let Err(reason) = part.read(message, &self.inner.config, &self.inner.runtime) {
                        metrics::FACTS.with_label_values(&["malformed"]).inc();
                        tracing::error!(partition = message.partition, offset = message.offset, %reason, "signals message skipped");
                    }
                }
            }
            if ticked.elapsed() >= TICK {
                self.tick_all();
                ticked = Instant::now();
                let rankings = ranked.elapsed() >= RANKINGS_EVERY;
                if rankings {
                    ranked = Instant::now();
                }
                for (partition, part) in self.parts().iter() {
                    if let Err(error) = part.publish(&mut publisher, &watches, rankings) {
                        tracing::warn!(partition, %error, "publishing alerts and key nodes");
                    }
                }
            }
        };
        if outcome.is_ok() {
            self.drain_deliveries();
        }
        // Leaving the group revokes every partition: positions are saved, delivery stops.
        let closed = consumer.close();
        outcome?;
        closed?;
        Ok(())
    }

    fn tick_all(&self) {
        let mut parts = self.parts();
        for (partition, part) in parts.iter_mut() {
            part.tick();
            if let Err(error) = part.save_position() {
                tracing::warn!(partition, %error, "saving the signals position");
            }
        }
    }

    /// Waits (a grace period at most) for the receivers to take the notices still queued.
    fn drain_deliveries(&self) {
        let deadline = Instant::now() + DELIVERY_GRACE;
        loop {
            let waiting: usize = self.parts().values().map(Part::undelivered).sum();
            if waiting == 0 {
                return;
            }
            if Instant::now() >= deadline {
                tracing::warn!(waiting, "alert notices not delivered yet; the partition's next owner sends them");
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn open_part(&self, topic: &str, partition: i32) -> Result<Part, OwnerError> {
        let fail = |reason: String| OwnerError { partition, reason };
        let dir = self.inner.root.join(format!("{topic}-{partition}"));
        std::fs::create_dir_all(&dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
        let notified_until = read_position(&dir).map_err(fail)?;
        Ok(Part { dir, judges: BTreeMap::new(), next: 0, notified_until })
    }

    fn close_part(partition: i32, part: Part, save: bool) -> Result<(), OwnerError> {
        let saved = if save { part.save_position() } else { Ok(()) };
        for judge in part.judges.into_values() {
            judge.stop();
        }
        saved.map_err(|e| OwnerError { partition, reason: format!("saving the position: {e}") })
    }
}

impl PartitionOwner for SignalsOwner {
    fn assigned(&self, topic: &str, partitions: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError> {
        let mut starts = BTreeMap::new();
        for &partition in partitions {
            if self.parts().contains_key(&partition) {
                continue;
            }
            let part = self.open_part(topic, partition)?;
            tracing::info!(
                partition,
                notified_until = part.notified_until,
                "signals partition taken: reading it from its start"
            );
            self.parts().insert(partition, part);
            // The whole partition is read again: state is rebuilt from the facts.
            starts.insert(partition, 0);
        }
        metrics::OWNED.set(self.parts().len() as i64);
        Ok(starts)
    }

    fn revoked(&self, _topic: &str, partitions: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError> {
        let mut positions = BTreeMap::new();
        for &partition in partitions {
            let Some(part) = self.parts().remove(&partition) else { continue };
            positions.insert(partition, part.next);
            Self::close_part(partition, part, true)?;
            tracing::info!(partition, next = positions.get(&partition), "signals partition handed over");
        }
        metrics::OWNED.set(self.parts().len() as i64);
        Ok(positions)
    }

    fn lost(&self, _topic: &str, partitions: &[i32]) {
        for &partition in partitions {
            if let Some(part) = self.parts().remove(&partition) {
                tracing::warn!(partition, "signals partition lost without a hand-over");
                let _ = Self::close_part(partition, part, false);
            }
        }
        metrics::OWNED.set(self.parts().len() as i64);
    }
}

impl AlertStore for SignalsOwner {
    fn list(&self, scope: AlertScope, workspace: Option<&str>) -> Vec<Alert> {
        let parts = self.parts();
        let all = parts
            .values()
            .flat_map(|p| p.judges.values())
            .filter_map(|j| j.alerts.as_ref())
            .flat_map(|a| a.list(AlertScope::All, workspace));
        veille_alert::select(all.collect::<Vec<_>>(), scope, workspace)
    }

    fn get(&self, id: &str) -> Option<Alert> {
        let parts = self.parts();
        let found =
            parts.values().flat_map(|p| p.judges.values()).filter_map(|j| j.alerts.as_ref()).find_map(|a| a.get(id));
        found
    }

    fn ack(&self, id: &str, by: &str) -> Result<Alert, AckError> {
        let parts = self.parts();
        let owner = parts
            .values()
            .flat_map(|p| p.judges.values())
            .filter_map(|j| j.alerts.as_ref())
            .find(|a| a.get(id).is_some());
        match owner {
            Some(a) => a.ack(id, by),
            None => Err(AckError::Unknown(id.to_string())),
        }
    }
}

impl KeyNodeStore for SignalsOwner {
    fn key_nodes(&self, workspace: &str, query: &KeyNodeQuery) -> Vec<KeyNode> {
        let parts = self.parts();
        let judge = parts.values().find_map(|p| p.judges.get(workspace));
        judge.and_then(|j| j.key_nodes.as_ref()).map(|k| k.key_nodes(workspace, query)).unwrap_or_default()
    }

    fn communities(&self, workspace: &str, query: &CommunityQuery) -> CommunityReport {
        let parts = self.parts();
        let judge = parts.values().find_map(|p| p.judges.get(workspace));
        judge.and_then(|j| j.key_nodes.as_ref()).map(|k| k.communities(workspace, query)).unwrap_or_default()
    }
}

mod metrics {
    use std::sync::LazyLock;

    use prometheus::{IntCounterVec, IntGauge};

    pub(super) static FACTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
        prometheus::register_int_counter_vec!(
            "veille_signals_facts_total",
            "Signal facts read by this owner, by outcome (applied, duplicate, malformed)",
            &["outcome"]
        )
        .unwrap_or_else(|e| panic!("metric registration: {e}"))
    });
    pub(super) static PENDING: LazyLock<IntGauge> = LazyLock::new(|| {
        prometheus::register_int_gauge!(
            "veille_signals_merge_pending",
            "Facts held until every mentions partition has moved past them"
        )
        .unwrap_or_else(|e| panic!("metric registration: {e}"))
    });
    pub(super) static OWNED: LazyLock<IntGauge> = LazyLock::new(|| {
        prometheus::register_int_gauge!(
            "veille_signals_partitions_owned",
            "Partitions of the signals topic (groups of workspaces) this owner judges"
        )
        .unwrap_or_else(|e| panic!("metric registration: {e}"))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(partition: i32, id: &str, at: &str) -> Fact {
        let json = format!(
            r#"{{"platform":"x","native_id":"{id}","workspace":"w","text":"t","created_at":"{at}","author":{{"handle":"a"}}}}"#
        );
        Fact { partition, mention: Mention::from_json(&json).unwrap() }
    }

    fn ids(released: &[Mention]) -> Vec<String> {
        released.iter().map(|m| m.key().as_str().trim_start_matches("x:").to_string()).collect()
    }

    /// The wall clock of these tests: a few seconds after the facts (a live stream).
    fn live() -> DateTime<Utc> {
        "2026-03-01T00:00:45Z".parse().unwrap()
    }

    #[test]
    fn facts_are_released_in_event_time_once_every_partition_moved_past_them() {
        let now = Instant::now();
        let mut merge = Merge::new(2, 86_400, CATCH_UP_MIN_HOLD);
        assert!(merge.push(fact(0, "a", "2026-03-01T00:00:10Z"), now, live()));
        assert!(merge.push(fact(0, "b", "2026-03-01T00:00:30Z"), now, live()));
        // Partition 1 has sent nothing: it may still owe older facts.
        assert!(merge.release(now).is_empty());
        assert!(merge.push(fact(1, "c", "2026-03-01T00:00:20Z"), now, live()));
        assert_eq!(ids(&merge.release(now)), ["a", "c"]);
        // A fact sent again (a processor that restarted) is dropped.
        assert!(!merge.push(fact(1, "a", "2026-03-01T00:00:10Z"), now, live()));
        assert!(merge.push(fact(1, "d", "2026-03-01T00:00:40Z"), now, live()));
        assert_eq!(ids(&merge.release(now)), ["b"]);
        assert_eq!(merge.pending.len(), 1);
    }

    #[test]
    fn a_live_fact_waits_for_a_silent_partition_at_most_the_hold() {
        let start = Instant::now();
        let mut merge = Merge::new(2, 86_400, CATCH_UP_MIN_HOLD);
        assert!(merge.push(fact(0, "b", "2026-03-01T00:00:20Z"), start, live()));
        assert!(merge.release(start + MERGE_HOLD / 2).is_empty());
        assert!(merge.push(fact(0, "a", "2026-03-01T00:00:10Z"), start + MERGE_HOLD / 2, live()));
        // The first arrival waited the hold: it and everything older go, in event time.
        assert_eq!(ids(&merge.release(start + MERGE_HOLD)), ["a", "b"]);
        assert!(merge.push(fact(0, "c", "2026-03-01T00:00:30Z"), start + MERGE_HOLD, live()));
        assert!(merge.release(start + MERGE_HOLD).is_empty());
    }

    #[test]
    fn a_fact_from_the_past_waits_for_a_slower_processor_longer() {
        let start = Instant::now();
        let hold = Duration::from_secs(40);
        let mut merge = Merge::new(2, 86_400, hold);
        // A day after the facts: catching up on history.
        let wall: DateTime<Utc> = "2026-03-02T00:00:00Z".parse().unwrap();
        assert!(merge.push(fact(0, "b", "2026-03-01T00:00:20Z"), start, wall));
        // The live hold is not enough: partition 1's processor may owe hours of history.
        assert!(merge.release(start + MERGE_HOLD * 2).is_empty());
        assert!(merge.push(fact(1, "a", "2026-03-01T00:00:10Z"), start + MERGE_HOLD * 3, wall));
        assert_eq!(ids(&merge.release(start + MERGE_HOLD * 3)), ["a"]);
        // Partition 1 went quiet: after the catch-up hold, `b` goes anyway.
        assert!(merge.release(start + hold - Duration::from_millis(1)).is_empty());
        assert_eq!(ids(&merge.release(start + hold)), ["b"]);
    }

    #[test]
    fn the_catch_up_hold_follows_the_session_timeout() {
        let mut config = Config::default();
        assert_eq!(catch_up_hold(&config), Duration::from_secs(90));
        config.bus.kafka.properties.insert("session.timeout.ms".into(), "6000".into());
        assert_eq!(catch_up_hold(&config), CATCH_UP_MIN_HOLD);
        config.bus.kafka.properties.insert("session.timeout.ms".into(), "60000".into());
        assert_eq!(catch_up_hold(&config), Duration::from_secs(120));
    }
}
