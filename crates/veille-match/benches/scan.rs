//! Throughput of the matcher against its ceiling, a raw Aho-Corasick scan of
//! the same texts with the same patterns.
//!
//! Texts are the tweets of `../shared/data/airline/Tweets.csv` (English,
//! handles, hashtags, some emoji) mixed with the French tweets of
//! `../shared/data/xlmt_sentiment/french` (accents, `@user`, hashtags), about
//! one French tweet in eight, when present; else the crate's fixture texts,
//! repeated. Watch sets:
//!
//! * `terms-10`, `terms-1000`, `terms-100000`: that many brand terms in
//!   watches of ten, no rules (how cost grows with the number of terms);
//! * `full`: 10,000 brand terms + 1,000 crisis terms (the English and French
//!   crisis lexicons, then made-up terms) + 500 rules, the airline watches
//!   among them, each airline with a rule, so that rules are evaluated on
//!   nearly every tweet.
//!
//! `matcher` = normalise + scan + rules + tags for every mention;
//! `raw` = `find_iter` of an `aho-corasick` DFA of the same patterns on the
//! original texts (the ceiling); `raw-overlapping` = the `aho-corasick`
//! overlapping iterator with the options the matcher's own scan has
//! (overlapping, ASCII case-insensitive) and nothing else.
//!
//! Times are thread CPU time, so figures are per core and depend far less
//! on what else runs on the machine than wall time would. Throughput is
//! reported in mentions/s and MB/s (decimal).

#![allow(clippy::unwrap_used)] // a failed unwrap is how a benchmark reports a broken setup

use std::cell::{OnceCell, RefCell};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use veille_config::watch::Lexicon;
use veille_config::Config;
use veille_match::{normalize, Matcher};
use veille_model::{parse_timestamp, Author, Mention, Platform};

// The allocator the `veille` binary runs with: tags are allocated per mention.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const AIRLINE_HANDLES: [&str; 6] =
    ["@united", "@usairways", "@americanair", "@southwestair", "@jetblue", "@virginamerica"];

fn texts() -> Vec<String> {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let mut texts = Vec::new();
    if let Ok(mut reader) = csv::Reader::from_path(data.join("airline/Tweets.csv")) {
        let text_col = reader.headers().ok().and_then(|h| h.iter().position(|c| c == "text")).unwrap_or(10);
        texts.extend(
            reader
                .byte_records()
                .filter_map(Result::ok)
                .filter_map(|r| r.get(text_col).map(|t| String::from_utf8_lossy(t).into_owned())),
        );
    }
    let french: Vec<String> = ["train", "val"]
        .iter()
        .filter_map(|part| std::fs::read_to_string(data.join(format!("xlmt_sentiment/french/{part}_text.txt"))).ok())
        .flat_map(|file| file.lines().map(str::to_string).collect::<Vec<_>>())
        .collect();
    if !texts.is_empty() {
        // One French tweet after every seven English ones, the rest at the end.
        let mut mixed = Vec::with_capacity(texts.len() + french.len());
        let mut french = french.into_iter();
        for (i, text) in texts.into_iter().enumerate() {
            mixed.push(text);
            if i % 7 == 6 {
                mixed.extend(french.next());
            }
        }
        mixed.extend(french);
        return mixed;
    }
    eprintln!("../shared/data not found: benchmarking on the fixture texts");
    let fixture = include_str!("../tests/fixtures/mentions.ndjson");
    let lines: Vec<String> = fixture.lines().filter_map(|l| Mention::from_json(l).ok()).map(|m| m.text).collect();
    lines.iter().cycle().take(14_000).cloned().collect()
}

/// A pronounceable made-up word, so brand terms look like names and rarely occur.
fn word(rng: &mut SmallRng) -> String {
    const SYLLABLES: [&str; 40] = [
        "ka", "zu", "mo", "rex", "vin", "tal", "qui", "bro", "lux", "dra", "pel", "sor", "nix", "ve", "tor", "gal",
        "phi", "zen", "kor", "ulm", "yas", "dex", "fro", "wim", "sta", "bel", "cro", "di", "fen", "gor", "hal", "jo",
        "kri", "lo", "mer", "nor", "pa", "ri", "tu", "vo",
    ];
    let n = rng.random_range(2..=4);
    (0..n).map(|_| SYLLABLES[rng.random_range(0..SYLLABLES.len())]).collect()
}

