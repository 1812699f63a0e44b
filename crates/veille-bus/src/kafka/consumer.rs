//! The consumer-group member of the processor role.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError as RdKafkaError;
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use veille_config::KafkaConfig;

use super::codec::{decode, Position};
use super::rebalance::{GroupContext, PartitionOwner};
use super::sequence::{Sequence, Verdict};
use super::{base_config, client_error, metrics, KafkaError, KIND_HEADER, SOURCE_HEADER};
use crate::Record;

/// Longest wait for a partition to be fetched again from an earlier offset.
const SEEK_TIMEOUT: Duration = Duration::from_secs(5);

/// One record read from the mentions topic, with where it was.
#[derive(Debug, Clone, PartialEq)]
pub struct Consumed {
    /// The partition it was read from.
    pub partition: i32,
    /// Its offset; the partition's next offset once it is durable is `offset + 1`.
    pub offset: i64,
    /// The mention, or a dead letter when the message was not a valid mention.
    pub record: Record,
    /// The source that read it (the record's source header; `kafka:TOPIC` without one).
    pub source: String,
}

/// One message read raw from a topic (for topics other than the mentions topic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// The partition it was read from.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Its key.
    pub key: Option<Vec<u8>>,
    /// Its value (`None` for a tombstone).
    pub payload: Option<Vec<u8>>,
    /// The value of its `veille-kind` header, if any.
    pub kind: Option<String>,
}

/// A member of a consumer group reading one topic: the processors' group on the mentions
/// topic ([`KafkaGroupConsumer::join`]), or the signals owners' group on the signals topic
/// ([`KafkaGroupConsumer::join_signals`]).
///
/// Offsets are neither stored nor committed automatically: the
/// [`PartitionOwner`] decides where each partition starts, and what is durable.
pub struct KafkaGroupConsumer {
    consumer: BaseConsumer<GroupContext>,
    topic: String,
    /// The offset each assigned partition expects next (see [`Sequence`]).
    sequence: Mutex<Sequence>,
}

impl std::fmt::Debug for KafkaGroupConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaGroupConsumer").field("topic", &self.topic).finish()
    }
}

impl KafkaGroupConsumer {
    /// Joins the configured group on the mentions topic; `owner` hears about
    /// every assignment and revocation. Joining completes during the first polls.
    pub fn join(config: &KafkaConfig, owner: Arc<dyn PartitionOwner>) -> Result<Self, KafkaError> {
        Self::join_group(config, &config.group_id, &config.topics.mentions, "veille-process", owner)
    }

    /// Joins the signals owners' group on the signals topic (see [`KafkaGroupConsumer::join`]);
    /// read with [`KafkaGroupConsumer::poll_raw`].
    pub fn join_signals(config: &KafkaConfig, owner: Arc<dyn PartitionOwner>) -> Result<Self, KafkaError> {
        Self::join_group(config, &config.signals_group_id, &config.topics.signals, "veille-signals", owner)
    }

    fn join_group(
        config: &KafkaConfig,
        group: &str,
        topic: &str,
        client_id: &str,
        owner: Arc<dyn PartitionOwner>,
    ) -> Result<Self, KafkaError> {
        let topic = topic.to_string();
        let defaults = [("auto.offset.reset", "earliest"), ("statistics.interval.ms", "5000")];
        let mut client = base_config(config, client_id, &defaults);
        client.set("group.id", group).set("enable.auto.commit", "false").set("enable.auto.offset.store", "false");
        let consumer: BaseConsumer<GroupContext> =
            client.create_with_context(GroupContext::new(topic.clone(), owner)).map_err(|e| client_error(config, e))?;
        consumer.subscribe(&[&topic]).map_err(|source| KafkaError::Consumer {
            topic: topic.clone(),
            what: "subscribe",
            source,
        })?;
        Ok(KafkaGroupConsumer { consumer, topic, sequence: Mutex::new(Sequence::default()) })
    }

    /// The topic this consumer reads.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Waits up to `timeout` for records, then returns at most `max` of them,
    /// in offset order within each partition, each once: a record received again is dropped,
    /// and when records are missing before one (a broker that handed out a record before the
    /// one before it was readable), the partition is fetched again from the first missing one. Rebalances run inside this call
    /// (see [`PartitionOwner`]); records of a partition revoked during the
    /// call are not returned. An owner failure ends the call with
    /// [`KafkaError::Owner`]: the processor must stop and close.
    pub fn poll(&self, max: usize, timeout: Duration) -> Result<Vec<Consumed>, KafkaError> {
        self.poll_with(
            max,
            timeout,
            |c: &Consumed| c.partition,
            |message| {
                let at = Position { topic: message.topic(), partition: message.partition(), offset: message.offset() };
                let source =
                    message.headers().and_then(|h| h.iter().find(|h| h.key == SOURCE_HEADER)).and_then(|h| h.value);
                let record = decode(at, source, message.payload());
                if matches!(record, Record::Dead(_)) {
                    metrics::MALFORMED.with_label_values(&[&self.topic]).inc();
                }
                let source = source
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .unwrap_or_else(|| format!("kafka:{}", at.topic));
                Consumed { partition: at.partition, offset: at.offset, record, source }
            },
        )
    }

    /// Like [`KafkaGroupConsumer::poll`], for a topic whose messages are not mentions: returns
    /// them as they are, with their key and `veille-kind` header.
    pub fn poll_raw(&self, max: usize, timeout: Duration) -> Result<Vec<RawMessage>, KafkaError> {
        self.poll_with(max, timeout, |m: &RawMessage| m.partition, |message| raw(message))
    }

