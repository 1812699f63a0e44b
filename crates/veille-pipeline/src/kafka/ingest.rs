//! The ingest role: sources produce to Kafka; cursors follow acknowledgements.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use veille_bus::kafka::KafkaSink;
use veille_bus::Record;
use veille_config::Config;
use veille_model::Checkpoint;
use veille_sources::{Source, SourceContext};

use crate::{join_sources, Enricher, IngestTime, PipelineError, Progress, RunReport, SourceTasks};

/// The ingest worker's cursor file, in the data directory.
pub const INGEST_CHECKPOINT_FILE: &str = "ingest-checkpoint.json";
/// Longest time an acknowledged cursor waits before it is written down.
const SAVE_EVERY: Duration = Duration::from_millis(500);

/// An ingest worker: runs the configured sources and produces what they read
/// to the Kafka topics (mentions keyed by mention key, dead letters to the
/// dead-letter topic). A source's cursor is stored in
/// `DATA_DIR/ingest-checkpoint.json` only after the broker acknowledged every
/// record of the batch that carries it; after a crash the sources resume from
/// there, and what is produced again replaces its first copy in the index
/// (same key, same partition, upserted by the processor that owns it).
pub struct IngestWorker {
    config: Config,
    sources: Vec<Box<dyn Source>>,
    progress: Arc<Progress>,
    push: veille_sources::PushHandles,
}

impl IngestWorker {
    /// A worker for the sources of `config` (which must name the Kafka bus). The handles of
    /// its push sources are in [`IngestWorker::push`]: a push is answered once the broker
    /// acknowledged every record of it.
    pub fn new(config: Config) -> Result<Self, PipelineError> {
        let built = veille_sources::build_all(&config.sources)?;
        let mut worker = Self::with_sources(config, built.sources)?;
        worker.push = built.push;
        Ok(worker)
    }

    /// The handles of the configured push sources (empty for [`IngestWorker::with_sources`]).
    pub fn push(&self) -> veille_sources::PushHandles {
        self.push.clone()
    }

    /// A worker for the given sources instead of the configured ones.
    pub fn with_sources(config: Config, sources: Vec<Box<dyn Source>>) -> Result<Self, PipelineError> {
        if config.bus.kind != veille_config::BusKind::Kafka {
            return Err(PipelineError::NotKafka);
        }
        let progress = Progress {
            bytes_read: sources.iter().map(|s| (s.name().to_string(), Arc::new(AtomicU64::new(0)))).collect(),
            ..Default::default()
        };
        Ok(IngestWorker { config, sources, progress: Arc::new(progress), push: veille_sources::PushHandles::default() })
    }

    /// Live counters: `indexed` counts mentions acknowledged by the broker here.
    pub fn progress(&self) -> Arc<Progress> {
        self.progress.clone()
    }

