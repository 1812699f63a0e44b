//! The index shards a processor owns: one per Kafka partition assigned to it.
//!
//! A shard is a tantivy index in `ROOT/TOPIC-PARTITION/`, with its own
//! dead-letter file. Its commit payload stores the partition's next offset,
//! and that offset is where consumption of the partition resumes, whoever
//! owns it next: what a shard holds and where its partition resumes change
//! together, in one atomic commit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use veille_bus::kafka::{checkpoint_key, OwnerError, PartitionOwner};
use veille_bus::Record;
use veille_config::IndexConfig;
use veille_index::{IndexError, MentionIndex, MentionWriter};
use veille_model::{Checkpoint, Mention};

use crate::deadletter::DeadLetterFile;
use crate::{metrics, Progress};

/// How long a new owner waits for the previous owner's writer lock on a shard.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// The directory of a partition's shard under `root`.
pub fn shard_dir(root: &Path, topic: &str, partition: i32) -> PathBuf {
    root.join(format!("{topic}-{partition}"))
}

/// One open shard and what it holds since its last commit.
struct OpenShard {
    writer: MentionWriter,
    dead: DeadLetterFile,
    checkpoint: Checkpoint,
    key: String,
    /// The offset after the last record absorbed.
    next: Option<i64>,
    pending_mentions: u64,
    pending_dead: u64,
    /// Uncommitted records per (source, outcome), for `veille_pipeline_records_total`.
    pending_by_source: BTreeMap<(String, &'static str), u64>,
    /// Hand-over times (`ingested_at`, seconds) of the uncommitted mentions.
    handed_over: Vec<f64>,
    last_commit: Instant,
}

impl OpenShard {
    fn dirty(&self) -> bool {
        self.pending_mentions + self.pending_dead > 0
    }
}

/// The shards of the partitions this processor owns.
pub(crate) struct ShardOwner {
    root: PathBuf,
    config: IndexConfig,
    progress: Arc<Progress>,
    open: Mutex<BTreeMap<i32, OpenShard>>,
}

impl ShardOwner {
    pub(crate) fn new(root: &Path, config: IndexConfig, progress: Arc<Progress>) -> Self {
        ShardOwner { root: root.to_path_buf(), config, progress, open: Mutex::new(BTreeMap::new()) }
    }

    fn locked(&self) -> MutexGuard<'_, BTreeMap<i32, OpenShard>> {
        // Shards stay consistent whatever a panicking holder did: a commit is atomic.
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a consumed record to its partition's shard. A record of a partition
    /// this processor does not own (revoked during the poll) is left to its new owner.
    pub(crate) fn absorb(
        &self,
        partition: i32,
        offset: i64,
        record: &Record,
        source: &str,
    ) -> Result<bool, OwnerError> {
        let mut open = self.locked();
        let Some(shard) = open.get_mut(&partition) else {
            return Ok(false);
        };
        let fail = |reason: String| OwnerError { partition, reason };
        match record {
            Record::Mention(m) => {
                shard.writer.upsert(m).map_err(|e| fail(e.to_string()))?;
                observe_lag(m);
                if let Some(t) = m.ingested_at {
                    shard.handed_over.push(t.timestamp_micros() as f64 / 1e6);
                }
                shard.pending_mentions += 1;
                *shard.pending_by_source.entry((source.to_string(), "indexed")).or_default() += 1;
            }
            Record::Dead(d) => {
                shard.dead.append(d).map_err(|e| fail(format!("dead-letter file: {e}")))?;
                shard.pending_dead += 1;
                *shard.pending_by_source.entry((source.to_string(), "deadlettered")).or_default() += 1;
            }
        }
        shard.next = Some(offset + 1);
        Ok(true)
    }

    /// Commits the shards that hold enough, or held something long enough;
    /// returns the offsets now durable, for the group's copy.
    pub(crate) fn commit_due(&self) -> Result<BTreeMap<i32, i64>, OwnerError> {
        let interval = Duration::from_millis(self.config.commit_every_ms.max(1));
        let mut open = self.locked();
        let mut durable = BTreeMap::new();
        for (&partition, shard) in open.iter_mut() {
            let due = shard.dirty()
                && (shard.pending_mentions + shard.pending_dead >= self.config.commit_every_docs as u64
                    || shard.last_commit.elapsed() >= interval);
            if due {
                if let Some(next) = self.commit(partition, shard)? {
                    durable.insert(partition, next);
                }
            }
        }
        Ok(durable)
    }

