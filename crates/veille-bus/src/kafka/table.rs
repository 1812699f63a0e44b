//! Following a compacted topic as a table: every partition from its start, then what comes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use veille_config::KafkaConfig;

use super::consumer::{raw, RawMessage};
use super::rebalance::TracingContext;
use super::{base_config, client_error, KafkaError};

/// How long a read waits before it looks at the stop flag again.
const POLL: Duration = Duration::from_millis(100);
/// How long one look-up of the topic's partitions may take.
const METADATA: Duration = Duration::from_secs(10);
/// How often a table that does not exist yet is looked up again.
const RETRY: Duration = Duration::from_secs(1);

/// Reads every partition of one topic from its start, in a thread of its own, and hands each
/// message to a function: the way API servers and processors follow the alert and key-node
/// tables the signals owners publish. It joins no group and commits nothing, so every reader
/// sees the whole table; compaction keeps the table as long as its keys, not its history.
pub struct TableReader {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    topic: String,
}

impl std::fmt::Debug for TableReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableReader").field("topic", &self.topic).finish()
    }
}

impl TableReader {
    /// Starts reading `topic`: `apply` gets every message, oldest first within each
    /// partition, until the reader is stopped or dropped. A topic that does not exist yet (its
    /// first writer has not written) is looked up again every second until it does.
    pub fn start(
        config: &KafkaConfig,
        topic: &str,
        mut apply: impl FnMut(RawMessage) + Send + 'static,
    ) -> Result<TableReader, KafkaError> {
        // librdkafka wants a group id even for a consumer that only assigns; nothing is committed.
        let group = format!("veille-table-{}-{}", std::process::id(), topic);
        let mut client = base_config(config, "veille-table", &[("enable.partition.eof", "false")]);
        client.set("group.id", &group).set("enable.auto.commit", "false").set("enable.auto.offset.store", "false");
        let consumer: BaseConsumer<TracingContext> =
            client.create_with_context(TracingContext).map_err(|e| client_error(config, e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let name = topic.to_string();
        let thread = std::thread::Builder::new()
            .name(format!("veille-table-{topic}"))
            .spawn(move || {
                if !assign_all(&consumer, &name, &stopping) {
                    return;
                }
                while !stopping.load(Ordering::Relaxed) {
                    match consumer.poll(POLL) {
                        Some(Ok(message)) => apply(raw(&message)),
                        Some(Err(error)) => tracing::warn!(topic = %name, %error, "reading a table"),
                        None => {}
                    }
                }
            })
            .map_err(|e| KafkaError::Topic { topic: topic.to_string(), reason: format!("reader thread: {e}") })?;
        Ok(TableReader { stop, thread: Some(thread), topic: topic.to_string() })
    }

    /// Stops reading and waits for the reader's thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TableReader {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Assigns every partition of `topic` from its start, once the topic has partitions; false
/// when stopped first.
fn assign_all(consumer: &BaseConsumer<TracingContext>, topic: &str, stop: &AtomicBool) -> bool {
    let mut warned = false;
    while !stop.load(Ordering::Relaxed) {
        let mut assignment = TopicPartitionList::new();
        match consumer.fetch_metadata(Some(topic), METADATA) {
            Ok(metadata) => {
                for t in metadata.topics().iter().filter(|t| t.name() == topic) {
                    for p in t.partitions() {
                        if let Err(error) = assignment.add_partition_offset(topic, p.id(), Offset::Beginning) {
                            tracing::warn!(%topic, %error, "assigning a table partition");
                        }
                    }
                }
            }
            Err(error) => tracing::warn!(%topic, %error, "looking the table up"),
        }
        if assignment.count() > 0 {
            match consumer.assign(&assignment) {
                Ok(()) => return true,
                Err(error) => tracing::warn!(%topic, %error, "assigning a table"),
            }
        } else if !warned {
            tracing::info!(%topic, "the table has no partition yet; waiting for its first writer");
            warned = true;
        }
        std::thread::sleep(RETRY);
    }
    false
}
