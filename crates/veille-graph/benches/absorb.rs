//! How fast the graph absorbs interactions with PageRank kept fresh, and how
//! many bytes each author costs.
//!
//! The stream: 100,000 authors writing mentions with one to three
//! interactions each (replies, reposts, @mentions), aimed at accounts drawn
//! from a Zipf-like popularity law, 10 mentions per second of event time,
//! tagged with one of four watches. Throughput counts interaction edges
//! absorbed per second on one core (each mention stamped, PageRank pushed
//! below the tolerance after every mention), with the default settings (72 h
//! half-life, tolerance 0.002):
//!
//! * `300k_mentions`: 300,000 mentions, about 600,000 interactions;
//! * `1m_mentions_dense`: 1,000,000 mentions, about 2,000,000 interactions
//!   over the same 100,000 authors (19 distinct out-edges per author at the end);
//! * `300k_mentions_evicting_to_20k_authors`: the first case squeezed into
//!   20,000 authors, so eviction runs all along.
//!
//! Mentions reach the graph as they do in the pipeline: in batches of 256,
//! each freshly allocated and just read by the steps before (parsing,
//! matching, sentiment). So the benchmark copies each batch from the
//! pre-generated stream, untimed, right before the graph absorbs it; only
//! the absorption is timed. (Absorbing straight from a million mentions
//! generated up front would also charge the graph for fetching every
//! mention's strings from main memory: about a fifth of its cache misses.)
//!
//! Before them, one pass over the dense stream prints the PageRank work per
//! interaction, the heap bytes per author, and the cost of community
//! detection (which runs off the ingest path).

#![allow(clippy::unwrap_used)] // a failed unwrap is how a benchmark reports a broken setup

use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, TimeZone, Utc};
use criterion::{Criterion, Throughput};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use veille_config::GraphConfig;
use veille_graph::InteractionGraph;
use veille_model::{Author, Mention, Platform, Reference, WatchKind, WatchMatch};

/// Counts live heap bytes, to measure memory per author, over mimalloc (the
/// allocator of the `veille` binary, so the figures are the product's).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on unchanged to mimalloc::MiMalloc, a sound allocator; the counter only
// adds up sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc`'s contract, which is MiMalloc's.
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc`'s contract, which is MiMalloc's.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc`'s contract, which is MiMalloc's.
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const AUTHORS: u64 = 100_000;
const WATCHES: [&str; 4] = ["acme", "rival", "launch", "recall"];

/// An account index drawn so that account k is picked about 1/(k+1) as often as account 0.
fn popular(rng: &mut SmallRng) -> u64 {
    let u: f64 = rng.random();
    ((AUTHORS as f64 + 1.0).powf(u) - 1.0) as u64
}

fn stream(count: usize, seed: u64) -> (Vec<Mention>, u64) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let mut edges = 0;
    let mentions = (0..count)
        .map(|i| {
            let author = Author {
                handle: format!("user{}", rng.random_range(0..AUTHORS)),
                followers: Some(rng.random_range(0..100_000)),
                ..Author::default()
            };
            let at = start + TimeDelta::milliseconds(100 * i as i64);
            let mut m = Mention::new(Platform::X, i.to_string(), "text", at, author);
            m.tags = vec![WatchMatch {
                watch: WATCHES[rng.random_range(0..WATCHES.len())].to_string(),
                kind: WatchKind::Brand,
                hits: Vec::new(),
            }];
            let n = rng.random_range(1..=3);
            for k in 0..n {
                let target = format!("user{}", popular(&mut rng));
                match k {
                    0 if rng.random_bool(0.3) => m.reply_to = Some(Reference { id: "r".into(), author: Some(target) }),
                    0 if rng.random_bool(0.3) => m.repost_of = Some(Reference { id: "r".into(), author: Some(target) }),
                    _ => m.mentions.push(target),
                }
            }
            edges += n;
            m
        })
        .collect();
    (mentions, edges)
}

/// Mentions per batch, as the pipeline hands them over.
const BATCH: usize = 256;

/// Absorbs the stream batch by batch; returns the graph and the time spent absorbing.
fn absorb_all(config: &GraphConfig, mentions: &[Mention]) -> (InteractionGraph, Duration) {
    let mut graph = InteractionGraph::new(config).unwrap();
    let mut spent = Duration::ZERO;
    for chunk in mentions.chunks(BATCH) {
        let mut batch = chunk.to_vec();
        let started = Instant::now();
        for m in &mut batch {
            graph.observe(m);
        }
        spent += started.elapsed();
        drop(black_box(batch));
    }
    (graph, spent)
}

fn absorb(c: &mut Criterion) {
    let mut group = c.benchmark_group("absorb");
    group.sample_size(10);
    let mut run = |name: &str, count: usize, config: GraphConfig| {
        let (mentions, edges) = stream(count, 1);
        group.throughput(Throughput::Elements(edges));
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                let mut spent = Duration::ZERO;
                for _ in 0..iterations {
                    // The graph is dropped untimed.
                    let (graph, absorbing) = absorb_all(&config, &mentions);
                    spent += absorbing;
                    drop(black_box(graph));
                }
                spent
            })
        });
    };
    run("300k_mentions", 300_000, GraphConfig::default());
    run("1m_mentions_dense", 1_000_000, GraphConfig::default());
    run(
        "300k_mentions_evicting_to_20k_authors",
        300_000,
        GraphConfig { max_authors: 20_000, ..GraphConfig::default() },
    );
    group.finish();
}

/// Prints heap bytes per author once the graph holds most of the population.
fn memory_per_author() {
    let (mentions, edges) = stream(1_000_000, 2);
    let config = GraphConfig::default();
    let before = LIVE.load(Ordering::Relaxed);
    let (mut graph, absorbing) = absorb_all(&config, &mentions);
    let held = LIVE.load(Ordering::Relaxed) - before;
    let started = Instant::now();
    let snapshot = graph.community_snapshot();
    let copied = started.elapsed();
    let detected = snapshot.detect();
    let detecting = started.elapsed() - copied;
    graph.apply_communities(detected);
    let communities = graph.stats().communities;
    println!(
        "absorbing 1M mentions ({edges} interactions): {:.2} s = {:.0} interactions/s; \
         community snapshot {:.0} ms, Louvain {:.0} ms ({communities} communities)",
        absorbing.as_secs_f64(),
        edges as f64 / absorbing.as_secs_f64(),
        copied.as_secs_f64() * 1e3,
        detecting.as_secs_f64() * 1e3,
    );
    let stats = graph.stats();
    println!(
        "pagerank work: {:.2} pushes and {:.1} out-edge visits per interaction",
        stats.pagerank_pushes as f64 / edges as f64,
        stats.pagerank_edge_visits as f64 / edges as f64,
    );
    println!(
        "memory: {} mentions, {edges} interactions -> {} authors, {} edges; \
         {held} heap bytes = {} bytes per author ({} per author + edge share); \
         stats().approx_memory_bytes = {}",
        mentions.len(),
        stats.authors,
        stats.edges,
        held / stats.authors,
        format_args!("{:.1} edges", stats.edges as f64 / stats.authors as f64),
        stats.approx_memory_bytes
    );
}

fn main() {
    memory_per_author();
    let mut criterion = Criterion::default().configure_from_args();
    absorb(&mut criterion);
    criterion.final_summary();
}
