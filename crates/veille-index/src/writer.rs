//! The upserting writer with checkpointed commits.

use std::collections::HashSet;
use std::time::Instant;

use tantivy::{IndexWriter, Searcher, TantivyDocument, Term};
use veille_model::{Checkpoint, Mention};

use crate::metrics;
use crate::schema::Fields;
use crate::{MentionIndex, Result};

/// The index's single writer. Upserts are visible to searches after [`MentionWriter::commit`].
pub struct MentionWriter {
    writer: IndexWriter<TantivyDocument>,
    fields: Fields,
    index: MentionIndex,
    pending: usize,
    /// The committed index, to tell a new key from one that must be replaced.
    committed: Searcher,
    /// Keys upserted since the last commit, which `committed` does not show yet.
    uncommitted: HashSet<String>,
}

impl MentionWriter {
    pub(crate) fn new(index: &MentionIndex, config: &veille_config::IndexConfig) -> Result<MentionWriter> {
        let threads = match config.writer_threads {
            0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8),
            n => n,
        };
        let budget = config.writer_memory_mb.max(16) * 1024 * 1024;
        // tantivy needs at least 15 MB per indexing thread.
        let threads = threads.min(budget / (15 * 1024 * 1024)).max(1);
        let writer = index.index.writer_with_num_threads(threads, budget)?;
        Ok(MentionWriter {
            writer,
            fields: index.fields.clone(),
            index: index.clone(),
            pending: 0,
            committed: index.reader.searcher(),
            uncommitted: HashSet::new(),
        })
    }

    /// Inserts `mention`, replacing any earlier mention with the same key.
    pub fn upsert(&mut self, mention: &Mention) -> Result<()> {
        let doc = crate::document::to_document(&self.fields, mention);
        let key = mention.key().as_str();
        let term = Term::from_field_text(self.fields.key, key);
        // A delete costs a query at commit time: only issue it for a key that may already be
        // there, either committed or written since the last commit.
        let seen = !self.uncommitted.insert(key.to_string());
        if seen || self.committed.doc_freq(&term)? > 0 {
            self.writer.delete_term(term);
        }
        self.writer.add_document(doc)?;
        self.pending += 1;
        Ok(())
    }

    /// Upserts since the last commit.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Makes every upsert durable and visible, together with `checkpoint`.
    pub fn commit(&mut self, checkpoint: &Checkpoint) -> Result<()> {
        let started = Instant::now();
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&checkpoint.to_payload());
        prepared.commit()?;
        self.index.reload()?;
        self.committed = self.index.reader.searcher();
        self.uncommitted.clear();
        metrics::COMMITS.inc();
        metrics::DOCS_WRITTEN.inc_by(self.pending as u64);
        metrics::COMMIT_SECONDS.observe(started.elapsed().as_secs_f64());
        metrics::DOCS.set(self.index.num_docs() as i64);
        tracing::debug!(docs = self.pending, ms = started.elapsed().as_millis() as u64, "index commit");
        self.pending = 0;
        Ok(())
    }

    /// Waits for merges to finish and releases the writer lock.
    pub fn close(self) -> Result<()> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}

/// Raw tantivy access for benchmarks that measure the index's ceiling.
#[doc(hidden)]
pub mod raw {
    use super::*;

    /// Builds the document veille would index for `mention`.
    pub fn document(index: &MentionIndex, mention: &Mention) -> TantivyDocument {
        crate::document::to_document(&index.fields, mention)
    }

    /// A plain tantivy writer on the index, with the same resources as [`MentionWriter`].
    pub fn writer(index: &MentionIndex, config: &veille_config::IndexConfig) -> Result<IndexWriter<TantivyDocument>> {
        Ok(MentionWriter::new(index, config)?.writer)
    }
}
