//! Source metrics, `veille_source_*`, and each source's live health.
//!
//! Counters (`mentions_total`, `deadletters_total`, `errors_total`) are plain
//! Prometheus counters; `mentions_per_second` (over the last minute) and
//! `last_event_age_seconds` are computed when scraped, from [`health`].

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{register_int_counter_vec, GaugeVec, IntCounterVec, Opts};

use crate::http::ErrorKind;

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
static ERRORS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "veille_source_errors_total",
        "Failed requests and connections, by source and kind (network, rate_limited, server, client, auth, stream, malformed)",
        &["source", "kind"]
    )
    .unwrap_or_else(|e| panic!("metric registration: {e}"))
});

/// Window over which [`SourceHealth::mentions_per_second`] is averaged.
const RATE_WINDOW: Duration = Duration::from_secs(60);

/// A source's health, as its metrics report it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceHealth {
    /// Mentions read since the process started.
    pub mentions: u64,
    /// Records dead-lettered since the process started.
    pub dead_letters: u64,
    /// Failed requests and connections since the process started.
    pub errors: u64,
    /// Mentions per second over the last minute (or since the first mention, when sooner).
    pub mentions_per_second: f64,
    /// Time since the platform last sent an event; `None` before the first.
    pub last_event_age: Option<Duration>,
}

#[derive(Debug, Default)]
struct Live {
    mentions: AtomicU64,
    dead: AtomicU64,
    errors: AtomicU64,
    /// Unix milliseconds of the last platform event; 0 before the first.
    last_event_ms: AtomicI64,
    /// (when, mentions) of the batches in the rate window.
    recent: Mutex<VecDeque<(Instant, u64)>>,
}

static LIVE: LazyLock<Mutex<BTreeMap<String, Arc<Live>>>> = LazyLock::new(|| {
    if let Err(e) = prometheus::register(Box::new(HealthCollector::new())) {
        tracing::warn!(error = %e, "cannot register source health metrics");
    }
    Mutex::new(BTreeMap::new())
});

fn live(source: &str) -> Arc<Live> {
    let mut map = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    map.entry(source.to_string()).or_default().clone()
}

/// Counts a batch's records before it is sent.
pub(crate) fn observe(source: &str, records: &[veille_bus::Record]) {
    let dead = records.iter().filter(|r| matches!(r, veille_bus::Record::Dead(_))).count() as u64;
    let mentions = records.len() as u64 - dead;
    MENTIONS.with_label_values(&[source]).inc_by(mentions);
    if dead > 0 {
        DEAD.with_label_values(&[source]).inc_by(dead);
    }
    let l = live(source);
    l.mentions.fetch_add(mentions, Ordering::Relaxed);
    l.dead.fetch_add(dead, Ordering::Relaxed);
    if mentions > 0 {
        let now = Instant::now();
        let mut recent = l.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.push_back((now, mentions));
        while recent.front().is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW) {
            recent.pop_front();
        }
    }
}

/// Counts a failed request or connection of `kind`.
pub(crate) fn error(source: &str, kind: ErrorKind) {
    ERRORS.with_label_values(&[source, kind.label()]).inc();
    live(source).errors.fetch_add(1, Ordering::Relaxed);
}

/// Notes that the platform sent an event just now.
pub(crate) fn event(source: &str) {
    live(source).last_event_ms.store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
}

/// The health of the source named `source`, once it has reported anything.
pub fn health(source: &str) -> Option<SourceHealth> {
    let l = LIVE.lock().unwrap_or_else(|p| p.into_inner()).get(source)?.clone();
    let now = Instant::now();
    let mentions_per_second = {
        let recent = l.recent.lock().unwrap_or_else(|p| p.into_inner());
        let in_window: Vec<_> = recent.iter().filter(|(t, _)| now.duration_since(*t) <= RATE_WINDOW).collect();
        let total: u64 = in_window.iter().map(|(_, n)| n).sum();
        let span = in_window.first().map_or(RATE_WINDOW, |(t, _)| now.duration_since(*t).max(Duration::from_secs(1)));
        total as f64 / span.min(RATE_WINDOW).as_secs_f64()
    };
    let last = l.last_event_ms.load(Ordering::Relaxed);
    let last_event_age =
        (last > 0).then(|| Duration::from_millis((chrono::Utc::now().timestamp_millis() - last).max(0) as u64));
    Some(SourceHealth {
        mentions: l.mentions.load(Ordering::Relaxed),
        dead_letters: l.dead.load(Ordering::Relaxed),
        errors: l.errors.load(Ordering::Relaxed),
        mentions_per_second,
        last_event_age,
    })
}

/// Exports the computed gauges when Prometheus scrapes.
struct HealthCollector {
    rate: GaugeVec,
    age: GaugeVec,
    descs: Vec<Desc>,
}

impl HealthCollector {
    fn new() -> Self {
        let gauge = |name: &str, help: &str| {
            GaugeVec::new(Opts::new(name, help), &["source"]).unwrap_or_else(|e| panic!("metric definition: {e}"))
        };
        let rate = gauge("veille_source_mentions_per_second", "Mentions per second over the last minute, by source");
        let age =
            gauge("veille_source_last_event_age_seconds", "Seconds since the platform last sent an event, by source");
        let descs = rate.desc().into_iter().chain(age.desc()).cloned().collect();
        HealthCollector { rate, age, descs }
    }
}

impl Collector for HealthCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let names: Vec<String> = LIVE.lock().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect();
        for name in names {
            if let Some(h) = health(&name) {
                self.rate.with_label_values(&[name.as_str()]).set(h.mentions_per_second);
                if let Some(age) = h.last_event_age {
                    self.age.with_label_values(&[name.as_str()]).set(age.as_secs_f64());
                }
            }
        }
        let mut families = self.rate.collect();
        families.extend(self.age.collect());
        families
    }
}
