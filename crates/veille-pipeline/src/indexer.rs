//! The index stage: upserts, dead letters and checkpointed commits.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use veille_bus::{Batch, OnDurable, Record};
use veille_config::IndexConfig;
use veille_index::MentionWriter;
use veille_model::Checkpoint;

use crate::deadletter::DeadLetterFile;
use crate::{metrics, PipelineError, Progress};

pub(crate) struct Indexer {
    writer: MentionWriter,
    dead: DeadLetterFile,
    checkpoint: Checkpoint,
    config: IndexConfig,
    progress: Arc<Progress>,
    /// Uncommitted mentions and dead letters.
    pending_mentions: u64,
    pending_dead: u64,
    /// Notices to tell once the next commit is done.
    pending_notices: Vec<OnDurable>,
    /// Whether anything (records or cursors) changed since the last commit.
    dirty: bool,
    last_commit: Instant,
}

impl Indexer {
    pub(crate) fn new(
        writer: MentionWriter,
        dead: DeadLetterFile,
        checkpoint: Checkpoint,
        config: IndexConfig,
        progress: Arc<Progress>,
    ) -> Self {
        Indexer {
            writer,
            dead,
            checkpoint,
            config,
            progress,
            pending_mentions: 0,
            pending_dead: 0,
            pending_notices: Vec::new(),
            dirty: false,
            last_commit: Instant::now(),
        }
    }

    pub(crate) fn run(mut self, rx: Receiver<Batch>) -> Result<(), PipelineError> {
        let interval = Duration::from_millis(self.config.commit_every_ms.max(1));
        loop {
            let wait = interval.saturating_sub(self.last_commit.elapsed());
            match rx.recv_timeout(if self.dirty { wait } else { interval }) {
                Ok(batch) => self.absorb(batch)?,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            let due = self.dirty && self.last_commit.elapsed() >= interval;
            if self.pending_mentions + self.pending_dead >= self.config.commit_every_docs as u64 || due {
                self.commit()?;
            }
        }
        if self.dirty {
            self.commit()?;
        }
        self.writer.close()?;
        Ok(())
    }

    fn absorb(&mut self, batch: Batch) -> Result<(), PipelineError> {
        let now = chrono::Utc::now();
        let (mut indexed, mut dead) = (0u64, 0u64);
        for record in &batch.records {
            match record {
                Record::Mention(m) => {
                    self.writer.upsert(m)?;
                    metrics::EVENT_LAG.observe((now - m.created_at).num_milliseconds().max(0) as f64 / 1000.0);
                    indexed += 1;
                }
                Record::Dead(d) => {
                    tracing::debug!(source = %d.origin.source, location = %d.origin.location, reason = %d.reason, "dead letter");
                    self.dead
                        .append(d)
                        .map_err(|error| PipelineError::DeadLetter { path: self.dead.path().to_path_buf(), error })?;
                    dead += 1;
                }
            }
        }
        self.pending_mentions += indexed;
        self.pending_dead += dead;
        metrics::RECORDS.with_label_values(&[&*batch.source, "indexed"]).inc_by(indexed);
        if dead > 0 {
            metrics::RECORDS.with_label_values(&[&*batch.source, "deadlettered"]).inc_by(dead);
        }
        if let Some(cursor) = batch.cursor {
            self.checkpoint.sources.insert(batch.source.to_string(), cursor);
        }
        if let Some(notice) = batch.on_durable {
            self.pending_notices.push(notice);
        }
        self.dirty = true;
        Ok(())
    }

    fn commit(&mut self) -> Result<(), PipelineError> {
        self.checkpoint.deadletter_bytes = self
            .dead
            .sync()
            .map_err(|error| PipelineError::DeadLetter { path: self.dead.path().to_path_buf(), error })?;
        self.writer.commit(&self.checkpoint)?;
        self.progress.indexed.fetch_add(self.pending_mentions, Ordering::Relaxed);
        self.progress.deadlettered.fetch_add(self.pending_dead, Ordering::Relaxed);
        self.progress.commits.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(mentions = self.pending_mentions, dead = self.pending_dead, "committed");
        self.pending_mentions = 0;
        self.pending_dead = 0;
        for notice in self.pending_notices.drain(..) {
            notice.notify();
        }
        self.dirty = false;
        self.last_commit = Instant::now();
        Ok(())
    }
}
