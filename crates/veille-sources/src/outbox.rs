//! Batching for live connectors: records wait until a batch is full or has
//! lingered long enough, then leave with the cursor that follows them.

use std::time::Duration;

use tokio::time::Instant;
use veille_bus::{Batch, BatchSender, Closed, Record};

use crate::metrics;

/// Records waiting to be sent by one source, and the cursor after them.
#[derive(Debug)]
pub(crate) struct Outbox {
    source: String,
    out: BatchSender,
    batch_size: usize,
    linger: Duration,
    records: Vec<Record>,
    cursor: Option<String>,
    /// The cursor changed since the last batch.
    dirty: bool,
    /// When the oldest waiting change arrived.
    since: Option<Instant>,
}

impl Outbox {
    /// An empty outbox sending to `out` batches of at most `batch_size` records, none waiting longer than `linger`.
    pub(crate) fn new(source: &str, out: BatchSender, batch_size: usize, linger: Duration) -> Self {
        Outbox {
            source: source.to_string(),
            out,
            batch_size: batch_size.max(1),
            linger,
            records: Vec::new(),
            cursor: None,
            dirty: false,
            since: None,
        }
    }

    /// Adds a record; the batch it joins resumes after `cursor`.
    pub(crate) fn push(&mut self, record: Record, cursor: String) {
        self.records.push(record);
        self.advance(cursor);
    }

    /// Adds a record that does not move the cursor (input whose position is unknown).
    pub(crate) fn add(&mut self, record: Record) {
        self.records.push(record);
        self.since.get_or_insert_with(Instant::now);
    }

    /// Moves the cursor past input that gave no record (a deletion, a like, a seen entry).
    pub(crate) fn advance(&mut self, cursor: String) {
        if self.cursor.as_deref() != Some(cursor.as_str()) {
            self.cursor = Some(cursor);
            self.dirty = true;
        }
        self.since.get_or_insert_with(Instant::now);
    }

    /// The batch is full and should be sent now.
    pub(crate) fn is_full(&self) -> bool {
        self.records.len() >= self.batch_size
    }

    /// When the waiting records must be sent; far in the future when nothing waits.
    pub(crate) fn deadline(&self) -> Instant {
        match self.since {
            Some(t) => t + self.linger,
            None => Instant::now() + Duration::from_secs(3600),
        }
    }

    /// Sends the waiting records (or a moved cursor) as one batch.
    pub(crate) async fn flush(&mut self) -> Result<(), Closed> {
        self.since = None;
        if self.records.is_empty() && !self.dirty {
            return Ok(());
        }
        let records = std::mem::take(&mut self.records);
        metrics::observe(&self.source, &records);
        self.dirty = false;
        self.out.send(Batch::new(self.source.as_str(), records, self.cursor.clone())).await
    }

    /// Sends what is waiting when full; otherwise keeps it.
    pub(crate) async fn flush_if_full(&mut self) -> Result<(), Closed> {
        if self.is_full() {
            self.flush().await
        } else {
            Ok(())
        }
    }
}
