//! Prometheus metrics of the Kafka transport (default registry).
//!
//! | name | type | labels | meaning |
//! |---|---|---|---|
//! | `veille_bus_kafka_produced_total` | counter | `topic` | records acknowledged by the broker |
//! | `veille_bus_kafka_produce_errors_total` | counter | `topic` | records the broker did not acknowledge |
//! | `veille_bus_kafka_batch_ack_seconds` | histogram | | from sending a batch to its last acknowledgement |
//! | `veille_bus_kafka_consumed_total` | counter | `topic` | records handed to the processor |
//! | `veille_bus_kafka_malformed_total` | counter | `topic` | consumed messages turned into dead letters |
//! | `veille_bus_kafka_consumer_lag` | gauge | `topic`, `partition` | records after the group's committed offset |
//! | `veille_bus_kafka_rebalances_total` | counter | `event` (`assign`, `revoke`) | rebalance callbacks |
//! | `veille_bus_kafka_assigned_partitions` | gauge | | partitions this consumer owns |
//! | `veille_bus_kafka_revoke_seconds` | histogram | | time the owner took to make revoked partitions durable |

use std::sync::LazyLock;

use prometheus::{
    register_histogram, register_int_counter_vec, register_int_gauge, register_int_gauge_vec, Histogram, IntCounterVec,
    IntGauge, IntGaugeVec,
};
use rdkafka::statistics::Statistics;

fn registered<T>(metric: Result<T, prometheus::Error>) -> T {
    metric.unwrap_or_else(|e| panic!("metric registration: {e}"))
}

pub(crate) static PRODUCED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(register_int_counter_vec!(
        "veille_bus_kafka_produced_total",
        "Records acknowledged by the Kafka broker, by topic",
        &["topic"]
    ))
});
pub(crate) static PRODUCE_ERRORS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(register_int_counter_vec!(
        "veille_bus_kafka_produce_errors_total",
        "Records the Kafka broker did not acknowledge, by topic",
        &["topic"]
    ))
});
pub(crate) static BATCH_ACK: LazyLock<Histogram> = LazyLock::new(|| {
    registered(register_histogram!(
        "veille_bus_kafka_batch_ack_seconds",
        "Time from sending a batch to Kafka to the acknowledgement of its last record",
        vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]
    ))
});
pub(crate) static CONSUMED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(register_int_counter_vec!(
        "veille_bus_kafka_consumed_total",
        "Records consumed from Kafka and handed to the processor, by topic",
        &["topic"]
    ))
});
pub(crate) static MALFORMED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(register_int_counter_vec!(
        "veille_bus_kafka_malformed_total",
        "Consumed Kafka messages that were not valid mentions (turned into dead letters), by topic",
        &["topic"]
    ))
});
pub(crate) static OUT_OF_SEQUENCE: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(register_int_counter_vec!(
        "veille_bus_kafka_out_of_sequence_total",
        "Consumed records whose offset was not the one due next, by topic and what was done: \
         repeat (dropped), refetched (a hole, fetched again from the missing offset), accepted \
         (a hole that stayed: its records were never received)",
        &["topic", "outcome"]
    ))
});
pub(crate) static LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    registered(register_int_gauge_vec!(
        "veille_bus_kafka_consumer_lag",
        "Records in a partition after the consumer group's committed offset",
        &["topic", "partition"]
    ))
});
pub(crate) static REBALANCES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(register_int_counter_vec!(
        "veille_bus_kafka_rebalances_total",
        "Consumer group rebalance callbacks, by event (assign, revoke)",
        &["event"]
    ))
});
pub(crate) static ASSIGNED: LazyLock<IntGauge> = LazyLock::new(|| {
    registered(register_int_gauge!(
        "veille_bus_kafka_assigned_partitions",
        "Partitions currently assigned to this consumer"
    ))
});
pub(crate) static REVOKE: LazyLock<Histogram> = LazyLock::new(|| {
    registered(register_histogram!(
        "veille_bus_kafka_revoke_seconds",
        "Time the partition owner took to make revoked partitions durable",
        vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]
    ))
});

/// Records consumer lag from a librdkafka statistics report.
///
/// Lag counts records after the group's committed offset, which veille commits
/// once the records are durable in a shard: it is the work not yet done. A
/// partition with no committed offset lags by everything it holds. Partitions
/// this consumer no longer fetches are removed.
pub(crate) fn record_lag(stats: &Statistics) {
    for topic in stats.topics.values() {
        for p in topic.partitions.values().filter(|p| p.partition >= 0) {
            let label = p.partition.to_string();
            match partition_lag(p) {
                Some(lag) => LAG.with_label_values(&[&topic.topic, &label]).set(lag),
                None => {
                    // Absent when this consumer never reported the partition.
                    let _ = LAG.remove_label_values(&[&topic.topic, &label]);
                }
            }
        }
    }
}

/// The lag of one partition, or `None` when this consumer does not fetch it.
fn partition_lag(p: &rdkafka::statistics::Partition) -> Option<i64> {
    if !p.desired || p.hi_offset < 0 {
        return None;
    }
    let done = if p.committed_offset >= 0 { p.committed_offset } else { p.lo_offset.max(0) };
    Some((p.hi_offset - done).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partition(desired: bool, lo: i64, hi: i64, committed: i64) -> rdkafka::statistics::Partition {
        rdkafka::statistics::Partition {
            partition: 0,
            desired,
            lo_offset: lo,
            hi_offset: hi,
            committed_offset: committed,
            ..Default::default()
        }
    }

    #[test]
    fn lag_counts_records_after_the_committed_offset() {
        assert_eq!(partition_lag(&partition(true, 0, 1_000, 400)), Some(600));
        assert_eq!(partition_lag(&partition(true, 0, 1_000, 1_000)), Some(0));
    }

    #[test]
    fn a_partition_never_committed_lags_by_everything_it_holds() {
        assert_eq!(partition_lag(&partition(true, 100, 1_000, -1001)), Some(900));
    }

    #[test]
    fn partitions_not_fetched_have_no_lag() {
        assert_eq!(partition_lag(&partition(false, 0, 1_000, 400)), None);
        assert_eq!(partition_lag(&partition(true, -1, -1, -1)), None);
    }
}
