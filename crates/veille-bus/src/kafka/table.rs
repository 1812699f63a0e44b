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
/// How long the topic's partitions are looked up for at start.
const METADATA: Duration = Duration::from_secs(30);

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
    /// Starts reading `topic` (which must exist): `apply` gets every message, oldest first
    /// within each partition, until the reader is stopped or dropped.
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
        let error = |what, source| KafkaError::Consumer { topic: topic.to_string(), what, source };
        let metadata = consumer.fetch_metadata(Some(topic), METADATA).map_err(|e| error("metadata", e))?;
        let mut assignment = TopicPartitionList::new();
        for t in metadata.topics().iter().filter(|t| t.name() == topic) {
            for p in t.partitions() {
                assignment.add_partition_offset(topic, p.id(), Offset::Beginning).map_err(|e| error("assign", e))?;
            }
        }
        if assignment.count() == 0 {
            return Err(KafkaError::Topic { topic: topic.to_string(), reason: "the topic has no partition".into() });
        }
        consumer.assign(&assignment).map_err(|e| error("assign", e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let name = topic.to_string();
        let thread = std::thread::Builder::new()
            .name(format!("veille-table-{topic}"))
            .spawn(move || {
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
