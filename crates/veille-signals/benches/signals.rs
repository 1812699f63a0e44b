//! Cost of signals per mention (bucket update + detectors + rule evaluation,
//! closes and provisional evaluations amortised) and memory per tracked series.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a benchmark reports a broken setup

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{criterion_group, BatchSize, Criterion, Throughput};
use veille_config::signals::SignalsConfig;
use veille_model::{Author, Mention, Platform, Scores, Sentiment, SentimentLabel, WatchKind, WatchMatch};
use veille_signals::{SignalMonitor, SignalOutput};

/// Counts live heap bytes, to measure memory per series.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on unchanged to System, a sound allocator; the counter only
// adds up sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc`'s contract, which is System's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc`'s contract, which is System's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc`'s contract, which is System's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).single().unwrap_or_default()
}

/// `per_minute` mentions a minute spread over `series` brand watches, for `minutes` minutes from `from`.
fn stream(series: usize, per_minute: usize, from: i64, minutes: i64) -> Vec<Mention> {
    let mut out = Vec::with_capacity(per_minute * minutes as usize);
    let mut id = from as u64 * 1_000_000;
    for minute in from..from + minutes {
        for k in 0..per_minute {
            id += 1;
            let at = start() + Duration::milliseconds(minute * 60_000 + (k * 60_000 / per_minute) as i64);
            let author =
                Author { handle: format!("user{}", id % 7919), followers: Some(id % 1000), ..Author::default() };
            let mut m = Mention::new(Platform::X, id.to_string(), "text", at, author);
            m.workspace = "bench".into();
            m.tags.push(WatchMatch {
                watch: format!("brand{}", id as usize % series),
                kind: WatchKind::Brand,
                hits: vec![],
            });
            let compound = if id.is_multiple_of(3) { -0.5 } else { 0.4 };
            m.scores = Scores {
                sentiment: Some(Sentiment {
                    label: SentimentLabel::from_compound(compound),
                    compound,
                    positive: 0.0,
                    neutral: 1.0,
                    negative: 0.0,
                    lang: None,
                    scorer: "bench".into(),
                    brands: vec![],
                }),
                // One author in two hundred is influential.
                key_node: Some(if id.is_multiple_of(200) { 0.9 } else { 0.1 }),
            };
            out.push(m);
        }
    }
    out
}

/// A monitor that has seen a day and a half of `series` watches at `per_minute` mentions a minute.
fn warmed(series: usize, per_minute: usize) -> SignalMonitor {
    let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut out = SignalOutput::default();
    for chunk in 0..36 {
        for m in stream(series, per_minute, chunk * 60, 60) {
            monitor.observe(&m, &mut out);
        }
        out.clear();
    }
    monitor
}

fn per_mention(c: &mut Criterion) {
    let mut group = c.benchmark_group("observe");
    // (watches, mentions a minute): one busy brand; a workspace of 50 brands at 20 mentions/s; many quiet watches.
    for (series, per_minute) in [(1usize, 1200usize), (50, 1200), (1000, 1000)] {
        let monitor = warmed(series, per_minute);
        let next = stream(series, per_minute, 36 * 60, 10);
        group.throughput(Throughput::Elements(next.len() as u64));
        group.bench_function(format!("{series}_watches_{per_minute}_per_min"), |b| {
            b.iter_batched(
                || (monitor.clone(), SignalOutput::default()),
                |(mut m, mut out)| {
                    for mention in &next {
                        m.observe(mention, &mut out);
                    }
                    (m, out)
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn memory_per_series() {
    for series in [100usize, 1000] {
        let before = LIVE.load(Ordering::Relaxed);
        let monitor = warmed(series, series.max(200));
        let live = LIVE.load(Ordering::Relaxed) - before;
        println!(
            "memory: {series} series after 36 h: {} bytes live ({} bytes/series; monitor estimate {} bytes/series)",
            live,
            live / series,
            monitor.memory_bytes() / series
        );
    }
}

criterion_group!(benches, per_mention);

fn main() {
    memory_per_series();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
