//! Watching a stream of mentions: buckets, a crisis, and the alerts it raises.
//!
//! ```text
//! cargo run -p veille-signals --example watch_a_stream
//! ```
//!
//! The stream is three days of ordinary chatter about a brand, then a
//! recall story: for half an hour the volume goes up eightfold, most posts
//! are negative and carry the crisis term, and an influential account joins
//! in. The monitor learns the brand's own rhythm during the quiet days, so
//! no threshold needs tuning for this brand.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use chrono::{DateTime, Duration, TimeZone, Utc};
use veille_config::signals::SignalsConfig;
use veille_model::{Author, Mention, Platform, Scores, Sentiment, SentimentLabel, TermHit, WatchKind, WatchMatch};
use veille_signals::{SignalMonitor, SignalOutput};

/// A small deterministic generator, so every run prints the same story.
struct Dice(u64);

impl Dice {
    fn roll(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn mention(id: u64, at: DateTime<Utc>, author: String, negative: bool, crisis: bool) -> Mention {
    let text = if crisis { "acme recall, what a mess" } else { "just bought acme" };
    let followers = Some(150);
    let mut m =
        Mention::new(Platform::X, id.to_string(), text, at, Author { handle: author, followers, ..Author::default() });
    m.workspace = "acme-team".to_string();
    // The matcher and the sentiment scorer would set these in the pipeline.
    m.tags.push(WatchMatch {
        watch: "acme".into(),
        kind: WatchKind::Brand,
        hits: vec![TermHit { term: "acme".into(), start: 0, end: 4 }],
    });
    if crisis {
        m.tags.push(WatchMatch {
            watch: "recalls".into(),
            kind: WatchKind::Crisis,
            hits: vec![TermHit { term: "recall".into(), start: 5, end: 11 }],
        });
    }
    let compound = if negative { -0.6 } else { 0.5 };
    m.scores = Scores {
        sentiment: Some(Sentiment {
            label: SentimentLabel::from_compound(compound),
            compound,
            positive: 0.0,
            neutral: 0.5,
            negative: 0.0,
            lang: Some("en".into()),
            scorer: "example".into(),
            brands: Vec::new(),
        }),
        key_node: None,
    };
    m
}

fn main() -> Result<(), veille_signals::Error> {
    // 1. A monitor with the default `[signals]` section: one-minute buckets,
    //    rolled up to 5 minutes and 1 hour, two minutes of allowed lateness.
    let mut monitor = SignalMonitor::new(&SignalsConfig::default())?;
    let mut out = SignalOutput::default();

    // 2. Feed the stream in arrival order. The crisis starts on day 4 at 14:00.
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).single().unwrap_or_default();
    let crisis = 3 * 1440 + 14 * 60..3 * 1440 + 14 * 60 + 30;
    let mut dice = Dice(42);
    let mut id = 0;
    let mut hourly = Vec::new();
    for minute in 0..3 * 1440 + 18 * 60 {
        let in_crisis = crisis.contains(&minute);
        let hour = (minute % 1440) as f64 / 60.0;
        let rate =
            4.0 * (1.6 - ((hour - 3.0) / 24.0 * std::f64::consts::TAU).cos()) * if in_crisis { 8.0 } else { 1.0 };
        let count = (rate + dice.roll() * 3.0 - 1.5).max(0.0).round() as u64;
        for k in 0..count {
            id += 1;
            let at = start + Duration::seconds(minute * 60 + (k * 60 / count) as i64);
            let negative = dice.roll() < if in_crisis { 0.8 } else { 0.25 };
            let crisis_term = in_crisis && dice.roll() < 0.6 || dice.roll() < 0.002;
            let mut m = mention(id, at, format!("user{}", (dice.roll() * 3000.0) as u64), negative, crisis_term);
            if in_crisis && k == 0 && minute == crisis.start + 5 {
                m.author.handle = "consumer_watchdog".into();
                m.scores.key_node = Some(0.95);
                m.scores.sentiment = mention(0, at, String::new(), true, true).scores.sentiment;
            }
            monitor.observe(&m, &mut out);
        }
        // 3. Closed buckets come out as the watermark moves; keep the hourly ones of the crisis day.
        hourly.extend(
            out.buckets
                .drain(..)
                .filter(|b| b.width_s == 3600 && &*b.watch == "acme" && b.start >= start + Duration::days(3)),
        );
    }
    monitor.flush(&mut out);

    // 4. Every alert explains itself: the value against the baseline, the score against the threshold.
    println!("alerts:");
    for event in &out.events {
        println!("  {event}");
    }
    println!("\nacme, hour by hour on the crisis day:");
    for b in hourly.iter().filter(|b| b.start.format("%H").to_string().as_str() >= "12") {
        let share = b.stats.negative_share().unwrap_or_default() * 100.0;
        println!(
            "  {}  {:>4} mentions  {:>3.0}% negative  {:>3} crisis terms  {:>4} authors  reach {}",
            b.start.format("%H:%M"),
            b.stats.mentions,
            share,
            b.stats.crisis_terms,
            b.stats.unique_authors,
            b.stats.reach
        );
    }
    println!("\n{} series tracked, {} late mentions", monitor.series_count(), monitor.late_mentions());
    Ok(())
}
