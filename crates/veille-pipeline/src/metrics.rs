//! Pipeline metrics, `veille_pipeline_*`.

use std::sync::LazyLock;

use prometheus::{register_histogram, register_int_counter_vec, Histogram, IntCounterVec};

pub(crate) static RECORDS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "veille_pipeline_records_total",
        "Records made durable, by source and outcome (indexed, deadlettered)",
        &["source", "outcome"]
    )
    .unwrap_or_else(|e| panic!("metric registration: {e}"))
});
pub(crate) static EVENT_LAG: LazyLock<Histogram> = LazyLock::new(|| {
    register_histogram!(
        "veille_pipeline_event_lag_seconds",
        "From a mention's publication (event time) to its indexing",
        vec![0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0, 86400.0]
    )
    .unwrap_or_else(|e| panic!("metric registration: {e}"))
});
pub(crate) static ENRICH_SECONDS: LazyLock<Histogram> = LazyLock::new(|| {
    register_histogram!(
        "veille_pipeline_enrich_batch_seconds",
        "Time to enrich one batch",
        vec![0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0]
    )
    .unwrap_or_else(|e| panic!("metric registration: {e}"))
});
#[cfg(feature = "kafka")]
pub(crate) static SHARDS_OWNED: LazyLock<prometheus::IntGauge> = LazyLock::new(|| {
    prometheus::register_int_gauge!(
        "veille_process_shards_owned",
        "Index shards (Kafka partitions) this processor owns"
    )
    .unwrap_or_else(|e| panic!("metric registration: {e}"))
});
#[cfg(feature = "kafka")]
pub(crate) static SHARD_DOCS: LazyLock<prometheus::IntGaugeVec> = LazyLock::new(|| {
    prometheus::register_int_gauge_vec!(
        "veille_index_shard_docs",
        "Mentions in each index shard, as of its last commit",
        &["shard"]
    )
    .unwrap_or_else(|e| panic!("metric registration: {e}"))
});
#[cfg(feature = "kafka")]
pub(crate) static SEARCHABLE: LazyLock<Histogram> = LazyLock::new(|| {
    register_histogram!(
        "veille_pipeline_searchable_seconds",
        "From a mention's hand-over to the bus (ingested_at) to the commit that makes it searchable",
        vec![0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0]
    )
    .unwrap_or_else(|e| panic!("metric registration: {e}"))
});