    /// Runs until every source is exhausted or `cancel` fires; returns once every
    /// batch read was acknowledged and its cursor stored.
    pub async fn run(self, cancel: CancellationToken) -> Result<RunReport, PipelineError> {
        let IngestWorker { config, sources, progress, push: _ } = self;
        veille_bus::kafka::ensure_topics(&config.bus.kafka).await?;
        let sink = KafkaSink::new(&config.bus.kafka)?;
        let path = config.data.dir.join(INGEST_CHECKPOINT_FILE);
        let mut checkpoint = read_checkpoint(&path)?;
        let (bus_tx, mut bus_rx) = veille_bus::embedded(config.bus.capacity);
        let mut tasks = SourceTasks::new();
        for source in sources {
            let name = source.name().to_string();
            let bytes =
                progress.bytes_read.iter().find(|(n, _)| *n == name).map(|(_, b)| b.clone()).unwrap_or_default();
            let ctx = SourceContext {
                resume: checkpoint.sources.get(&name).cloned(),
                out: bus_tx.clone(),
                batch_size: config.bus.batch_size,
                cancel: cancel.clone(),
                progress: bytes,
            };
            tracing::info!(source = %name, resume = ?ctx.resume, "source starting");
            tasks.spawn(async move { (name, source.run(ctx).await) });
        }
        drop(bus_tx);

        let mut stamp = IngestTime;
        let mut unsaved = false;
        let mut saved_at = Instant::now();
        let mut failure = None;
        while let Some(mut batch) = bus_rx.recv().await {
            for record in &mut batch.records {
                if let Record::Mention(m) = record {
                    stamp.enrich(m);
                }
            }
            match sink.send_batch(&batch).await {
                Ok(acked) => {
                    progress.indexed.fetch_add(acked.mentions as u64, Ordering::Relaxed);
                    progress.deadlettered.fetch_add(acked.dead as u64, Ordering::Relaxed);
                    if let Some(notice) = &batch.on_durable {
                        notice.notify();
                    }
                    if let Some(cursor) = batch.cursor {
                        checkpoint.sources.insert(batch.source.to_string(), cursor);
                        unsaved = true;
                    }
                }
                Err(e) => {
                    // Stop reading: the cursor stays at the last acknowledged batch.
                    tracing::error!(source = %batch.source, error = %e, "batch not acknowledged; stopping");
                    failure = Some(PipelineError::from(e));
                    cancel.cancel();
                    break;
                }
            }
            if unsaved && saved_at.elapsed() >= SAVE_EVERY {
                save(&path, &checkpoint).await?;
                progress.commits.fetch_add(1, Ordering::Relaxed);
                unsaved = false;
                saved_at = Instant::now();
            }
        }
        // Senders blocked on a full channel after a failure see it closed and stop.
        drop(bus_rx);
        if unsaved {
            save(&path, &checkpoint).await?;
            progress.commits.fetch_add(1, Ordering::Relaxed);
        }
        let (sources, source_error) = join_sources(tasks).await;
        let failure = failure.or(source_error);
        let mut report = RunReport { sources, ..RunReport::default() };
        report.indexed = progress.indexed.load(Ordering::Relaxed);
        report.deadlettered = progress.deadlettered.load(Ordering::Relaxed);
        report.commits = progress.commits.load(Ordering::Relaxed);
        match failure {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }
}

/// The cursors stored by an ingest worker (empty when it never stored any).
pub fn read_checkpoint(path: &Path) -> Result<Checkpoint, PipelineError> {
    let fail = |message: String| PipelineError::IngestCheckpoint { path: path.to_path_buf(), message };
    match std::fs::read_to_string(path) {
        Ok(text) => Checkpoint::from_payload(&text).map_err(|e| fail(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Checkpoint::default()),
        Err(e) => Err(fail(e.to_string())),
    }
}

/// Replaces the cursor file atomically: a crash leaves the old one or the new one.
/// Writes the cursor file on the blocking pool: the fsync and rename stay off the runtime's
/// worker threads, which keep serving pushes and producing meanwhile.
async fn save(path: &Path, checkpoint: &Checkpoint) -> Result<(), PipelineError> {
    let (path, checkpoint) = (path.to_path_buf(), checkpoint.clone());
    tokio::task::spawn_blocking(move || write_checkpoint(&path, &checkpoint))
        .await
        .map_err(|_| PipelineError::Stage("ingest cursor file"))?
}

fn write_checkpoint(path: &Path, checkpoint: &Checkpoint) -> Result<(), PipelineError> {
    use std::io::Write;
    let fail = |message: String| PipelineError::IngestCheckpoint { path: path.to_path_buf(), message };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    }
    let temp: PathBuf = path.with_extension("json.tmp");
    let mut file = std::fs::File::create(&temp).map_err(|e| fail(e.to_string()))?;
    file.write_all(checkpoint.to_payload().as_bytes()).map_err(|e| fail(e.to_string()))?;
    file.sync_all().map_err(|e| fail(e.to_string()))?;
    std::fs::rename(&temp, path).map_err(|e| fail(e.to_string()))?;
    if let Some(dir) = path.parent().and_then(|d| std::fs::File::open(d).ok()) {
        let _ = dir.sync_all();
    }
    Ok(())
}