    /// Makes a shard's records durable with its partition's next offset.
    fn commit(&self, partition: i32, shard: &mut OpenShard) -> Result<Option<i64>, OwnerError> {
        let fail = |reason: String| OwnerError { partition, reason };
        if let Some(next) = shard.next {
            shard.checkpoint.partitions.insert(shard.key.clone(), next);
        }
        shard.checkpoint.deadletter_bytes = shard.dead.sync().map_err(|e| fail(format!("dead-letter file: {e}")))?;
        let replacing = shard.writer.replacing();
        shard.writer.commit(&shard.checkpoint).map_err(|e| fail(e.to_string()))?;
        let now = chrono::Utc::now().timestamp_micros() as f64 / 1e6;
        for t in shard.handed_over.drain(..) {
            metrics::SEARCHABLE.observe((now - t).max(0.0));
        }
        for ((source, outcome), n) in std::mem::take(&mut shard.pending_by_source) {
            metrics::RECORDS.with_label_values(&[&source, outcome]).inc_by(n);
        }
        self.progress.indexed.fetch_add(shard.pending_mentions, Ordering::Relaxed);
        self.progress.deadlettered.fetch_add(shard.pending_dead, Ordering::Relaxed);
        self.progress.commits.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(
            partition,
            mentions = shard.pending_mentions,
            replacing,
            next = ?shard.next,
            "shard committed"
        );
        shard.pending_mentions = 0;
        shard.pending_dead = 0;
        shard.last_commit = Instant::now();
        Ok(shard.checkpoint.partitions.get(&shard.key).copied())
    }

    fn open_shard(&self, topic: &str, partition: i32) -> Result<(OpenShard, Option<i64>), OwnerError> {
        let fail = |reason: String| OwnerError { partition, reason };
        let dir = shard_dir(&self.root, topic, partition);
        let index = MentionIndex::open(&dir).map_err(|e| fail(e.to_string()))?;
        let checkpoint = index.checkpoint().map_err(|e| fail(e.to_string()))?;
        // The previous owner may still be letting go of the shard (a crashed
        // process's lock goes with it; a revoking one closes its writer first).
        let started = Instant::now();
        let writer = loop {
            match index.writer(&self.config) {
                Ok(w) => break w,
                Err(IndexError::Tantivy(tantivy::TantivyError::LockFailure(..))) if started.elapsed() < LOCK_WAIT => {
                    tracing::debug!(partition, "waiting for the shard's writer lock");
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(fail(e.to_string())),
            }
        };
        let dead = DeadLetterFile::open(&dir, checkpoint.deadletter_bytes)
            .map_err(|e| fail(format!("dead-letter file in {}: {e}", dir.display())))?;
        let key = checkpoint_key(topic, partition);
        let start = checkpoint.partitions.get(&key).copied();
        let shard = OpenShard {
            writer,
            dead,
            checkpoint,
            key,
            next: None,
            pending_mentions: 0,
            pending_dead: 0,
            pending_by_source: BTreeMap::new(),
            handed_over: Vec::new(),
            last_commit: Instant::now(),
        };
        Ok((shard, start))
    }
}

impl PartitionOwner for ShardOwner {
    fn assigned(&self, topic: &str, partitions: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError> {
        let mut starts = BTreeMap::new();
        for &partition in partitions {
            if self.locked().contains_key(&partition) {
                continue;
            }
            let (shard, start) = self.open_shard(topic, partition)?;
            tracing::info!(partition, start = ?start, "shard opened");
            if let Some(offset) = start {
                starts.insert(partition, offset);
            }
            self.locked().insert(partition, shard);
        }
        metrics::SHARDS_OWNED.set(self.locked().len() as i64);
        Ok(starts)
    }

    fn revoked(&self, _topic: &str, partitions: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError> {
        let mut durable = BTreeMap::new();
        for &partition in partitions {
            let Some(mut shard) = self.locked().remove(&partition) else {
                continue;
            };
            if shard.dirty() {
                if let Some(next) = self.commit(partition, &mut shard)? {
                    durable.insert(partition, next);
                }
            } else if let Some(&next) = shard.checkpoint.partitions.get(&shard.key) {
                durable.insert(partition, next);
            }
            shard.writer.close().map_err(|e| OwnerError { partition, reason: e.to_string() })?;
            tracing::info!(partition, next = ?durable.get(&partition), "shard handed over");
        }
        metrics::SHARDS_OWNED.set(self.locked().len() as i64);
        Ok(durable)
    }

    fn lost(&self, _topic: &str, partitions: &[i32]) {
        for &partition in partitions {
            // Dropping the writer discards what it held since its last commit.
            if let Some(shard) = self.locked().remove(&partition) {
                tracing::warn!(
                    partition,
                    uncommitted = shard.pending_mentions,
                    "shard lost without a hand-over; its next owner reads the uncommitted mentions again"
                );
            }
        }
        metrics::SHARDS_OWNED.set(self.locked().len() as i64);
    }
}

fn observe_lag(mention: &Mention) {
    let lag = (chrono::Utc::now() - mention.created_at).num_milliseconds().max(0) as f64 / 1000.0;
    metrics::EVENT_LAG.observe(lag);
}
