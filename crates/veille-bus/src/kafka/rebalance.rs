//! Who owns a partition, and how ownership changes hands.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaError as RdKafkaError;
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{Offset, TopicPartitionList};

use super::metrics;

/// Why a [`PartitionOwner`] could not take or give back a partition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("partition {partition}: {reason}")]
pub struct OwnerError {
    /// The partition at fault.
    pub partition: i32,
    /// What went wrong (the shard could not be opened, committed, ...).
    pub reason: String,
}

/// The processor side of a consumer group: it keeps one durable shard per
/// partition and hears about every change of ownership.
///
/// The methods run synchronously on the thread that polls the
/// [`KafkaGroupConsumer`](super::KafkaGroupConsumer), inside the poll, and
/// the rebalance does not go on until they return. Records that poll already
/// returned for a partition are this owner's to make durable (on
/// [`revoked`](PartitionOwner::revoked)) or to forget (on
/// [`lost`](PartitionOwner::lost)); once a partition is revoked, poll returns
/// none of its records until it is assigned again.
pub trait PartitionOwner: Send + Sync + 'static {
    /// `partitions` of `topic` are now this consumer's. Returns the next offset
    /// to consume for each, from its shard's last commit. A partition left out
    /// starts at the group's committed offset, or at the earliest record when
    /// the group has none.
    fn assigned(&self, topic: &str, partitions: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError>;

    /// `partitions` are about to go to another consumer (or this one is
    /// closing): make everything consumed from them durable, and return, for
    /// each, the next offset that is now durable. The new owner starts there.
    /// May name partitions whose assignment failed; those have nothing to commit.
    fn revoked(&self, topic: &str, partitions: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError>;

    /// `partitions` were taken away without a hand-over (this consumer was cut
    /// off from the group for too long): another consumer may already read
    /// them from the last durable offset. Forget what was consumed from them
    /// since the last commit; committing it now would duplicate the new
    /// owner's work.
    fn lost(&self, topic: &str, partitions: &[i32]);
}

/// The consumer's librdkafka context: runs rebalances through the owner,
/// records statistics, forwards librdkafka's logs to `tracing`.
pub(crate) struct GroupContext {
    topic: String,
    owner: Arc<dyn PartitionOwner>,
    /// The first owner failure, reported by the next poll.
    failure: Mutex<Option<OwnerError>>,
    /// Partitions revoked since the consumer last took this list.
    revoked: Mutex<Vec<i32>>,
    /// Partitions assigned since the consumer last took this list, with where each starts
    /// when the owner said.
    assigned: Mutex<Vec<(i32, Option<i64>)>>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded values stay consistent whatever a panicking holder did.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl GroupContext {
    pub(crate) fn new(topic: String, owner: Arc<dyn PartitionOwner>) -> Self {
        GroupContext {
            topic,
            owner,
            failure: Mutex::new(None),
            revoked: Mutex::new(Vec::new()),
            assigned: Mutex::new(Vec::new()),
        }
    }

    /// The first owner failure since the last call.
    pub(crate) fn take_failure(&self) -> Option<OwnerError> {
        locked(&self.failure).take()
    }

    /// Partitions revoked since the last call.
    pub(crate) fn take_revoked(&self) -> Vec<i32> {
        std::mem::take(&mut *locked(&self.revoked))
    }

    /// Partitions assigned since the last call, with their starts.
    pub(crate) fn take_assigned(&self) -> Vec<(i32, Option<i64>)> {
        std::mem::take(&mut *locked(&self.assigned))
    }

    fn fail(&self, error: OwnerError) {
        tracing::error!(topic = %self.topic, %error, "partition owner failed");
        locked(&self.failure).get_or_insert(error);
    }

    fn partitions(&self, tpl: &TopicPartitionList) -> Vec<i32> {
        tpl.elements_for_topic(&self.topic).iter().map(|e| e.partition()).collect()
    }

    fn assign(&self, consumer: &BaseConsumer<Self>, tpl: &mut TopicPartitionList) -> Result<(), RdKafkaError> {
        let partitions = self.partitions(tpl);
        metrics::REBALANCES.with_label_values(&["assign"]).inc();
        let cooperative = matches!(consumer.rebalance_protocol(), RebalanceProtocol::Cooperative);
        match self.owner.assigned(&self.topic, &partitions) {
            Ok(starts) => {
                locked(&self.assigned).extend(partitions.iter().map(|p| (*p, starts.get(p).copied())));
                for (partition, offset) in starts.into_iter().filter(|(p, _)| partitions.contains(p)) {
                    tpl.set_partition_offset(&self.topic, partition, Offset::Offset(offset))?;
                }
                tracing::info!(topic = %self.topic, ?partitions, "partitions assigned");
                if cooperative {
                    consumer.incremental_assign(tpl)?;
                } else {
                    consumer.assign(tpl)?;
                }
                metrics::ASSIGNED.set(consumer.assignment().map_or(0, |a| a.count() as i64));
            }
            Err(error) => {
                self.fail(error);
                if !cooperative {
                    consumer.assign(&TopicPartitionList::new())?;
                }
            }
        }
        Ok(())
    }

    fn revoke(&self, consumer: &BaseConsumer<Self>, tpl: &TopicPartitionList) -> Result<(), RdKafkaError> {
        let partitions = self.partitions(tpl);
        metrics::REBALANCES.with_label_values(&["revoke"]).inc();
        locked(&self.revoked).extend(&partitions);
        let started = Instant::now();
        if consumer.assignment_lost() {
            tracing::warn!(topic = %self.topic, ?partitions, "partitions lost without a hand-over");
            self.owner.lost(&self.topic, &partitions);
        } else {
            match self.owner.revoked(&self.topic, &partitions) {
                Ok(durable) if !durable.is_empty() => {
                    let mut offsets = TopicPartitionList::with_capacity(durable.len());
                    for (partition, offset) in durable {
                        offsets.add_partition_offset(&self.topic, partition, Offset::Offset(offset))?;
                    }
                    // The shards hold the offsets that count; the group's copy
                    // serves lag monitors and owners without a shard.
                    if let Err(error) = consumer.commit(&offsets, CommitMode::Sync) {
                        tracing::warn!(topic = %self.topic, %error, "committing revoked offsets to the group");
                    }
                }
                Ok(_) => {}
                Err(error) => self.fail(error),
            }
        }
        metrics::REVOKE.observe(started.elapsed().as_secs_f64());
        tracing::info!(topic = %self.topic, ?partitions, "partitions revoked");
        if matches!(consumer.rebalance_protocol(), RebalanceProtocol::Cooperative) {
            consumer.incremental_unassign(tpl)?;
        } else {
            consumer.unassign()?;
        }
        metrics::ASSIGNED.set(consumer.assignment().map_or(0, |a| a.count() as i64));
        Ok(())
    }
}

impl ClientContext for GroupContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        forward_log(level, fac, message);
    }

    fn error(&self, error: RdKafkaError, reason: &str) {
        tracing::warn!(topic = %self.topic, %error, reason, "kafka client error");
    }

    fn stats(&self, statistics: Statistics) {
        metrics::record_lag(&statistics);
    }
}