fn term(rng: &mut SmallRng) -> String {
    let words = if rng.random_bool(0.7) { 1 } else { 2 };
    (0..words).map(|_| word(rng)).collect::<Vec<_>>().join(" ")
}

struct WatchSet {
    toml: String,
    /// Every term and rule atom, as the automaton holds them.
    patterns: Vec<String>,
}

fn watch_set(brand_terms: usize, crisis_terms: usize, rules: usize) -> WatchSet {
    let mut rng = SmallRng::seed_from_u64(7);
    let mut toml = String::from("[[workspaces]]\nname = \"bench\"\n");
    let mut patterns = Vec::new();
    let mut rules_left = rules;
    // The airlines first, so the text has hits; they carry the first rules.
    for handle in AIRLINE_HANDLES {
        toml.push_str(&format!(
            "[[workspaces.watches]]\nname = \"{handle}\"\nkind = \"brand\"\nhandles = [\"{handle}\"]\n"
        ));
        patterns.push(handle.to_string());
        if rules_left > 0 {
            toml.push_str("rule = 'NOT (refund* NEAR/3 denied OR author:bot*) OR lang:fr'\n");
            patterns.extend(["refund".to_string(), "denied".to_string()]);
            rules_left -= 1;
        }
    }
    let mut made = AIRLINE_HANDLES.len();
    let mut index = 0;
    while made < brand_terms {
        let terms: Vec<String> = (0..10.min(brand_terms - made)).map(|_| term(&mut rng)).collect();
        made += terms.len();
        patterns.extend(terms.iter().map(|t| normalize(t)));
        toml.push_str(&format!(
            "[[workspaces.watches]]\nname = \"brand-{index}\"\nkind = \"brand\"\nterms = {terms:?}\n"
        ));
        if rules_left > 0 {
            let (a, b) = (word(&mut rng), word(&mut rng));
            toml.push_str(&format!("rule = 'NOT ({a} OR \"{b} fake\")'\n"));
            patterns.extend([a, format!("{b} fake")]);
            rules_left -= 1;
        }
        index += 1;
    }
    let mut crisis: Vec<String> = [Lexicon::CrisisEn, Lexicon::CrisisFr]
        .into_iter()
        .flat_map(veille_match::lexicon_terms)
        .map(str::to_string)
        .collect();
    crisis.truncate(crisis_terms);
    while crisis.len() < crisis_terms {
        crisis.push(term(&mut rng));
    }
    for (i, chunk) in crisis.chunks(100).enumerate() {
        patterns.extend(chunk.iter().map(|t| normalize(t.trim_end_matches('*'))));
        toml.push_str(&format!(
            "[[workspaces.watches]]\nname = \"crisis-{i}\"\nkind = \"crisis\"\nterms = {chunk:?}\n"
        ));
    }
    patterns.sort();
    patterns.dedup();
    WatchSet { toml, patterns }
}

fn mentions(texts: &[String]) -> Vec<Mention> {
    let created = parse_timestamp("2015-02-20T12:00:00Z").unwrap();
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let author = Author { handle: format!("user{i}"), ..Author::default() };
            let mut m = Mention::new(Platform::X, i.to_string(), t.clone(), created, author);
            m.workspace = "bench".into();
            m
        })
        .collect()
}

