//! End-to-end ingest throughput against the ceiling, on the airline data set.
//!
//! The Twitter US Airline Sentiment rows (`../shared/data/airline/Tweets.csv`) that carry a text, an
//! author and a valid time are repeated with distinct ids (ten times by default, about 140,000
//! mentions) in the `airlines` workspace and written as NDJSON. Then, in one run:
//!
//! 1. raw tantivy: the same documents, built beforehand, added to a plain writer with the same
//!    resources, timed from the first add to the commit (the ceiling);
//! 2. bare import: `veille import`'s path (NDJSON file → source → bus → enrich → upserting index
//!    writer → commit with checkpoint) with nothing to enrich but the ingest time;
//! 3. bare import of the same mentions carrying their language, as X, Bluesky or Mastodon give it
//!    (indexed in `lang`, which stemmed searches read);
//! 4. watches only: `config/examples/airlines.toml`'s watches tag each mention;
//! 5. everything: the watches, `[sentiment]`, `[graph]`, `[signals]` and `[alerts]`.
//!
//! Each round runs the five in a rotated order, so that drift of the machine's speed (other work,
//! frequency scaling) falls on each of them alike; the ratios are taken within a round and their
//! median is reported beside the best round of each, with the CPU time each took (all threads).
//!
//! Then, single-threaded, a counting allocator measures the allocations of the sentiment step per
//! mention, by number of words in the mention: flat counts mean no allocation per token.
//!
//! Run: `cargo bench -p veille --bench ingest` (`VEILLE_BENCH_REPEAT` sets how many times the rows
//! are repeated, default 10; `VEILLE_BENCH_ROUNDS` the number of rounds, default 3).
//! `cargo bench -p veille --bench ingest -- --enrich-only` runs the enrichment steps alone over the
//! mentions, in order on one thread, and `-- --import-only=SETUP` (`bare`, `bare-lang`, `watches`,
//! `everything`) one import, for a profiler (`valgrind --tool=callgrind`).

#![allow(clippy::unwrap_used)] // a failed unwrap is how a benchmark reports a broken setup

use std::alloc::{GlobalAlloc, Layout};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use tokio_util::sync::CancellationToken;
use veille_config::{Config, NdjsonSource, SourceConfig};
use veille_index::MentionIndex;
use veille_model::{Author, Mention, Platform};
use veille_pipeline::{Enricher, Pipeline};

/// The `veille` binary's allocator, counting allocations while [`COUNTING`] is set.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to mimalloc; the counter has no effect on memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which mimalloc's shares.
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by mimalloc with `layout`.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: as for `alloc`.
        unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: `ptr` was allocated by mimalloc with `layout`; the caller checked `new_size`.
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The handles of `text`, without `@`.
fn handles(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|w| w.strip_prefix('@'))
        .map(|h| h.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
        .filter(|h| !h.is_empty())
        .collect()
}

/// The valid rows of the airline set, `repeat` times with distinct ids, each copy later in
/// event time than the one before.
fn airline_mentions(csv_path: &Path, repeat: usize) -> Result<Vec<Mention>, Box<dyn std::error::Error>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(csv_path)?;
    let header = reader.headers()?.clone();
    let col = |name: &str| header.iter().position(|h| h == name).ok_or(format!("no column {name}"));
    let (id, airline, created, text, name) =
        (col("tweet_id")?, col("airline")?, col("tweet_created")?, col("text")?, col("name")?);
    let mut rows = Vec::new();
    for record in reader.records() {
        let r = record?;
        if r.len() != header.len() || r[text].trim().is_empty() || r[name].trim().is_empty() {
            continue;
        }
        let Ok(t) = chrono::DateTime::parse_from_str(r[created].trim(), "%Y-%m-%d %H:%M:%S %z") else { continue };
        rows.push((
            r[id].to_string(),
            r[airline].to_string(),
            t.with_timezone(&chrono::Utc),
            r[text].to_string(),
            r[name].to_string(),
        ));
    }
    let first = rows.iter().map(|r| r.2).min().ok_or("no valid rows")?;
    let last = rows.iter().map(|r| r.2).max().ok_or("no valid rows")?;
    let span = (last - first) + chrono::Duration::days(1);
    let mut mentions = Vec::with_capacity(rows.len() * repeat);
    for copy in 0..repeat {
        // Tweet ids in this export were rounded, so a few distinct tweets share one: the row
        // number keeps them apart.
        for (row, (id, airline, created, text, name)) in rows.iter().enumerate() {
            let author = Author { handle: name.clone(), ..Author::default() };
            let created = *created + span * copy as i32;
            let mut m = Mention::new(Platform::X, format!("{id}-{row}-{copy}"), text.clone(), created, author);
            m.workspace = "airlines".into();
            m.mentions = handles(text);
            m.attributes.insert("airline".into(), airline.clone());
            mentions.push(m);
        }
    }
    Ok(mentions)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Setup {
    Raw,
    Bare,
    BareLang,
    Watches,
    Everything,
}

