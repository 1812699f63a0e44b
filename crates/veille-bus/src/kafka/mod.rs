//! The Kafka transport: ingest workers produce, processors consume as a group.
//!
//! ```text
//! ingest worker ──KafkaSink──▶ veille.mentions.raw (keyed by mention key) ──KafkaGroupConsumer──▶ processor
//!               └───────────▶ veille.deadletter (records refused at the source)
//! ```
//!
//! **Producing.** [`KafkaSink`] is an idempotent producer (`enable.idempotence`,
//! `acks=all`): a retried record is written once, in order within its
//! partition. [`KafkaSink::send_batch`] resolves only when the broker has
//! acknowledged *every* record of the batch, so an ingest worker stores the
//! batch's source cursor after it returns, never before. Mentions are keyed by
//! their mention key, so every version of a mention lands in the same
//! partition, in order.
//!
//! **Consuming.** [`KafkaGroupConsumer`] joins the configured consumer group
//! with automatic offset commit and store turned off: the offsets that count
//! are the ones the processor stores in the tantivy commit payload of the
//! shard that owns each partition ([`checkpoint_key`] names them in a
//! [`veille_model::Checkpoint`]). A [`PartitionOwner`] hears about every
//! rebalance, synchronously, on the thread that polls:
//! - on assignment it returns where each partition starts (the offset in its
//!   shard's last commit), and the consumer starts there;
//! - on revocation it makes what it consumed from those partitions durable
//!   and returns the offsets it made durable, before the partitions go to
//!   another consumer. Those offsets are also committed to the group, which
//!   is where lag monitors (and [`start offsets`](PartitionOwner::assigned)
//!   left unset) read them.
//!
//! A message that is not a valid mention comes out as a [`Record::Dead`](crate::Record::Dead)
//! naming its topic, partition and offset: it is never dropped.
//!
//! **Metrics** (Prometheus, default registry): produced and consumed records
//! per topic, batch acknowledgement latency, consumer lag per partition (from
//! librdkafka statistics), rebalances and assigned partitions. See
//! [`metrics`] for the names.
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use std::sync::Arc;
//! use std::time::Duration;
//! use veille_bus::kafka::{KafkaGroupConsumer, KafkaSink, OwnerError, PartitionOwner};
//!
//! /// Where each partition's shard stands (a processor reads it from the shard's commit payload).
//! struct Shards;
//! impl PartitionOwner for Shards {
//!     fn assigned(&self, _topic: &str, partitions: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError> {
//!         Ok(partitions.iter().map(|&p| (p, 0)).collect()) // open each shard, return its stored offset
//!     }
//!     fn revoked(&self, _topic: &str, partitions: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError> {
//!         Ok(BTreeMap::new()) // commit each shard, return the offsets it now holds
//!     }
//!     fn lost(&self, _topic: &str, _partitions: &[i32]) {} // drop uncommitted work
//! }
//!
//! # async fn ingest(batch: veille_bus::Batch) -> Result<(), veille_bus::kafka::KafkaError> {
//! let config = veille_config::KafkaConfig::default();
//! // Ingest: store the batch's cursor once this returns.
//! let sink = KafkaSink::new(&config)?;
//! sink.send_batch(&batch).await?;
//!
//! // Process: poll on a thread of its own; rebalances run inside `poll`.
//! let consumer = KafkaGroupConsumer::join(&config, Arc::new(Shards))?;
//! for consumed in consumer.poll(1_000, Duration::from_millis(500))? {
//!     println!("{}@{}: {:?}", consumed.partition, consumed.offset, consumed.record);
//! }
//! consumer.close()?;
//! # Ok(())
//! # }
//! ```

mod codec;
mod consumer;
pub mod metrics;
mod producer;
mod rebalance;
mod sequence;
mod table;
mod topics;

use std::time::Duration;

use rdkafka::config::ClientConfig;
use veille_config::KafkaConfig;

