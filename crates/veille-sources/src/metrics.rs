//! Source metrics, `veille_source_*`.

use std::sync::LazyLock;

use prometheus::{register_int_counter_vec, IntCounterVec};

pub(crate) static MENTIONS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("veille_source_mentions_total", "Mentions read, by source", &["source"])
        .unwrap_or_else(|e| panic!("metric registration: {e}"))
});
pub(crate) static DEAD: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "veille_source_deadletters_total",
        "Records refused and dead-lettered, by source",
        &["source"]
    )
    .unwrap_or_else(|e| panic!("metric registration: {e}"))
});

/// Counts a batch's records before it is sent.
pub(crate) fn observe(source: &str, records: &[veille_bus::Record]) {
    let dead = records.iter().filter(|r| matches!(r, veille_bus::Record::Dead(_))).count();
    MENTIONS.with_label_values(&[source]).inc_by((records.len() - dead) as u64);
    if dead > 0 {
        DEAD.with_label_values(&[source]).inc_by(dead as u64);
    }
}