    /// The polling loop both readers share: waits up to `timeout` for a first message, then
    /// takes what is already there, up to `max`, each read by `read`; drops what a rebalance
    /// revoked meanwhile (`partition` tells where a read message came from).
    fn poll_with<T>(
        &self,
        max: usize,
        timeout: Duration,
        partition: impl Fn(&T) -> i32,
        mut read: impl FnMut(&rdkafka::message::BorrowedMessage<'_>) -> T,
    ) -> Result<Vec<T>, KafkaError> {
        let deadline = Instant::now() + timeout;
        let mut out: Vec<T> = Vec::new();
        while out.len() < max.max(1) {
            // Wait for the first message; then take only what is already there.
            let wait = if out.is_empty() { deadline.saturating_duration_since(Instant::now()) } else { Duration::ZERO };
            let polled = self.consumer.poll(wait);
            let revoked = self.consumer.context().take_revoked();
            if !revoked.is_empty() {
                out.retain(|c| !revoked.contains(&partition(c)));
            }
            let assigned = self.consumer.context().take_assigned();
            {
                let mut sequence = self.sequence.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                revoked.iter().for_each(|p| sequence.revoked(*p));
                assigned.into_iter().for_each(|(p, start)| sequence.assigned(p, start));
            }
            if let Some(source) = self.consumer.context().take_failure() {
                return Err(KafkaError::Owner { topic: self.topic.clone(), source });
            }
            match polled {
                Some(Ok(message)) => {
                    if self.in_sequence(message.partition(), message.offset()) {
                        out.push(read(&message));
                    }
                }
                Some(Err(RdKafkaError::MessageConsumptionFatal(code))) => {
                    return Err(KafkaError::Consumer {
                        topic: self.topic.clone(),
                        what: "poll",
                        source: RdKafkaError::MessageConsumptionFatal(code),
                    });
                }
                Some(Err(error)) => {
                    // Transient (a broker restarting, a partition moving): librdkafka retries.
                    tracing::warn!(topic = %self.topic, %error, "consuming");
                }
                None if out.is_empty() && Instant::now() < deadline => {}
                None => break,
            }
        }
        metrics::CONSUMED.with_label_values(&[&self.topic]).inc_by(out.len() as u64);
        Ok(out)
    }

    /// Whether the record at `offset` of `partition` is the one due next and is to be taken;
    /// a repeat is dropped, and a hole before it makes the partition be fetched again from the
    /// missing offset (see [`Sequence`]).
    fn in_sequence(&self, partition: i32, offset: i64) -> bool {
        let verdict = self.sequence.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).check(
            partition,
            offset,
            Instant::now(),
        );
        let count = |outcome: &str| metrics::OUT_OF_SEQUENCE.with_label_values(&[&self.topic, outcome]).inc();
        match verdict {
            Verdict::Next => true,
            Verdict::Repeat => {
                count("repeat");
                tracing::debug!(topic = %self.topic, partition, offset, "record received again; dropped");
                false
            }
            Verdict::Hole { expected } => {
                count("refetched");
                tracing::warn!(
                    topic = %self.topic,
                    partition,
                    expected,
                    offset,
                    "records missing before this one; fetching the partition again from the first"
                );
                match self.consumer.seek(&self.topic, partition, Offset::Offset(expected), SEEK_TIMEOUT) {
                    Ok(()) => false,
                    Err(error) => {
                        // Without a fetch again the hole stays: take the record rather than stall.
                        tracing::warn!(topic = %self.topic, partition, %error, "fetching again failed");
                        true
                    }
                }
            }
            Verdict::Accepted { missing } => {
                count("accepted");
                tracing::warn!(
                    topic = %self.topic,
                    partition,
                    offset,
                    missing,
                    "records missing before this one after every fetch again; going on without them"
                );
                true
            }
        }
    }

    /// Records in the group the next offset of each partition that is now
    /// durable (call it after each shard commit). Lag monitors read these;
    /// the shards stay the reference for where a partition resumes.
    pub fn commit(&self, durable: &BTreeMap<i32, i64>) -> Result<(), KafkaError> {
        if durable.is_empty() {
            return Ok(());
        }
        let error = |source| KafkaError::Consumer { topic: self.topic.clone(), what: "commit", source };
        let mut offsets = TopicPartitionList::with_capacity(durable.len());
        for (&partition, &offset) in durable {
            offsets.add_partition_offset(&self.topic, partition, Offset::Offset(offset)).map_err(error)?;
        }
        self.consumer.commit(&offsets, CommitMode::Async).map_err(error)
    }

    /// The partitions this consumer owns now.
    pub fn assignment(&self) -> Result<Vec<i32>, KafkaError> {
        let assignment = self.consumer.assignment().map_err(|source| KafkaError::Consumer {
            topic: self.topic.clone(),
            what: "assignment",
            source,
        })?;
        Ok(assignment.elements_for_topic(&self.topic).iter().map(|e| e.partition()).collect())
    }

    /// Leaves the group: the owner's [`revoked`](PartitionOwner::revoked) runs
    /// for every partition still owned, then they go to the other members.
    pub fn close(self) -> Result<(), KafkaError> {
        let context = self.consumer.context().clone();
        let topic = self.topic.clone();
        // Dropping the consumer closes it, running the final revocation.
        drop(self);
        match context.take_failure() {
            Some(source) => Err(KafkaError::Owner { topic, source }),
            None => Ok(()),
        }
    }
}

/// A message as it is, with its key and `veille-kind` header.
pub(crate) fn raw<M: Message>(message: &M) -> RawMessage {
    let kind = message
        .headers()
        .and_then(|h| h.iter().find(|h| h.key == KIND_HEADER))
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).into_owned());
    RawMessage {
        partition: message.partition(),
        offset: message.offset(),
        key: message.key().map(<[u8]>::to_vec),
        payload: message.payload().map(<[u8]>::to_vec),
        kind,
    }
}