pub use consumer::{Consumed, KafkaGroupConsumer, RawMessage};
pub use producer::{Acked, KafkaSink, Pending};
pub use rebalance::{OwnerError, PartitionOwner};
pub use table::TableReader;
pub use topics::ensure_topics;

/// Header carrying the name of the source a record came from.
pub const SOURCE_HEADER: &str = "veille-source";
/// Header saying what a message of the signals topic is (`fact`, `ack`).
pub const KIND_HEADER: &str = "veille-kind";

/// Why a Kafka operation failed; each variant names what it was working on.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    /// The configuration does not make a working client.
    #[error("kafka client for {brokers}: {source}")]
    Client {
        /// The bootstrap brokers.
        brokers: String,
        /// librdkafka's error.
        source: rdkafka::error::KafkaError,
    },
    /// The broker did not acknowledge a record.
    #[error("record for {topic} partition {partition} not acknowledged: {source}")]
    Delivery {
        /// The topic.
        topic: String,
        /// The partition, or -1 when none was chosen yet.
        partition: i32,
        /// librdkafka's error.
        source: rdkafka::error::KafkaError,
    },
    /// The producer shut down before the record was acknowledged.
    #[error("producer for {topic} closed before acknowledging a record")]
    Closed {
        /// The topic.
        topic: String,
    },
    /// Subscribing, assigning, committing or polling failed.
    #[error("consumer of {topic}: {what}: {source}")]
    Consumer {
        /// The topic.
        topic: String,
        /// The operation.
        what: &'static str,
        /// librdkafka's error.
        source: rdkafka::error::KafkaError,
    },
    /// The partition owner could not open or commit a partition's shard.
    #[error("consumer of {topic}: {source}")]
    Owner {
        /// The topic.
        topic: String,
        /// The owner's error.
        source: OwnerError,
    },
    /// A topic could not be created.
    #[error("creating topic {topic}: {reason}")]
    Topic {
        /// The topic.
        topic: String,
        /// The broker's or client's reason.
        reason: String,
    },
    /// The broker did not answer in time.
    #[error("{what} timed out after {timeout:?}")]
    Timeout {
        /// The operation.
        what: &'static str,
        /// How long it waited.
        timeout: Duration,
    },
}

/// The checkpoint key of a partition: `topic/partition`, as stored in
/// [`veille_model::Checkpoint::partitions`].
pub fn checkpoint_key(topic: &str, partition: i32) -> String {
    format!("{topic}/{partition}")
}

/// Settings shared by producers, consumers and admin clients: brokers, the
/// client's `defaults`, then the extra `properties` of the configuration
/// (which may override the defaults, never the settings veille reserves).
fn base_config(config: &KafkaConfig, client_id: &str, defaults: &[(&str, &str)]) -> ClientConfig {
    let mut client = ClientConfig::new();
    client.set("bootstrap.servers", config.brokers.join(",")).set("client.id", client_id);
    for (key, value) in defaults {
        client.set(*key, *value);
    }
    for (key, value) in &config.properties {
        client.set(key, value);
    }
    client
}

fn client_error(config: &KafkaConfig, source: rdkafka::error::KafkaError) -> KafkaError {
    KafkaError::Client { brokers: config.brokers.join(","), source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_keys_name_topic_and_partition() {
        assert_eq!(checkpoint_key("veille.mentions.raw", 3), "veille.mentions.raw/3");
    }

    #[test]
    fn extra_properties_reach_the_client_configuration() {
        let mut config = KafkaConfig::default();
        config.properties.insert("linger.ms".into(), "7".into());
        let client = base_config(&config, "veille-test", &[("linger.ms", "5"), ("fetch.wait.max.ms", "100")]);
        assert_eq!(client.get("linger.ms"), Some("7"));
        assert_eq!(client.get("fetch.wait.max.ms"), Some("100"));
        assert_eq!(client.get("bootstrap.servers"), Some("127.0.0.1:9092"));
    }
}
