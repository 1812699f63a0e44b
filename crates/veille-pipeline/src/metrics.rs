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