impl Setup {
    fn label(self) -> &'static str {
        match self {
            Setup::Raw => "raw tantivy add_document + commit",
            Setup::Bare => "import, bare (ingest time only)",
            Setup::BareLang => "import, bare, language given by input",
            Setup::Watches => "import, watches only",
            Setup::Everything => "import, everything enabled",
        }
    }
}

/// The configuration of an import run: `airlines.toml`'s watches, with the enrichment steps of `setup`.
fn config_for(base: &Config, setup: Setup) -> Config {
    let mut config = base.clone();
    let everything = setup == Setup::Everything;
    if matches!(setup, Setup::Bare | Setup::BareLang) {
        config.workspaces.iter_mut().for_each(|w| w.watches.clear());
    }
    config.sentiment.enabled = everything;
    config.graph.enabled = everything;
    config.signals.enabled = everything;
    config.alerts.enabled = everything;
    config
}

/// CPU time used by this process so far (all threads, user and system), in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: `getrusage` fills the zeroed struct it is given and reads nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let csv_path = root().join("../shared/data/airline/Tweets.csv");
    if !csv_path.exists() {
        println!("skipped: ../shared/data not found (airline/Tweets.csv)");
        return Ok(());
    }
    let repeat: usize = std::env::var("VEILLE_BENCH_REPEAT").ok().and_then(|v| v.parse().ok()).unwrap_or(10).max(1);
    let mentions = airline_mentions(&csv_path, repeat)?;
    let n = mentions.len() as u64;
    let mut base = Config::load(&root().join("config/examples/airlines.toml"))?;
    base.index.commit_every_docs = 1_000_000;
    base.index.commit_every_ms = 60_000;

    if std::env::args().any(|a| a == "--enrich-only") {
        return enrich_only(&config_for(&base, Setup::Everything), mentions);
    }

    let dir = tempfile::tempdir()?;
    // The same mentions, and again with the language a platform would give (the detector's).
    let input = dir.path().join("mentions.ndjson");
    let input_lang = dir.path().join("mentions-lang.ndjson");
    {
        let detector = veille_sentiment::LanguageDetector::default();
        let mut out = std::io::BufWriter::new(std::fs::File::create(&input)?);
        let mut out_lang = std::io::BufWriter::new(std::fs::File::create(&input_lang)?);
        for m in &mentions {
            writeln!(out, "{}", m.to_json())?;
            let mut m = m.clone();
            m.lang = detector.detect(&m.text).map(Into::into);
            writeln!(out_lang, "{}", m.to_json())?;
        }
    }
    let bytes = std::fs::metadata(&input)?.len();
    println!(
        "ingest benchmark: airline rows x{repeat} = {n} mentions, {:.1} MB of NDJSON, {} cores",
        bytes as f64 / 1e6,
        num_cores()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    // Wall and CPU seconds of one run.
    let import = |round: usize, setup: Setup| -> Result<(f64, f64), Box<dyn std::error::Error>> {
        let mut config = config_for(&base, setup);
        let path = if setup == Setup::BareLang { input_lang.clone() } else { input.clone() };
        config.sources = vec![SourceConfig::Ndjson(NdjsonSource { name: "bench".into(), path, workspace: None })];
        config.data.dir = dir.path().join(format!("import-{setup:?}-{round}"));
        let index = MentionIndex::open(&config.data.dir.join("index"))?;
        let pipeline = Pipeline::new(config.clone(), index.clone())?;
        let (t, cpu) = (Instant::now(), cpu_seconds());
        let report = runtime.block_on(pipeline.run(CancellationToken::new()))?;
        let times = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        assert_eq!((report.indexed, index.num_docs()), (n, n));
        drop(index);
        std::fs::remove_dir_all(&config.data.dir)?;
        Ok(times)
    };
    let raw = |round: usize| -> Result<(f64, f64), Box<dyn std::error::Error>> {
        let path = dir.path().join(format!("raw-{round}"));
        let raw_index = MentionIndex::open(&path)?;
        let docs: Vec<_> = mentions.iter().map(|m| veille_index::raw::document(&raw_index, m)).collect();
        let mut writer = veille_index::raw::writer(&raw_index, &base.index)?;
        let (t, cpu) = (Instant::now(), cpu_seconds());
        for doc in docs {
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let times = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        writer.wait_merging_threads()?;
        drop(raw_index);
        std::fs::remove_dir_all(&path)?;
        Ok(times)
    };

    if let Some(only) = std::env::args().find_map(|a| a.strip_prefix("--import-only=").map(str::to_string)) {
        let setup = match only.as_str() {
            "bare" => Setup::Bare,
            "bare-lang" => Setup::BareLang,
            "watches" => Setup::Watches,
            "everything" => Setup::Everything,
            other => return Err(format!("--import-only={other}: bare, bare-lang, watches or everything").into()),
        };
        let (secs, cpu) = import(0, setup)?;
        println!(
            "{}: {:.0} mentions/s, {:.2} of {} cores busy",
            setup.label(),
            n as f64 / secs,
            cpu / secs,
            num_cores()
        );
        return Ok(());
    }
    const SETUPS: [Setup; 5] = [Setup::Raw, Setup::Bare, Setup::BareLang, Setup::Watches, Setup::Everything];
    let rounds: usize = std::env::var("VEILLE_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let mut runs: Vec<[(f64, f64); 5]> = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let mut times = [(0.0, 0.0); 5];
        for k in 0..SETUPS.len() {
            let i = (k + round) % SETUPS.len();
            times[i] = match SETUPS[i] {
                Setup::Raw => raw(round)?,
                setup => import(round, setup)?,
            };
        }
        let rates: Vec<String> = times.iter().map(|(wall, _)| format!("{:.0}k/s", n as f64 / wall / 1e3)).collect();
        println!(
            "round {}: raw {}, bare {}, bare with language {}, watches {}, everything {}; everything / bare {:.3}",
            round + 1,
            rates[0],
            rates[1],
            rates[2],
            rates[3],
            rates[4],
            times[1].0 / times[4].0
        );
        runs.push(times);
    }
    // Cores busy: CPU seconds over wall seconds of the same run. An import that keeps every
    // core busy can only go faster by doing less work, not by spreading it over more threads.
    println!(
        "best round of {rounds} for each (CPU: all threads of the process, median; cores busy: CPU / wall \
         of one run, median, of {} cores):",
        num_cores()
    );
    for (i, setup) in SETUPS.iter().enumerate() {
        let best = runs.iter().map(|t| t[i].0).fold(f64::MAX, f64::min);
        let cpu = median(runs.iter().map(|t| t[i].1).collect());
        let busy = median(runs.iter().map(|t| t[i].1 / t[i].0).collect());
        println!(
            "  {:<36} {best:6.2} s, {:>7.0} mentions/s, {:5.1} MB/s, {:5.1} µs of CPU per mention, {busy:4.2} cores busy",
            setup.label(),
            n as f64 / best,
            bytes as f64 / 1e6 / best,
            cpu * 1e6 / n as f64
        );
    }
    println!("throughput ratios within a round (median of {rounds}, min..max):");
    for (label, num, den) in [
        ("bare / raw tantivy", 0, 1),
        ("bare with language / bare", 1, 2),
        ("watches only / bare", 1, 3),
        ("everything / bare", 1, 4),
        ("everything / bare with language", 2, 4),
        ("everything / raw tantivy", 0, 4),
    ] {
        let ratios: Vec<f64> = runs.iter().map(|t| t[num].0 / t[den].0).collect();
        let (lo, hi) = ratios.iter().fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
        println!("  {label:<32} {:.3} ({lo:.3}..{hi:.3})", median(ratios));
    }

    count_sentiment_allocations(&config_for(&base, Setup::Everything), &mentions)?;
    Ok(())
}

/// The sentiment step's allocations per mention, by number of words, on one thread.
fn count_sentiment_allocations(config: &Config, mentions: &[Mention]) -> Result<(), Box<dyn std::error::Error>> {
    let mut tagging = veille_pipeline::Tagging::new(veille_match::Matcher::compile(config)?);
    let mut sentiment = veille_pipeline::Sentiment::new(config)?;
    let sample: Vec<Mention> = mentions
        .iter()
        .take(20_000)
        .map(|m| {
            let mut m = m.clone();
            tagging.enrich(&mut m);
            m
        })
        .collect();
    // Warm up thread-local scratch space.
    for m in sample.iter().take(1_000) {
        sentiment.enrich(&mut m.clone());
    }
    // (mentions, words, allocations) per band of word counts.
    let bands: [(usize, usize); 4] = [(1, 9), (10, 19), (20, 29), (30, usize::MAX)];
    let mut tally = [(0u64, 0u64, 0u64); 4];
    for m in &sample {
        let words = m.text.split_whitespace().count();
        let Some(band) = bands.iter().position(|(lo, hi)| (*lo..=*hi).contains(&words)) else { continue };
        let mut m = m.clone();
        COUNTING.store(true, Ordering::SeqCst);
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        sentiment.enrich(&mut m);
        let allocations = ALLOCATIONS.load(Ordering::SeqCst) - before;
        COUNTING.store(false, Ordering::SeqCst);
        let t = &mut tally[band];
        *t = (t.0 + 1, t.1 + words as u64, t.2 + allocations);
    }
    println!("sentiment step allocations (counting allocator, one thread, {} mentions):", sample.len());
    for ((lo, hi), (count, words, allocations)) in bands.iter().zip(tally) {
        if count == 0 {
            continue;
        }
        let band = if *hi == usize::MAX { format!("{lo}+ words") } else { format!("{lo}-{hi} words") };
        println!(
            "  {band:<12} {count:>6} mentions, {:5.1} words, {:5.2} allocations per mention",
            words as f64 / count as f64,
            allocations as f64 / count as f64
        );
    }
    Ok(())
}

/// Runs the enrichment steps of `config` over `mentions` in order, on this thread, and prints the
/// time each step took.
fn enrich_only(config: &Config, mentions: Vec<Mention>) -> Result<(), Box<dyn std::error::Error>> {
    let mut steps: Vec<Box<dyn Enricher>> = vec![
        Box::new(veille_pipeline::IngestTime),
        Box::new(veille_pipeline::Tagging::new(veille_match::Matcher::compile(config)?)),
        Box::new(veille_pipeline::Sentiment::new(config)?),
        Box::new(veille_pipeline::KeyNodes::new(&config.graph)?),
        veille_pipeline::Alerts::new(config)?.into_step(),
    ];
    let mut spent = vec![0.0f64; steps.len()];
    let n = mentions.len();
    for mut m in mentions {
        for (step, spent) in steps.iter_mut().zip(spent.iter_mut()) {
            let t = Instant::now();
            step.enrich(&mut m);
            *spent += t.elapsed().as_secs_f64();
        }
    }
    for (step, spent) in steps.iter().zip(spent) {
        println!("{:<12} {:6.2} µs per mention", step.name(), spent * 1e6 / n as f64);
    }
    Ok(())
}

fn num_cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
