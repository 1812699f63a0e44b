//! Builders shared by the integration tests.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use veille_config::signals::Severity;
use veille_model::{
    Author, BrandSentiment, Mention, Platform, Scores, Sentiment, SentimentLabel, TermHit, WatchKind, WatchMatch,
};
use veille_signals::{Evidence, Novelty, RuleKind, SignalEvent, Transition};

/// 2026-01-05 10:00 UTC, a Monday.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap()
}

pub fn spike(watch: &str, transition: Transition, at: DateTime<Utc>, value: f64) -> SignalEvent {
    SignalEvent {
        workspace: "default".into(),
        watch: watch.into(),
        rule: RuleKind::VolumeSpike,
        transition,
        severity: Severity::Critical,
        at,
        started_at: at,
        decided_at: at + Duration::minutes(1),
        provisional: false,
        evidence: Evidence::Spike {
            value,
            baseline: 18.0,
            z: 9.5,
            score: 4.2,
            threshold: 1.8,
            extra_volume: (value - 18.0).max(0.0),
            window_s: 10800,
            novelty: Some(Novelty::Spike),
            window_observed: value,
            window_expected: 18.0,
            daily_volume: 900.0,
        },
    }
}

pub fn key_node(author: &str, transition: Transition, at: DateTime<Utc>) -> SignalEvent {
    SignalEvent {
        workspace: "default".into(),
        watch: "acme".into(),
        rule: RuleKind::KeyNodeNegative,
        transition,
        severity: Severity::Warning,
        at,
        started_at: at,
        decided_at: at,
        provisional: false,
        evidence: Evidence::KeyNode {
            mention: veille_model::MentionKey::new(Platform::X, &format!("{author}-post")),
            author: author.into(),
            key_node: 0.93,
            compound: -0.71,
            url: Some(format!("https://x.com/{author}/status/1")),
        },
    }
}

/// A mention about acme, optionally negative with crisis-term hits.
pub fn mention(id: impl std::fmt::Display, at: DateTime<Utc>, author: &str, text: &str, crisis: &[&str]) -> Mention {
    let author = Author { handle: author.into(), followers: Some(1000), ..Author::default() };
    let mut m = Mention::new(Platform::X, id.to_string(), text, at, author);
    m.url = Some(format!("https://x.com/i/status/{id}"));
    m.tags.push(WatchMatch {
        watch: "acme".into(),
        kind: WatchKind::Brand,
        hits: vec![TermHit { term: "Acme".into(), start: 0, end: 4 }],
    });
    if !crisis.is_empty() {
        m.tags.push(WatchMatch {
            watch: "crisis".into(),
            kind: WatchKind::Crisis,
            hits: crisis.iter().map(|t| TermHit { term: t.to_string(), start: 0, end: 1 }).collect(),
        });
    }
    let label = if crisis.is_empty() { SentimentLabel::Neutral } else { SentimentLabel::Negative };
    let compound = if crisis.is_empty() { 0.0 } else { -0.6 };
    m.scores = Scores {
        sentiment: Some(Sentiment {
            label,
            compound,
            positive: 0.0,
            neutral: 1.0,
            negative: 0.0,
            lang: Some("en".into()),
            scorer: "vader".into(),
            brands: vec![BrandSentiment { watch: "acme".into(), label, compound }],
        }),
        key_node: None,
    };
    m
}
pub mod receiver;
