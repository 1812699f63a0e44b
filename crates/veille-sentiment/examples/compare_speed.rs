//! Posts per second of several learned models (and VADER) on the same texts, measured in turns within
//! one run, so that a machine busy with other work slows them alike and their ratios stay fair. Time
//! is the thread's CPU time: on a machine shared with other work, posts per CPU-second is the
//! throughput of one core, however often the thread waited for it.
//!
//! ```text
//! cargo run --release -p veille-sentiment --example compare_speed -- \
//!     --texts ../shared/data/xlmt_sentiment/english/train_text.txt --vader en a.vsm b.vsm
//! ```

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use std::path::Path;

use veille_sentiment::dataset::read_texts;
use veille_sentiment::{LearnedScorer, Model, Scorer, Vader};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut texts: Vec<String> = Vec::new();
    let mut scorers: Vec<(String, Box<dyn Scorer>)> = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--texts" => texts.extend(read_texts(Path::new(&args.next().ok_or("--texts needs a file")?))?),
            "--vader" => {
                let lang = args.next().ok_or("--vader needs a language")?;
                scorers.push((format!("vader {lang}"), Box::new(Vader::for_lang(&lang)?)));
            }
            path => scorers.push((path.to_string(), Box::new(LearnedScorer::new(Model::load(Path::new(path))?)))),
        }
    }
    if texts.is_empty() || scorers.is_empty() {
        return Err("give --texts FILE and model files (or --vader LANG)".into());
    }
    let mut best = vec![f64::MAX; scorers.len()];
    for _ in 0..7 {
        for ((_, scorer), best) in scorers.iter().zip(&mut best) {
            let start = thread_cpu_seconds();
            for t in &texts {
                std::hint::black_box(scorer.score(std::hint::black_box(t)));
            }
            *best = best.min(thread_cpu_seconds() - start);
        }
    }
    let first = texts.len() as f64 / best[0];
    for ((name, _), seconds) in scorers.iter().zip(&best) {
        let rate = texts.len() as f64 / seconds;
        println!("{name}: {rate:.0} posts/s ({:.2} of the first), {} posts, one thread", rate / first, texts.len());
    }
    Ok(())
}

/// CPU time of the calling thread, in seconds.
fn thread_cpu_seconds() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec and CLOCK_THREAD_CPUTIME_ID is supported on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}