impl ConsumerContext for GroupContext {
    fn rebalance(&self, consumer: &BaseConsumer<Self>, err: RDKafkaRespErr, tpl: &mut TopicPartitionList) {
        let result = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => self.assign(consumer, tpl),
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => self.revoke(consumer, tpl),
            other => {
                tracing::error!(topic = %self.topic, error = ?other, "rebalance failed");
                self.owner.lost(&self.topic, &self.partitions(tpl));
                consumer.unassign()
            }
        };
        if let Err(error) = result {
            tracing::error!(topic = %self.topic, %error, "applying a rebalance");
        }
    }
}

/// librdkafka's own logs, as `tracing` events.
pub(crate) fn forward_log(level: RDKafkaLogLevel, fac: &str, message: &str) {
    match level {
        RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical | RDKafkaLogLevel::Error => {
            tracing::error!(target: "librdkafka", fac, "{message}")
        }
        RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", fac, "{message}"),
        RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => tracing::info!(target: "librdkafka", fac, "{message}"),
        RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", fac, "{message}"),
    }
}

/// The producer's, admin client's and table readers' context: logs through `tracing`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TracingContext;

impl ClientContext for TracingContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        forward_log(level, fac, message);
    }

    fn error(&self, error: RdKafkaError, reason: &str) {
        tracing::warn!(%error, reason, "kafka client error");
    }
}

impl ConsumerContext for TracingContext {}
