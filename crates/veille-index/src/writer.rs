//! The upserting writer with checkpointed commits.

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use tantivy::{IndexWriter, Searcher, TantivyDocument, Term};
use veille_model::{Checkpoint, Mention};

use crate::metrics;
use crate::schema::Fields;
use crate::{IndexError, MentionIndex, Result};

/// The index's single writer. Upserts are visible to searches after [`MentionWriter::commit`].
pub struct MentionWriter {
    writer: IndexWriter<TantivyDocument>,
    fields: Fields,
    index: MentionIndex,
    pending: usize,
    /// Upserts since the last commit that replace an earlier copy.
    replacing: usize,
    /// The committed index, to tell a new key from one that must be replaced.
    committed: Searcher,
    /// Store keys upserted since the last commit, which `committed` does not show yet.
    uncommitted: HashSet<String>,
    /// The indexing sequence number given to the last document (see [`next_seq`]).
    last_seq: u64,
}

/// The sequence number of a document indexed now, after one numbered `last`: the wall clock in
/// microseconds, or one more than `last` when the clock did not move on (or went back). So the
/// numbers of one writer only increase, and those of several writers (one per shard) compare
/// as their clocks do.
fn next_seq(last: u64) -> u64 {
    let now = chrono::Utc::now().timestamp_micros().max(0) as u64;
    now.max(last.saturating_add(1))
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
        let committed = index.reader.searcher();
        let last_seq = crate::live::max_seq(&committed)?;
        Ok(MentionWriter {
            writer,
            fields: index.fields.clone(),
            index: index.clone(),
            pending: 0,
            replacing: 0,
            committed,
            uncommitted: HashSet::new(),
            last_seq,
        })
    }

    /// Inserts `mention`, replacing any earlier copy of it in its workspace (same
    /// [`store_key`](Mention::store_key)); other workspaces' copies of the same post stay.
    pub fn upsert(&mut self, mention: &Mention) -> Result<()> {
        self.insert(mention).map_err(|e| diagnose(self.index.path(), e))
    }

    fn insert(&mut self, mention: &Mention) -> std::result::Result<(), tantivy::TantivyError> {
        self.last_seq = next_seq(self.last_seq);
        let doc = crate::document::to_document(&self.fields, mention, self.last_seq);
        let key = mention.store_key();
        let term = Term::from_field_text(self.fields.uid, &key);
        // A delete costs a query at commit time: only issue it for a key that may already be
        // there, either committed or written since the last commit.
        let seen = !self.uncommitted.insert(key);
        if seen || self.committed.doc_freq(&term)? > 0 {
            self.writer.delete_term(term);
            self.replacing += 1;
        }
        self.writer.add_document(doc)?;
        self.pending += 1;
        Ok(())
    }

    /// Upserts since the last commit.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Upserts since the last commit whose key was already there (committed or written since):
    /// each replaces the earlier copy. A stream where every key comes once has none.
    pub fn replacing(&self) -> usize {
        self.replacing
    }

    /// Makes every upsert durable and visible, together with `checkpoint`.
    pub fn commit(&mut self, checkpoint: &Checkpoint) -> Result<()> {
        let started = Instant::now();
        let path = self.index.path().to_path_buf();
        let mut prepared = self.writer.prepare_commit().map_err(|e| diagnose(&path, e))?;
        prepared.set_payload(&checkpoint.to_payload());
        prepared.commit().map_err(|e| diagnose(&path, e))?;
        self.index.reload()?;
        self.committed = self.index.reader.searcher();
        self.uncommitted.clear();
        metrics::COMMITS.inc();
        metrics::DOCS_WRITTEN.inc_by(self.pending as u64);
        metrics::COMMIT_SECONDS.observe(started.elapsed().as_secs_f64());
        metrics::DOCS.set(self.index.num_docs() as i64);
        tracing::debug!(docs = self.pending, ms = started.elapsed().as_millis() as u64, "index commit");
        self.pending = 0;
        self.replacing = 0;
        Ok(())
    }

    /// Waits for merges to finish and releases the writer lock.
    pub fn close(self) -> Result<()> {
        let path = self.index.path().to_path_buf();
        self.writer.wait_merging_threads().map_err(|e| diagnose(&path, e))
    }
}

/// Below this many free bytes (or a tenth of the file system, if less), a
/// failed write is put down to a full disk.
const NEARLY_FULL: u64 = 64 << 20;

/// Says "disk full" when a write failed on a file system that is (nearly)
/// full. tantivy writes from worker threads, and when one of them hits
/// ENOSPC the error that reaches the caller may only say that the writer was
/// killed; the free space tells what happened.
fn diagnose(path: &Path, e: tantivy::TantivyError) -> IndexError {
    let message = e.to_string();
    let said = message.contains("No space left on device");
    match free_space(path) {
        Some((free, total)) if said || free < NEARLY_FULL.min(total / 10) => {
            IndexError::DiskFull { path: path.to_path_buf(), free, message }
        }
        None if said => IndexError::DiskFull { path: path.to_path_buf(), free: 0, message },
        _ => IndexError::Tantivy(e),
    }
}

/// Bytes available to unprivileged writers and total bytes of the file system holding `path`.
#[cfg(unix)]
// The field types of `statvfs` differ between platforms; on some they are already u64.
#[allow(clippy::unnecessary_cast)]
fn free_space(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a NUL-terminated string and `stats` a buffer of the right type, which
    // statvfs fills when it returns 0.
    if unsafe { libc::statvfs(c_path.as_ptr(), stats.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `stats`.
    let stats = unsafe { stats.assume_init() };
    let block = stats.f_frsize as u64;
    Some((stats.f_bavail as u64 * block, stats.f_blocks as u64 * block))
}

#[cfg(not(unix))]
fn free_space(_path: &Path) -> Option<(u64, u64)> {
    None
}

/// Raw tantivy access for benchmarks that measure the index's ceiling.
#[doc(hidden)]
pub mod raw {
    use super::*;

    /// Builds the document veille would index for `mention`.
    pub fn document(index: &MentionIndex, mention: &Mention) -> TantivyDocument {
        crate::document::to_document(&index.fields, mention, next_seq(0))
    }

    /// A plain tantivy writer on the index, with the same resources as [`MentionWriter`].
    pub fn writer(index: &MentionIndex, config: &veille_config::IndexConfig) -> Result<IndexWriter<TantivyDocument>> {
        Ok(MentionWriter::new(index, config)?.writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_is_put_down_to_a_full_disk_only_when_it_is_one() {
        let dir = tempfile::tempdir().unwrap();
        let killed = || tantivy::TantivyError::ErrorInThread("An index writer was killed.".into());
        // A roomy file system: the error is passed on as it was.
        if free_space(dir.path()).is_some_and(|(free, total)| free >= NEARLY_FULL.min(total / 10)) {
            assert!(matches!(diagnose(dir.path(), killed()), IndexError::Tantivy(_)));
        }
        // Whatever the space, an error that says so is a full disk, and the message keeps both.
        let full = tantivy::TantivyError::IoError(std::sync::Arc::new(std::io::Error::from_raw_os_error(28)));
        let e = diagnose(dir.path(), full);
        assert!(matches!(e, IndexError::DiskFull { .. }), "{e}");
        let text = e.to_string();
        assert!(text.contains("is full (No space left on device") && text.contains(&dir.path().display().to_string()));
    }
}
