//! Posts per second on one core: Rust VADER (English and French), the
//! learned scorers, and, in the same run, the Python reference VADER on the
//! same texts when it is installed (see `tests/common`).
//!
//! ```text
//! cargo bench -p veille-sentiment --bench throughput
//! ```
//!
//! Texts: the xlmt English and French tweets (training and validation
//! sets) from `../shared/data`, for every scorer; the Rust against Python
//! comparison also runs on the VADER tweets ground truth (English). The
//! crate's fixtures stand in when the shared data is absent.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a benchmark reports a broken setup

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::path::Path;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use veille_sentiment::dataset::read_texts;
use veille_sentiment::{LearnedScorer, Model, Scorer, Vader};

fn fixture_texts() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    ["vader_en_expected.tsv", "vader_fr_expected.tsv"]
        .iter()
        .flat_map(|f| {
            let raw = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
            raw.lines()
                .skip(1)
                .filter_map(|l| l.splitn(5, '\t').nth(4))
                .filter_map(|json| serde_json::from_str::<String>(json).ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Texts of an xlmt language folder, training and validation sets.
fn xlmt(data: &Path, folder: &str) -> Vec<String> {
    ["train", "val"]
        .iter()
        .flat_map(|s| read_texts(&data.join(format!("xlmt_sentiment/{folder}/{s}_text.txt"))).unwrap_or_default())
        .collect()
}

/// (VADER English ground truth texts, xlmt English texts, xlmt French texts).
fn corpora() -> (Vec<String>, Vec<String>, Vec<String>) {
    match common::shared_data() {
        Some(data) => (common::vader_tweets(&data), xlmt(&data, "english"), xlmt(&data, "french")),
        None => (fixture_texts(), fixture_texts(), fixture_texts()),
    }
}

/// Posts per second of `score` over `texts`, best of a few passes, timed by the thread's CPU clock:
/// the throughput of one core even when other work shares the machine (wall-clock figures are
/// criterion's, below).
fn rate(texts: &[String], score: impl Fn(&str)) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = thread_cpu_seconds();
        for t in texts {
            score(t);
        }
        best = best.min(thread_cpu_seconds() - start);
    }
    texts.len() as f64 / best
}

/// CPU time of the calling thread, in seconds.
fn thread_cpu_seconds() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec and CLOCK_THREAD_CPUTIME_ID is supported on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// Python VADER posts per second on `texts`, if the reference is installed.
fn python_rate(lang: &str, texts: &[String]) -> Option<f64> {
    let python = common::reference_python()?;
    let dir = tempfile::tempdir().ok()?;
    let input = dir.path().join("texts.json");
    std::fs::write(&input, serde_json::to_vec(texts).ok()?).ok()?;
    let out = Command::new(python).arg(common::reference_script()).args(["time", lang]).arg(&input).output().ok()?;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    report["posts_per_second"].as_f64()
}

/// Prints Rust against Python VADER, measured in this run on the same texts.
fn compare_with_python(lang: &str, vader: &Vader, texts: &[String]) {
    let rust = rate(texts, |t| {
        black_box(vader.polarity(black_box(t)));
    });
    match python_rate(lang, texts) {
        Some(python) => println!(
            "vader {lang}: rust {rust:.0} posts/s, python {python:.0} posts/s, ratio {:.1}x ({} posts, one core)",
            rust / python,
            texts.len()
        ),
        None => println!("vader {lang}: rust {rust:.0} posts/s (python reference not measured)"),
    }
}

fn throughput(c: &mut Criterion) {
    let (ground_truth, english, french) = corpora();
    let (en, fr) = (Vader::english(), Vader::french());
    compare_with_python("en", &en, &ground_truth);
    compare_with_python("en", &en, &english);
    compare_with_python("fr", &fr, &french);

    let learned = |lang: &str| Model::builtin(lang).map(LearnedScorer::new).ok();
    for (lang, texts, vader) in [("en", &english, &en), ("fr", &french, &fr)] {
        if let Some(scorer) = learned(lang) {
            let posts = rate(texts, |t| {
                black_box(scorer.score(black_box(t)));
            });
            let vader_posts = rate(texts, |t| {
                black_box(vader.polarity(black_box(t)));
            });
            println!(
                "xlmt {lang}: learned {posts:.0} posts/s, vader {vader_posts:.0} posts/s, ratio {:.2} \
                 ({} posts, per CPU-second of one core)",
                posts / vader_posts,
                texts.len()
            );
        }
    }
    let mut group = c.benchmark_group("sentiment");
    group.sample_size(20);
    group.throughput(Throughput::Elements(english.len() as u64));
    group.bench_function("vader_en", |b| {
        b.iter(|| {
            english.iter().for_each(|t| {
                black_box(en.polarity(black_box(t)));
            })
        })
    });
    if let Some(scorer) = learned("en") {
        group.bench_function("learned_en", |b| {
            b.iter(|| {
                english.iter().for_each(|t| {
                    black_box(scorer.score(black_box(t)));
                })
            })
        });
    }
    group.throughput(Throughput::Elements(french.len() as u64));
    group.bench_function("vader_fr", |b| {
        b.iter(|| {
            french.iter().for_each(|t| {
                black_box(fr.polarity(black_box(t)));
            })
        })
    });
    if let Some(scorer) = learned("fr") {
        group.bench_function("learned_fr", |b| {
            b.iter(|| {
                french.iter().for_each(|t| {
                    black_box(scorer.score(black_box(t)));
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
