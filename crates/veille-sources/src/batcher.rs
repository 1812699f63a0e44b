//! Batching for live connectors: records wait until a batch is full or has
//! lingered long enough, then leave with the cursor that follows them.

use std::time::Duration;

use tokio::time::Instant;
use veille_bus::{Batch, BatchSender, Closed, Record};

use crate::metrics;

/// Records waiting to be sent by one source.
///
/// The cursor is not kept here: whoever flushes passes the cursor that
/// follows the waiting records, so it is rendered once per batch.
#[derive(Debug)]
pub(crate) struct Batcher {
    source: String,
    out: BatchSender,
    batch_size: usize,
    linger: Duration,
    records: Vec<Record>,
    /// The cursor moved since the last batch.
    moved: bool,
    /// When the oldest waiting change arrived.
    since: Option<Instant>,
}

impl Batcher {
    /// An empty batcher sending to `out` batches of at most `batch_size` records, none waiting longer than `linger`.
    pub(crate) fn new(source: &str, out: BatchSender, batch_size: usize, linger: Duration) -> Self {
        Batcher {
            source: source.to_string(),
            out,
            batch_size: batch_size.max(1),
            linger,
            records: Vec::new(),
            moved: false,
            since: None,
        }
    }

    /// Adds a record.
    pub(crate) fn add(&mut self, record: Record) {
        self.records.push(record);
        self.since.get_or_insert_with(Instant::now);
    }

    /// Notes that the cursor moved (past a record, or past input that gave none).
    pub(crate) fn moved(&mut self) {
        self.moved = true;
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

    /// Sends the waiting records (or a moved cursor) as one batch resuming after `cursor`.
    pub(crate) async fn flush(&mut self, cursor: Option<String>) -> Result<(), Closed> {
        self.since = None;
        if self.records.is_empty() && !self.moved {
            return Ok(());
        }
        let records = std::mem::take(&mut self.records);
        metrics::observe(&self.source, &records);
        self.moved = false;
        self.out.send(Batch::new(self.source.as_str(), records, cursor)).await
    }
}
