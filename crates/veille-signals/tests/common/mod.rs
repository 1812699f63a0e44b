//! Builders for synthetic mention streams.

#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use veille_model::{Author, Mention, Platform, Scores, Sentiment, SentimentLabel, TermHit, WatchKind, WatchMatch};

/// Monday 2026-01-05 00:00:00 UTC.
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).single().unwrap_or_default()
}

/// A deterministic generator (64-bit LCG) so streams are the same on every run.
pub struct Noise(u64);

impl Noise {
    pub fn new(seed: u64) -> Self {
        Noise(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407))
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A Poisson draw with mean `lambda` (Knuth's method for small means, the
    /// normal approximation above 30).
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda > 30.0 {
            let (u, v) = (self.uniform().max(f64::MIN_POSITIVE), self.uniform());
            let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
            return (lambda + lambda.sqrt() * normal).round().max(0.0) as u64;
        }
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = self.uniform();
        while p > limit {
            k += 1;
            p *= self.uniform();
        }
        k
    }
}

/// Mentions per minute of a brand with a daily rhythm: `base` at night, about 3× by day.
pub fn daily_rate(base: f64, minute_of_day: i64) -> f64 {
    let phase = (minute_of_day as f64 / 1440.0 - 0.25) * std::f64::consts::TAU;
    base * (2.0 - phase.cos())
}

/// A mention of `watch` at `t` by `author`, optionally scored.
pub fn mention(
    id: u64,
    watch: &str,
    kind: WatchKind,
    t: DateTime<Utc>,
    author: &str,
    sentiment: Option<f64>,
) -> Mention {
    let mut m = Mention::new(
        Platform::X,
        id.to_string(),
        format!("about {watch}"),
        t,
        Author { handle: author.to_string(), followers: Some(100), ..Author::default() },
    );
    m.workspace = "acme".to_string();
    m.tags.push(WatchMatch {
        watch: watch.to_string(),
        kind,
        hits: vec![TermHit { term: watch.to_string(), start: 6, end: 6 + watch.len() }],
    });
    if let Some(compound) = sentiment {
        m.scores = Scores {
            sentiment: Some(Sentiment {
                label: SentimentLabel::from_compound(compound),
                compound,
                positive: 0.0,
                neutral: 1.0,
                negative: 0.0,
                lang: Some("en".into()),
                scorer: "test".into(),
                brands: Vec::new(),
            }),
            key_node: None,
        };
    }
    m
}

/// A stream of brand mentions: `minutes` minutes from [`start`], Poisson at
/// [`daily_rate`]`(base)` times `boost(minute)`, each a third negative.
pub fn stream(watch: &str, base: f64, minutes: i64, seed: u64, boost: impl Fn(i64) -> f64) -> Vec<Mention> {
    let mut noise = Noise::new(seed);
    let mut out = Vec::new();
    let mut id = seed * 10_000_000;
    for minute in 0..minutes {
        let n = noise.poisson(daily_rate(base, minute % 1440) * boost(minute));
        for j in 0..n {
            id += 1;
            let t = start() + chrono::Duration::seconds(minute * 60 + (j as i64 * 60) / (n as i64 + 1));
            let compound = if noise.uniform() < 1.0 / 3.0 { -0.6 } else { 0.4 };
            let author = format!("user{}", (noise.uniform() * 5000.0) as u64);
            out.push(mention(id, watch, WatchKind::Brand, t, &author, Some(compound)));
        }
    }
    out
}
