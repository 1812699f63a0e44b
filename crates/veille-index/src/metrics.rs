//! Index metrics, `veille_index_*`.

use std::sync::LazyLock;

use prometheus::{register_histogram, register_int_counter, register_int_gauge, Histogram, IntCounter, IntGauge};

/// Registers a metric in the default registry; a name clash is a programming error caught by every test.
macro_rules! metric {
    ($reg:ident, $($arg:tt)*) => {
        LazyLock::new(|| $reg!($($arg)*).unwrap_or_else(|e| panic!("metric registration: {e}")))
    };
}

pub(crate) static DOCS_WRITTEN: LazyLock<IntCounter> =
    metric!(register_int_counter, "veille_index_docs_written_total", "Mentions upserted into the index");
pub(crate) static COMMITS: LazyLock<IntCounter> =
    metric!(register_int_counter, "veille_index_commits_total", "Index commits");
pub(crate) static COMMIT_SECONDS: LazyLock<Histogram> = metric!(
    register_histogram,
    "veille_index_commit_duration_seconds",
    "Time to commit the index",
    vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
);
pub(crate) static DOCS: LazyLock<IntGauge> =
    metric!(register_int_gauge, "veille_index_docs", "Mentions in the index after the last commit");
pub(crate) static SEARCHES: LazyLock<IntCounter> =
    metric!(register_int_counter, "veille_index_searches_total", "Searches and aggregations run");
