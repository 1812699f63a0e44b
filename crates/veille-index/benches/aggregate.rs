//! Latency of every analytics aggregation over 1,000,000 indexed mentions.
//!
//! The index is built once from the simulator (30 days of a bilingual conversation about
//! three brands, with a crisis about Acme in the last week), tagged and scored the way the
//! pipeline would, and cached under the bench's target directory: later runs reuse it. Each
//! aggregation is then called repeatedly and its p50 and p99 latencies are printed; the target
//! is p99 under 100 ms.
//!
//! Run: `cargo bench -p veille-index --bench aggregate`. `VEILLE_BENCH_MENTIONS` sets the
//! size (default 1,000,000), `VEILLE_BENCH_CALLS` the calls per aggregation (default 50).
//! The cached index is at `<target>/tmp/aggregate-<size>/index`, usable by `veille export
//! --data-dir <target>/tmp/aggregate-<size>`.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a benchmark reports a broken setup

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use veille_config::{CrisisInjection, IndexConfig, SentimentConfig, SimulateSource};
use veille_index::{
    AuditRequest, AuthorOrder, BreakdownField, MentionIndex, Scope, ShareOfVoiceRequest, SignificantTermsRequest,
    TermField, VolumeRequest, VolumeSplit,
};
use veille_model::{Checkpoint, Mention, WatchKind, WatchMatch};
use veille_sources::Simulator;

const DAYS: i64 = 30;

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default() // 2026-01-01T00:00:00Z
}

fn simulator(count: u64) -> Simulator {
    let config = SimulateSource {
        name: "bench".into(),
        brands: vec!["Acme".into(), "Globex".into(), "Initech".into()],
        rate: count as f64 / (DAYS * 86_400) as f64,
        speed: 0.0,
        history_s: 0,
        count: Some(count),
        start: None,
        seed: 7,
        french_share: 0.35,
        authors: 50_000,
        crisis: Some(CrisisInjection {
            brand: "Acme".into(),
            after_s: (DAYS as u64 - 5) * 86_400,
            duration_s: 2 * 86_400,
            intensity: 4.0,
        }),
        workspace: None,
    };
    Simulator::new(config, start())
}

/// The watches the pipeline's matcher would tag: each brand by name, the crisis by its words.
fn tag(m: &mut Mention) {
    let text = m.text.to_lowercase();
    for (name, kind) in
        [("acme", WatchKind::Brand), ("globex", WatchKind::Competitor), ("initech", WatchKind::Competitor)]
    {
        if text.contains(name) {
            m.tags.push(WatchMatch { watch: name.into(), kind, hits: vec![] });
        }
    }
    if ["boycott", "recall", "scandal", "rappel", "scandale"].iter().any(|w| text.contains(w)) {
        m.tags.push(WatchMatch { watch: "crisis".into(), kind: WatchKind::Crisis, hits: vec![] });
    }
}

fn build(dir: &Path, count: u64) -> Result<MentionIndex, Box<dyn std::error::Error>> {
    let done = dir.join("complete");
    let index = MentionIndex::open(&dir.join("index"))?;
    if done.exists() {
        return Ok(index);
    }
    println!("building the index of {count} mentions in {} (once)", dir.display());
    let t = Instant::now();
    let analyzer = veille_sentiment::SentimentAnalyzer::from_config(&SentimentConfig::default())?;
    let config = IndexConfig { writer_memory_mb: 256, ..IndexConfig::default() };
    let mut writer = index.writer(&config)?;
    let mut sim = simulator(count);
    for i in 0..count {
        let mut m = sim.next_mention();
        tag(&mut m);
        analyzer.enrich(&mut m);
        m.scores.key_node = Some(((m.author.followers.unwrap_or(0) as f64).ln_1p() / 16.0).min(1.0));
        writer.upsert(&m)?;
        if i % 250_000 == 249_999 {
            writer.commit(&Checkpoint::default())?;
        }
    }
    writer.commit(&Checkpoint::default())?;
    drop(writer);
    index.reload()?;
    std::fs::write(&done, count.to_string())?;
    println!("built in {:.0} s: {} documents", t.elapsed().as_secs_f64(), index.num_docs());
    Ok(index)
}

fn measure<T>(name: &str, calls: usize, mut f: impl FnMut() -> Result<T, veille_index::IndexError>) {
    for _ in 0..3 {
        if let Err(e) = f() {
            println!("{name:<34} failed: {e}");
            return;
        }
    }
    let mut times: Vec<Duration> = (0..calls)
        .map(|_| {
            let t = Instant::now();
            let _ = f();
            t.elapsed()
        })
        .collect();
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p99 = pct(0.99);
    let verdict = if p99 < Duration::from_millis(100) { "ok" } else { "OVER 100 ms" };
    println!("{name:<34} p50 {:>7.1} ms  p99 {:>7.1} ms  {verdict}", ms(pct(0.5)), ms(p99));
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let count: u64 = std::env::var("VEILLE_BENCH_MENTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let calls: usize = std::env::var("VEILLE_BENCH_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(50).max(1);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("aggregate-{count}"));
    let index = build(&dir, count)?;
    let end = start() + TimeDelta::days(DAYS);
    let week = end - TimeDelta::days(7);
    let all = Scope::new("default", "").between(Some(start()), Some(end));
    let last_week = Scope::new("default", "").between(Some(week), Some(end));
    println!("aggregations over {} mentions, {calls} calls each (whole range unless said)", index.num_docs());
    measure("volume 1d split=watch", calls, || {
        index.volume(&VolumeRequest {
            workspace: "default".into(),
            query: String::new(),
            from: all.from,
            to: all.to,
            interval: "1d".into(),
            split: Some(VolumeSplit::Watch),
        })
    });
    measure("volume 1h split=platform", calls, || {
        index.volume(&VolumeRequest {
            workspace: "default".into(),
            query: String::new(),
            from: all.from,
            to: all.to,
            interval: "1h".into(),
            split: Some(VolumeSplit::Platform),
        })
    });
    measure("sentiment + 1d trend", calls, || index.sentiment(&all, Some("1d")));
    measure("sentiment, query watch:acme", calls, || index.sentiment(&all.and("watch:acme"), Some("1d")));
    measure("share of voice + 1d trend", calls, || {
        index.share_of_voice(&ShareOfVoiceRequest { scope: all.clone(), watches: None, interval: Some("1d".into()) })
    });
    measure("significant words, last week", calls, || {
        index.significant_terms(&SignificantTermsRequest::new("default", "", week, end, TermField::Text))
    });
    measure("significant hashtags, last week", calls, || {
        index.significant_terms(&SignificantTermsRequest::new("default", "", week, end, TermField::Hashtags))
    });
    measure("top authors by mentions", calls, || index.top_authors(&all, AuthorOrder::Mentions, 20));
    measure("top authors by engagement", calls, || index.top_authors(&all, AuthorOrder::Engagement, 20));
    measure("top authors by key node, week", calls, || index.top_authors(&last_week, AuthorOrder::KeyNode, 20));
    measure("breakdown by language", calls, || index.breakdown(&all, BreakdownField::Lang, 20));
    measure("most engaging negative", calls, || index.most_engaging(&all.and("sentiment:negative"), 10));
    measure("audit acme, last week", calls, || index.audit(&AuditRequest::new("default", "acme", week, end)));
    Ok(())
}