fn bench(c: &mut Criterion<CpuTime>) {
    let texts = texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let untagged = mentions(&texts);
    // (name, brand terms, crisis terms, rules)
    let sets = [
        ("terms-10", 10, 0, 0),
        ("terms-1000", 1_000, 0, 0),
        ("terms-100000", 100_000, 0, 0),
        ("full", 10_000, 1_000, 500),
    ];
    let mut group = c.benchmark_group("scan");
    group.throughput(Throughput::ElementsAndBytes { elements: texts.len() as u64, bytes: bytes as u64 });
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(4));
    for (name, brand, crisis, rules) in sets {
        let make = || watch_set(brand, crisis, rules);
        // Built on first use, so that a filtered run builds only what it measures.
        let set = OnceCell::new();
        let matcher = OnceCell::new();
        let raw = OnceCell::new();
        let describe = |set: &WatchSet| {
            eprintln!(
                "{name}: {} patterns, {} mentions, {:.1} bytes per mention",
                set.patterns.len(),
                texts.len(),
                bytes as f64 / texts.len() as f64
            )
        };
        group.bench_function(format!("{name}/matcher"), |b| {
            let matcher = matcher.get_or_init(|| {
                let set = set.get_or_init(make);
                describe(set);
                let config = Config::from_toml_str(&set.toml, "bench.toml").unwrap();
                let started = Instant::now();
                let matcher = Matcher::compile(&config).unwrap();
                eprintln!("{name}: watches compiled in {:.2?}", started.elapsed());
                let mut tagged = untagged.clone();
                let tags: usize = tagged.iter_mut().map(|m| matcher.tag(m)).sum();
                let hits: usize = tagged.iter().flat_map(|m| &m.tags).map(|t| t.hits.len()).sum();
                let with_tags = tagged.iter().filter(|m| !m.tags.is_empty()).count();
                eprintln!("{name}: {with_tags} mentions tagged, {tags} tags, {hits} hits");
                matcher
            });
            // Each pass tags mentions that have no tags yet, as in the
            // pipeline; the tags of the previous pass are dropped untimed
            // (in the pipeline the index stage drops them with the mention).
            let pool = RefCell::new(untagged.clone());
            b.iter_batched(
                || {
                    let mut batch = pool.take();
                    batch.iter_mut().for_each(|m| m.tags.clear());
                    batch
                },
                |mut batch| {
                    let mut tagged = 0;
                    for m in batch.iter_mut() {
                        tagged += matcher.tag(m);
                    }
                    pool.replace(batch);
                    black_box(tagged)
                },
                BatchSize::PerIteration,
            )
        });
        group.bench_function(format!("{name}/raw"), |b| {
            let raw = raw.get_or_init(|| {
                let set = set.get_or_init(make);
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&set.patterns)
                    .unwrap()
            });
            b.iter(|| {
                let mut found = 0;
                for t in &texts {
                    found += raw.find_iter(t.as_str()).count();
                }
                black_box(found)
            })
        });
        let raw2 = OnceCell::new();
        group.bench_function(format!("{name}/raw-overlapping"), |b| {
            let raw = raw2.get_or_init(|| {
                let set = set.get_or_init(make);
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .ascii_case_insensitive(true)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&set.patterns)
                    .unwrap()
            });
            b.iter(|| {
                let mut found = 0;
                for t in &texts {
                    found += raw.find_overlapping_iter(t.as_str()).count();
                }
                black_box(found)
            })
        });
    }
    group.finish();
}

/// Thread CPU time: what one core spends, whatever else runs on the machine.
struct CpuTime;

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_nanos()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_nanos().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuTimeFormatter
    }
}

fn thread_cpu_nanos() -> u64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    if rc != 0 {
        return 0;
    }
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

struct CpuTimeFormatter;

impl ValueFormatter for CpuTimeFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns")
        } else if typical < 1e6 {
            (1e-3, "µs")
        } else if typical < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(&self, _typical: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str {
        let (per_iteration, unit) = match *throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (n as f64 / 1e6, "MB/s (one core)"),
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => {
                (n as f64, "mentions/s (one core)")
            }
            Throughput::Bits(n) => (n as f64 / 1e6, "Mbit/s (one core)"),
        };
        values.iter_mut().for_each(|v| *v = per_iteration / (*v * 1e-9));
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn cpu_time() -> Criterion<CpuTime> {
    Criterion::default().with_measurement(CpuTime)
}

criterion_group! {
    name = benches;
    config = cpu_time();
    targets = bench
}
criterion_main!(benches);
