//! Wires veille's stages together.
//!
//! ```text
//! sources ──▶ bus ──▶ enrich (thread) ──▶ index (thread) ──▶ tantivy commit + checkpoint
//!                                              └──▶ dead-letter file (synced before each commit)
//! ```
//!
//! Every channel is bounded: a slow index slows the enrich stage, which slows
//! the sources. Nothing is dropped. Each commit stores, in the index, the
//! cursor of every source up to the last batch it covers, and the length of
//! the dead-letter file at that point; a restart resumes from there, and
//! because writes are upserts on the mention key, records read again after a
//! crash replace their earlier copies instead of duplicating them.

mod alerting;
mod deadletter;
mod enrich;
mod indexer;
#[cfg(feature = "kafka")]
pub mod kafka;
mod keynodes;
mod ledger;
mod metrics;
mod sentiment;
mod tagging;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use veille_config::Config;
use veille_index::MentionIndex;
use veille_sources::{Source, SourceContext, SourceEnd};

pub use alerting::Alerts;
pub use deadletter::DEADLETTER_FILE;
pub use enrich::{Enricher, IngestTime};
pub use keynodes::KeyNodes;
pub use sentiment::Sentiment;
pub use tagging::Tagging;

/// Why the pipeline stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A source failed to start or read.
    #[error(transparent)]
    Source(#[from] veille_sources::SourceError),
    /// The index failed (disk full, corruption, lock held by another process).
    #[error(transparent)]
    Index(#[from] veille_index::IndexError),
    /// The dead-letter file could not be written.
    #[error("dead-letter file {path}: {error}")]
    DeadLetter {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// A watch or rule in the configuration does not compile.
    #[error(transparent)]
    Match(#[from] veille_match::MatchError),
    /// The sentiment scorers could not be loaded.
    #[error(transparent)]
    Sentiment(#[from] veille_sentiment::SentimentError),
    /// The interaction graph could not be set up.
    #[error(transparent)]
    Graph(#[from] veille_graph::GraphError),
    /// The signal monitor could not be set up.
    #[error(transparent)]
    Signals(#[from] veille_signals::Error),
    /// The alert receivers could not be set up (outbox unreadable, bad receiver).
    #[error(transparent)]
    Alerts(#[from] veille_alert::Error),
    /// Metrics could not be registered.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// A file of the signals state (notice ledger, read position) cannot be read or written.
    #[error("signals state file {path}: {error}")]
    SignalsState {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The configured bus is not one this pipeline runs on.
    #[error("bus.kind = \"kafka\" is for separate ingest and process workers; `veille run` and `veille import` run the embedded bus (set bus.kind = \"embedded\")")]
    KafkaBus,
    /// A role that runs on Kafka was given a configuration for the embedded bus.
    #[error("this role runs on Kafka: set bus.kind = \"kafka\" and [bus.kafka] in the configuration")]
    NotKafka,
    /// The ingest worker's cursor file cannot be read or written.
    #[error("ingest cursor file {path}: {message}")]
    IngestCheckpoint {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The Kafka transport failed.
    #[cfg(feature = "kafka")]
    #[error(transparent)]
    Kafka(#[from] veille_bus::kafka::KafkaError),
    /// A stage thread died.
    #[error("pipeline stage `{0}` stopped unexpectedly")]
    Stage(&'static str),
}

/// How long a stopping pipeline waits for alert receivers to take the notices still queued.
const DELIVERY_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Live counters, readable while the pipeline runs (for progress bars and tests).
#[derive(Debug, Default)]
pub struct Progress {
    /// Input bytes read, per source.
    pub bytes_read: Vec<(String, Arc<AtomicU64>)>,
    /// Mentions made durable in the index.
    pub indexed: AtomicU64,
    /// Records written to the dead-letter file and made durable.
    pub deadlettered: AtomicU64,
    /// Commits done.
    pub commits: AtomicU64,
}

impl Progress {
    /// Bytes read over all sources.
    pub fn total_bytes_read(&self) -> u64 {
        self.bytes_read.iter().map(|(_, b)| b.load(Ordering::Relaxed)).sum()
    }
}

/// What a finished run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Mentions indexed (upserts, replays included).
    pub indexed: u64,
    /// Records dead-lettered.
    pub deadlettered: u64,
    /// Index commits.
    pub commits: u64,
    /// How each source ended.
    pub sources: BTreeMap<String, SourceOutcome>,
}

/// How one source of a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceOutcome {
    /// A bounded input was read to its end.
    Exhausted,
    /// The pipeline asked it to stop.
    Cancelled,
    /// It stopped on an error, described here.
    Failed(String),
}

impl SourceOutcome {
    /// The outcome of a source's run.
    pub fn of(end: &Result<SourceEnd, veille_sources::SourceError>) -> Self {
        match end {
            Ok(SourceEnd::Exhausted) => SourceOutcome::Exhausted,
            Ok(SourceEnd::Cancelled) => SourceOutcome::Cancelled,
            Err(e) => SourceOutcome::Failed(e.to_string()),
        }
    }
}

/// The enrichment steps a configuration enables, and the shared state the API reads.
pub(crate) struct Stages {
    pub(crate) enrichers: Vec<Box<dyn Enricher>>,
    pub(crate) alerts: Option<Alerts>,
    pub(crate) key_nodes: Option<KeyNodes>,
}

impl Stages {
    /// The steps that read one mention at a time, in order: ingest time, watches, sentiment.
    pub(crate) fn per_mention(config: &Config) -> Result<Vec<Box<dyn Enricher>>, PipelineError> {
        let mut enrichers: Vec<Box<dyn Enricher>> = vec![Box::new(IngestTime)];
        if config.workspaces.iter().any(|w| !w.watches.is_empty()) {
            enrichers.push(Box::new(Tagging::new(veille_match::Matcher::compile(config)?)));
        }
        if config.sentiment.enabled {
            enrichers.push(Box::new(Sentiment::new(config)?));
        }
        Ok(enrichers)
    }

    /// Every step, in order: the per-mention ones, then key nodes and alerts, which read
    /// the stream as a whole.
    pub(crate) fn build(config: &Config) -> Result<Stages, PipelineError> {
        let mut enrichers = Self::per_mention(config)?;
        let key_nodes = if config.graph.enabled { Some(KeyNodes::new(&config.graph)?) } else { None };
        if let Some(k) = &key_nodes {
            enrichers.push(Box::new(k.clone()));
        }
        let alerts = if config.signals.enabled && config.alerts.enabled { Some(Alerts::new(config)?) } else { None };
        if let Some(a) = &alerts {
            enrichers.push(a.clone().into_step());
        }
        Ok(Stages { enrichers, alerts, key_nodes })
    }
}

/// Sources, enrichment and the index, ready to run.
pub struct Pipeline {
    config: Config,
    index: MentionIndex,
    sources: Vec<Box<dyn Source>>,
    enrichers: Vec<Box<dyn Enricher>>,
    progress: Arc<Progress>,
    ignore_cursors: bool,
    alerts: Option<Alerts>,
    key_nodes: Option<KeyNodes>,
    push: veille_sources::PushHandles,
}

impl Pipeline {
    /// A pipeline for the sources in `config`, writing to `index`. The handles of its push
    /// sources are in [`Pipeline::push`], for the API's ingest endpoint.
    pub fn new(config: Config, index: MentionIndex) -> Result<Self, PipelineError> {
        let built = veille_sources::build_all(&config.sources)?;
        let mut pipeline = Self::with_sources(config, index, built.sources)?;
        pipeline.push = built.push;
        Ok(pipeline)
    }

    /// A pipeline reading the given sources instead of the configured ones, with the
    /// enrichment steps the configuration enables.
    pub fn with_sources(
        config: Config,
        index: MentionIndex,
        sources: Vec<Box<dyn Source>>,
    ) -> Result<Self, PipelineError> {
        if config.bus.kind == veille_config::BusKind::Kafka {
            return Err(PipelineError::KafkaBus);
        }
        let progress = Progress {
            bytes_read: sources.iter().map(|s| (s.name().to_string(), Arc::new(AtomicU64::new(0)))).collect(),
            ..Default::default()
        };
        let Stages { enrichers, alerts, key_nodes } = Stages::build(&config)?;
        Ok(Pipeline {
            config,
            index,
            sources,
            enrichers,
            progress: Arc::new(progress),
            ignore_cursors: false,
            alerts,
            key_nodes,
            push: veille_sources::PushHandles::default(),
        })
    }

    /// The handles of the configured push sources (empty for [`Pipeline::with_sources`]).
    pub fn push(&self) -> veille_sources::PushHandles {
        self.push.clone()
    }

    /// Adds an enrichment step, run after the ones already added.
    pub fn enrich_with(mut self, enricher: Box<dyn Enricher>) -> Self {
        self.enrichers.push(enricher);
        self
    }

    /// Starts every source from the beginning, ignoring stored cursors.
    pub fn ignore_cursors(mut self, ignore: bool) -> Self {
        self.ignore_cursors = ignore;
        self
    }

    /// Signals and alerts, when `[signals]` and `[alerts]` are enabled (for the API).
    pub fn alerts(&self) -> Option<Alerts> {
        self.alerts.clone()
    }

    /// The interaction graphs, when `[graph]` is enabled (for the API).
    pub fn key_nodes(&self) -> Option<KeyNodes> {
        self.key_nodes.clone()
    }

    /// Live counters.
    pub fn progress(&self) -> Arc<Progress> {
        self.progress.clone()
    }

    /// Total input size of the sources that know it.
    pub fn size_hint(&self) -> Option<u64> {
        let sizes: Vec<_> = self.sources.iter().map(|s| s.size_hint()).collect();
        sizes.iter().all(Option::is_some).then(|| sizes.iter().flatten().sum())
    }

    /// Runs until every source is exhausted or `cancel` fires, then commits what was read.
    pub async fn run(self, cancel: CancellationToken) -> Result<RunReport, PipelineError> {
        let Pipeline { config, index, sources, enrichers, progress, ignore_cursors, alerts, key_nodes, push: _ } = self;
        // Series get their history back before anything new is judged.
        if let Some(a) = alerts.clone() {
            let (idx, cfg) = (index.clone(), config.clone());
            tokio::task::spawn_blocking(move || a.rebuild(&idx, &cfg))
                .await
                .map_err(|_| PipelineError::Stage("signals rebuild"))??;
        }
        let delivery = match &alerts {
            Some(a) => Some(a.deliver_to(&config)?),
            None => None,
        };
        let checkpoint = index.checkpoint()?;
        let writer = index.writer(&config.index)?;
        let dead = deadletter::DeadLetterFile::open(&config.data.dir, checkpoint.deadletter_bytes)
            .map_err(|error| PipelineError::DeadLetter { path: config.data.dir.join(DEADLETTER_FILE), error })?;
        let (bus_tx, bus_rx) = veille_bus::embedded(config.bus.capacity);
        let (index_tx, index_rx) = std::sync::mpsc::sync_channel(config.bus.capacity);

        // Per-mention enrichment runs on one thread per core; the index stage takes batches in bus order.
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let enrich_thread =
            enrich::spawn(bus_rx, index_tx, enrichers, workers).map_err(|_| PipelineError::Stage("enrich"))?;
        let indexer = indexer::Indexer::new(writer, dead, checkpoint.clone(), config.index.clone(), progress.clone());
        let index_thread = std::thread::Builder::new()
            .name("veille-index".into())
            .spawn(move || indexer.run(index_rx))
            .map_err(|_| PipelineError::Stage("index"))?;

        let mut tasks = SourceTasks::new();
        for source in sources {
            let name = source.name().to_string();
            let resume = if ignore_cursors { None } else { checkpoint.sources.get(&name).cloned() };
            let bytes =
                progress.bytes_read.iter().find(|(n, _)| *n == name).map(|(_, b)| b.clone()).unwrap_or_default();
            let ctx = SourceContext {
                resume,
                out: bus_tx.clone(),
                batch_size: config.bus.batch_size,
                cancel: cancel.clone(),
                progress: bytes,
            };
            tracing::info!(source = %name, resume = ?ctx.resume, "source starting");
            tasks.spawn(async move { (name, source.run(ctx).await) });
        }
        drop(bus_tx);
        // In a live stream, time moves on even when nothing arrives; communities are
        // detected again when their schedule is due.
        let ticker = spawn_ticker(&alerts, &key_nodes);
        let (sources, mut first_error) = join_sources(tasks).await;
        let mut report = RunReport { sources, ..RunReport::default() };
        // Every sender is gone: the stages drain what is in flight, commit and stop.
        let enrich_done = tokio::task::spawn_blocking(move || enrich_thread.join());
        if enrich_done.await.map_or(true, |r| r.is_err()) {
            first_error.get_or_insert(PipelineError::Stage("enrich"));
        }
        let index_result = tokio::task::spawn_blocking(move || index_thread.join()).await;
        match index_result {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => return Err(e),
            _ => return Err(PipelineError::Stage("index")),
        }
        // A finite replay ends: its last buckets close, and what that fires is sent.
        let exhausted = first_error.is_none() && report.sources.values().all(|end| *end == SourceOutcome::Exhausted);
        wind_down(ticker, key_nodes, alerts.zip(delivery), exhausted).await;
        report.indexed = progress.indexed.load(Ordering::Relaxed);
        report.deadlettered = progress.deadlettered.load(Ordering::Relaxed);
        report.commits = progress.commits.load(Ordering::Relaxed);
        match first_error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }
}

/// The sources' tasks, each giving back its name and how it ended.
pub(crate) type SourceTasks = tokio::task::JoinSet<(String, Result<SourceEnd, veille_sources::SourceError>)>;

/// Waits for every source to stop: how each ended, and the first error.
pub(crate) async fn join_sources(mut tasks: SourceTasks) -> (BTreeMap<String, SourceOutcome>, Option<PipelineError>) {
    let mut outcomes = BTreeMap::new();
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        let Ok((name, end)) = joined else {
            first_error.get_or_insert(PipelineError::Stage("source"));
            continue;
        };
        outcomes.insert(name.clone(), SourceOutcome::of(&end));
        match end {
            Ok(end) => tracing::info!(source = %name, ?end, "source stopped"),
            Err(e) => {
                tracing::error!(source = %name, error = %e, "source failed");
                first_error.get_or_insert(PipelineError::Source(e));
            }
        }
    }
    (outcomes, first_error)
}

/// Moves time on every second in a live stream, even when nothing arrives:
/// alert buckets close, and communities are detected again when due.
pub(crate) fn spawn_ticker(
    alerts: &Option<Alerts>,
    key_nodes: &Option<KeyNodes>,
) -> Option<tokio::task::JoinHandle<()>> {
    (alerts.is_some() || key_nodes.is_some()).then(|| {
        let (alerts, key_nodes) = (alerts.clone(), key_nodes.clone());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                every.tick().await;
                if let Some(a) = alerts.clone() {
                    // A tick may close buckets and enqueue notices, which syncs the outboxes.
                    let _ = tokio::task::spawn_blocking(move || a.tick()).await;
                }
                if let Some(k) = key_nodes.clone() {
                    let _ = tokio::task::spawn_blocking(move || k.refresh_communities()).await;
                }
            }
        })
    })
}

/// Stops the ticker, refreshes communities one last time, and gives alert
/// receivers a grace period for the notices still queued (`flush` first closes
/// the last buckets, for a replay that reached its end).
pub(crate) async fn wind_down(
    ticker: Option<tokio::task::JoinHandle<()>>,
    key_nodes: Option<KeyNodes>,
    alerts: Option<(Alerts, tokio::task::JoinHandle<()>)>,
    flush: bool,
) {
    if let Some(t) = ticker {
        t.abort();
    }
    if let Some(k) = key_nodes {
        // Communities reflect everything the run saw, even when it ended between ticks.
        let _ = tokio::task::spawn_blocking(move || k.refresh_communities()).await;
    }
    if let Some((a, delivery)) = alerts {
        if flush {
            a.flush();
        }
        let deadline = tokio::time::Instant::now() + DELIVERY_GRACE;
        while a.undelivered() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        if a.undelivered() > 0 {
            tracing::warn!(
                waiting = a.undelivered(),
                "alert notices not delivered yet; they are kept and sent on the next start"
            );
        }
        a.stop_delivery();
        let _ = delivery.await;
    }
}
