//! The transport between veille's stages.
//!
//! Sources send [`Batch`]es of [`Record`]s; each batch carries the source's
//! cursor *after* its last record, so whoever makes the batch durable can
//! store that cursor with it. The embedded bus is a bounded channel: when the
//! consumer falls behind, senders wait (backpressure). Nothing is dropped.
//!
//! With the `kafka` feature, the `kafka` module carries the same records between
//! machines: ingest workers produce batches to a Kafka topic and resume their
//! sources only once the broker acknowledged a batch; processors consume as a
//! group, each owning the partitions (and the index shards) assigned to it.
//! Without the feature this crate does not need librdkafka.
//!
//! ```
//! let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! rt.block_on(async {
//!     let (tx, mut rx) = veille_bus::embedded(4);
//!     tx.send(veille_bus::Batch::new("replay", Vec::new(), Some("42".into()))).await.unwrap();
//!     drop(tx);
//!     assert_eq!(rx.recv().await.unwrap().cursor.as_deref(), Some("42"));
//!     assert!(rx.recv().await.is_none());
//! });
//! ```

#[cfg(feature = "kafka")]
pub mod kafka;

use std::sync::{Arc, LazyLock};

use prometheus::{register_int_counter_vec, register_int_gauge, IntCounterVec, IntGauge};
use tokio::sync::mpsc;
use veille_model::{DeadLetter, Mention};

static BATCHES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("veille_bus_batches_total", "Batches sent on the bus, by source", &["source"])
        .unwrap_or_else(|e| panic!("metric registration: {e}"))
});
static RECORDS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "veille_bus_records_total",
        "Records sent on the bus, by source and kind",
        &["source", "kind"]
    )
    .unwrap_or_else(|e| panic!("metric registration: {e}"))
});
static IN_FLIGHT: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!("veille_bus_batches_in_flight", "Batches sent and not yet received")
        .unwrap_or_else(|e| panic!("metric registration: {e}"))
});

/// One unit of input: a mention, or what could not become one.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A valid mention.
    Mention(Box<Mention>),
    /// Input refused, with its reason.
    Dead(Box<DeadLetter>),
}

/// Records from one source, in source order, with the cursor that follows them.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The source's configured name.
    pub source: Arc<str>,
    /// The records, in the order the source read them.
    pub records: Vec<Record>,
    /// Where the source resumes once these records are durable; `None` when it cannot resume.
    pub cursor: Option<String>,
    /// Told once the batch is durable, for sources that cannot resume from a cursor and
    /// must not answer their client before then (webhook push).
    pub on_durable: Option<OnDurable>,
}

impl Batch {
    /// A batch from `source`.
    pub fn new(source: impl Into<Arc<str>>, records: Vec<Record>, cursor: Option<String>) -> Self {
        Batch { source: source.into(), records, cursor, on_durable: None }
    }

    /// This batch, with `notice` to tell once it is durable.
    pub fn with_on_durable(mut self, notice: OnDurable) -> Self {
        self.on_durable = Some(notice);
        self
    }
}

/// A one-shot notice that a batch is durable: in the index (embedded bus), or acknowledged by
/// the broker (Kafka). Dropped without being told, it tells its waiter that the batch was not
/// made durable (the pipeline stopped first).
#[derive(Debug, Clone)]
pub struct OnDurable(Arc<std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>>);

/// Waits for an [`OnDurable`] notice.
#[derive(Debug)]
pub struct DurableWait(tokio::sync::oneshot::Receiver<()>);

impl OnDurable {
    /// A notice and the handle that waits for it.
    pub fn new() -> (OnDurable, DurableWait) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (OnDurable(Arc::new(std::sync::Mutex::new(Some(tx)))), DurableWait(rx))
    }

    /// Tells the waiter that the batch is durable; later calls do nothing.
    pub fn notify(&self) {
        let sender = match self.0.lock() {
            Ok(mut slot) => slot.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(tx) = sender {
            // The waiter may have given up (its client went away); nothing to tell then.
            let _ = tx.send(());
        }
    }
}

impl PartialEq for OnDurable {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl DurableWait {
    /// Resolves once the batch is durable; `Err(Closed)` when it never will be.
    pub async fn wait(self) -> Result<(), Closed> {
        self.0.await.map_err(|_| Closed)
    }
}

/// The receiving side is gone: the pipeline is shutting down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the pipeline stopped receiving")]
pub struct Closed;

/// Sends batches; clone it to give each source its own handle.
#[derive(Debug, Clone)]
pub struct BatchSender(mpsc::Sender<Batch>);

/// Receives batches in the order each source sent them.
#[derive(Debug)]
pub struct BatchReceiver(mpsc::Receiver<Batch>);

/// A bounded in-process bus holding at most `capacity` batches.
pub fn embedded(capacity: usize) -> (BatchSender, BatchReceiver) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    (BatchSender(tx), BatchReceiver(rx))
}

fn count(batch: &Batch) {
    let mentions = batch.records.iter().filter(|r| matches!(r, Record::Mention(_))).count();
    let dead = batch.records.len() - mentions;
    BATCHES.with_label_values(&[&*batch.source]).inc();
    RECORDS.with_label_values(&[&*batch.source, "mention"]).inc_by(mentions as u64);
    if dead > 0 {
        RECORDS.with_label_values(&[&*batch.source, "dead"]).inc_by(dead as u64);
    }
    IN_FLIGHT.inc();
}

impl BatchSender {
    /// Sends a batch, waiting while the bus is full.
    pub async fn send(&self, batch: Batch) -> Result<(), Closed> {
        count(&batch);
        self.0.send(batch).await.map_err(|_| {
            IN_FLIGHT.dec();
            Closed
        })
    }

    /// Sends from a thread outside the async runtime, blocking while the bus is full.
    pub fn blocking_send(&self, batch: Batch) -> Result<(), Closed> {
        count(&batch);
        self.0.blocking_send(batch).map_err(|_| {
            IN_FLIGHT.dec();
            Closed
        })
    }
}

impl BatchReceiver {
    /// The next batch; `None` once every sender is gone and the bus is empty.
    pub async fn recv(&mut self) -> Option<Batch> {
        let b = self.0.recv().await;
        if b.is_some() {
            IN_FLIGHT.dec();
        }
        b
    }

    /// As [`BatchReceiver::recv`], from a thread outside the async runtime.
    pub fn blocking_recv(&mut self) -> Option<Batch> {
        let b = self.0.blocking_recv();
        if b.is_some() {
            IN_FLIGHT.dec();
        }
        b
    }

    /// The next batch if one is waiting, without blocking.
    pub fn try_recv(&mut self) -> Option<Batch> {
        let b = self.0.try_recv().ok();
        if b.is_some() {
            IN_FLIGHT.dec();
        }
        b
    }
}
