//! The processor role: a consumer-group member that enriches and indexes.
//!
//! A processor does the per-mention work (watches, sentiment, the index shard). What needs the
//! whole stream of a workspace (signals, alerts, key nodes) runs in the signals owners: the
//! processor publishes a [`Fact`] per mention to the signals topic, keyed by workspace, and
//! waits for the broker's acknowledgement of every fact before the shard commit that makes
//! its mention durable, so a committed mention always has its fact.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use veille_bus::kafka::{Consumed, KafkaError, KafkaGroupConsumer};
use veille_bus::Record;
use veille_config::Config;

use veille_bus::kafka::{KafkaSink, Pending};

use super::facts::{Fact, FACT_KIND};
use super::shards::ShardOwner;
use super::tables::{PublishedScores, SignalTables};
use crate::{metrics, Enricher, PipelineError, Progress, RunReport, Stages};

/// Most records taken from one poll.
const POLL_MAX: usize = 2_000;
/// Longest wait for records in one poll; also how often due commits are checked when idle.
const POLL_WAIT: Duration = Duration::from_millis(100);
/// How often shard sizes are published as metrics.
const SIZES_EVERY: Duration = Duration::from_secs(5);

/// A processor: joins the configured consumer group on the mentions topic,
/// enriches what it reads, and indexes it into the shards of the partitions
/// it owns, under `DATA_DIR/shards/`.
pub struct Processor {
    config: Config,
    root: PathBuf,
    enrichers: Vec<Box<dyn Enricher>>,
    tables: Option<SignalTables>,
    progress: Arc<Progress>,
}

impl Processor {
    /// A processor for `config` (which must name the Kafka bus, and whose topics must exist),
    /// with the enrichment steps the configuration enables; with `[graph]`, mentions are
    /// stamped with the key-node scores the signals owners publish. Must be called inside a
    /// Tokio runtime.
    pub fn new(config: Config) -> Result<Self, PipelineError> {
        if config.bus.kind != veille_config::BusKind::Kafka {
            return Err(PipelineError::NotKafka);
        }
        let mut enrichers = Stages::per_mention(&config)?;
        let tables = wants_facts(&config).then(|| SignalTables::start(&config.bus.kafka)).transpose()?;
        if let (Some(t), true) = (&tables, config.graph.enabled) {
            enrichers.push(Box::new(PublishedScores(t.clone())));
        }
        let root = super::shards_root(&config.data.dir);
        Ok(Processor { config, root, enrichers, tables, progress: Arc::new(Progress::default()) })
    }

    /// The alerts and key nodes the signals owners publish (for the API), when signals or
    /// key nodes are enabled.
    pub fn tables(&self) -> Option<SignalTables> {
        self.tables.clone()
    }

    /// Live counters.
    pub fn progress(&self) -> Arc<Progress> {
        self.progress.clone()
    }

    /// Consumes until `cancel` fires, then commits every owned shard and leaves the group.
    pub async fn run(self, cancel: CancellationToken) -> Result<RunReport, PipelineError> {
        let Processor { config, root, enrichers, tables: _, progress } = self;
        let owner = Arc::new(ShardOwner::new(&root, config.index.clone(), progress.clone()));
        let kafka = config.bus.kafka.clone();
        let stop = cancel.clone();
        let sizes_root = root.clone();
        let facts = wants_facts(&config).then(|| KafkaSink::new(&kafka)).transpose()?.map(|sink| FactSink {
            sink,
            topic: kafka.topics.signals.clone(),
            pending: Pending::default(),
            runtime: tokio::runtime::Handle::current(),
            unsettled: Vec::new(),
        });
        let worker = std::thread::Builder::new()
            .name("veille-process".into())
            .spawn(move || consume(&kafka, owner, enrichers, facts, &stop, &sizes_root))
            .map_err(|_| PipelineError::Stage("process"))?;
        let result = tokio::task::spawn_blocking(move || worker.join()).await;
        match result {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => return Err(e),
            _ => return Err(PipelineError::Stage("process")),
        }
        Ok(RunReport {
            indexed: progress.indexed.load(Ordering::Relaxed),
            deadlettered: progress.deadlettered.load(Ordering::Relaxed),
            commits: progress.commits.load(Ordering::Relaxed),
            sources: Default::default(),
        })
    }
}

/// Whether anything reads the signals topic: signals with alerts, or key nodes.
fn wants_facts(config: &Config) -> bool {
    (config.signals.enabled && config.alerts.enabled) || config.graph.enabled
}

/// How many times the facts of a batch are sent before a processor gives up on the broker.
const FACT_ATTEMPTS: usize = 3;

/// The producer of signal facts, used from the poll thread.
struct FactSink {
    sink: KafkaSink,
    topic: String,
    pending: Pending,
    runtime: tokio::runtime::Handle,
    /// The facts handed over since the last settle, (workspace, payload), to send again when
    /// one of them was not acknowledged (the signals owners drop a fact they already have).
    unsettled: Vec<(String, String)>,
}

impl FactSink {
    /// Hands the fact of `mention` to the producer, keyed by its workspace.
    fn publish(&mut self, partition: i32, mention: &veille_model::Mention) -> Result<(), KafkaError> {
        let payload = serde_json::to_string(&Fact::of(partition, mention))
            .map_err(|e| KafkaError::Topic { topic: self.topic.clone(), reason: format!("encoding a fact: {e}") })?;
        let FactSink { sink, topic, pending, runtime, .. } = self;
        runtime.block_on(sink.send_later(topic, &mention.workspace, Some(FACT_KIND), &payload, pending))?;
        self.unsettled.push((mention.workspace.clone(), payload));
        Ok(())
    }

    /// Waits for the broker's acknowledgement of every fact handed over; facts the broker did
    /// not acknowledge in time (an overloaded broker) are sent again, a few times.
    fn settle(&mut self) -> Result<(), KafkaError> {
        let FactSink { sink, topic, pending, runtime, unsettled } = self;
        let mut attempt = 1;
        loop {
            match runtime.block_on(sink.settle(pending)) {
                Ok(_) => {
                    unsettled.clear();
                    return Ok(());
                }
                Err(e) if attempt < FACT_ATTEMPTS => {
                    tracing::warn!(error = %e, facts = unsettled.len(), attempt, "signal facts not acknowledged; sending them again");
                    attempt += 1;
                    for (workspace, payload) in unsettled.iter() {
                        runtime.block_on(sink.send_later(topic, workspace, Some(FACT_KIND), payload, pending))?;
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// The poll loop: rebalances run inside `poll`, on this thread, between batches.
fn consume(
    kafka: &veille_config::KafkaConfig,
    owner: Arc<ShardOwner>,
    mut enrichers: Vec<Box<dyn Enricher>>,
    mut facts: Option<FactSink>,
    cancel: &CancellationToken,
    root: &std::path::Path,
) -> Result<(), PipelineError> {
    let consumer = KafkaGroupConsumer::join(kafka, owner.clone())?;
    let topic = consumer.topic().to_string();
    let mut sizes_published = Instant::now();
    let outcome = loop {
        if cancel.is_cancelled() {
            break Ok(());
        }
        let consumed = match consumer.poll(POLL_MAX, POLL_WAIT) {
            Ok(c) => c,
            Err(e) => break Err(e),
        };
        let started = Instant::now();
        if let Err(e) = absorb(consumed, &mut enrichers, &owner, facts.as_mut(), &topic) {
            break Err(e);
        }
        metrics::ENRICH_SECONDS.observe(started.elapsed().as_secs_f64());
        match owner.commit_due() {
            Ok(durable) => {
                // The group's copy of the offsets, for lag monitors.
                if let Err(error) = consumer.commit(&durable) {
                    tracing::warn!(%error, "recording durable offsets in the group");
                }
            }
            Err(source) => break Err(KafkaError::Owner { topic: topic.clone(), source }),
        }
        if sizes_published.elapsed() >= SIZES_EVERY {
            publish_sizes(root);
            sizes_published = Instant::now();
        }
    };
    match outcome {
        Ok(()) => {
            // Leaving the group revokes every partition: the owner commits each shard.
            consumer.close()?;
            publish_sizes(root);
            tracing::info!(%topic, "processor left the group");
            Ok(())
        }
        Err(e) => {
            // Leaving the group hands the partitions over; a shard that cannot
            // commit keeps its last durable offset, and its next owner reads the rest again.
            drop(consumer);
            Err(e.into())
        }
    }
}

/// Enriches one polled batch into the shards it belongs to and publishes a fact per mention;
/// every fact is acknowledged before this returns, so before a commit (here or in a revocation
/// during the next poll) makes its mention durable.
fn absorb(
    consumed: Vec<Consumed>,
    enrichers: &mut [Box<dyn Enricher>],
    owner: &ShardOwner,
    mut facts: Option<&mut FactSink>,
    topic: &str,
) -> Result<(), KafkaError> {
    for mut c in consumed {
        if let Record::Mention(m) = &mut c.record {
            for e in enrichers.iter_mut() {
                e.enrich(m);
            }
        }
        match owner.absorb(c.partition, c.offset, &c.record, &c.source) {
            Ok(true) => {
                if let (Some(f), Record::Mention(m)) = (facts.as_deref_mut(), &c.record) {
                    f.publish(c.partition, m)?;
                }
            }
            Ok(false) => {
                tracing::debug!(partition = c.partition, offset = c.offset, "record of a partition no longer owned")
            }
            Err(source) => return Err(KafkaError::Owner { topic: topic.to_string(), source }),
        }
    }
    match facts {
        Some(f) => f.settle(),
        None => Ok(()),
    }
}

/// Publishes the document count of every shard under `root`.
fn publish_sizes(root: &std::path::Path) {
    match veille_index::MentionIndex::open_sharded(root) {
        Ok(view) => {
            for (shard, docs) in view.shard_sizes() {
                metrics::SHARD_DOCS.with_label_values(&[&shard]).set(docs as i64);
            }
        }
        Err(error) => tracing::warn!(%error, "reading shard sizes"),
    }
}
