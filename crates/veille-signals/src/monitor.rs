//! The entry point: mentions in, signal events and closed buckets out.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use veille_config::signals::SignalsConfig;
use veille_model::{Mention, SentimentLabel, WatchKind};

use crate::bucket::{ClosedBucket, MentionFacts};
use crate::error::Error;
use crate::event::SignalEvent;
use crate::hll::author_hash;
use crate::series::{Series, Settings};

/// What the monitor produced during a call: rule transitions and the buckets
/// that closed. Callers drain or [`SignalOutput::clear`] it between calls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignalOutput {
    /// Rule transitions, in the order they were decided.
    pub events: Vec<SignalEvent>,
    /// Buckets (base width and rollups) that closed and held at least one mention.
    pub buckets: Vec<ClosedBucket>,
}

impl SignalOutput {
    /// Forgets everything collected so far, keeping the allocations.
    pub fn clear(&mut self) {
        self.events.clear();
        self.buckets.clear();
    }
}

/// Tracks every workspace × watch and evaluates the rules on them.
///
/// Time is event time: the newest `created_at` seen (or a time given to
/// [`SignalMonitor::advance_to`]) is the watermark. A bucket is evaluated on
/// provisional counts as soon as the watermark passes its end, so an alert
/// can fire without waiting for stragglers, and is closed, final and learned
/// once the watermark passes its end by the allowed lateness. A mention for
/// a closed bucket is counted as late and left out of the buckets.
#[derive(Debug, Clone)]
pub struct SignalMonitor {
    settings: Settings,
    enabled: bool,
    lateness_s: i64,
    index: HashMap<String, HashMap<String, usize>>,
    series: Vec<Series>,
    watermark: Option<i64>,
    evaluated_until: i64,
    closed_until: i64,
    late: u64,
}

fn align(t: i64, width: u64) -> i64 {
    t - t.rem_euclid(width as i64)
}

impl SignalMonitor {
    /// A monitor for `config`, which it validates.
    pub fn new(config: &SignalsConfig) -> Result<Self, Error> {
        config.validate().map_err(|(key, reason)| Error::Config { key, reason })?;
        Ok(SignalMonitor {
            settings: Settings {
                bucket_s: config.bucket_s,
                rollups_s: config.rollups_s.clone(),
                detector: config.detector.clone(),
                rules: config.rules.clone(),
            },
            enabled: config.enabled,
            lateness_s: config.allowed_lateness_s as i64,
            index: HashMap::new(),
            series: Vec::new(),
            watermark: None,
            evaluated_until: i64::MIN,
            closed_until: i64::MIN,
            late: 0,
        })
    }

    /// Counts a mention in the buckets of every watch it is tagged with, runs
    /// the per-mention rules, and evaluates the buckets its time completes.
    pub fn observe(&mut self, mention: &Mention, out: &mut SignalOutput) {
        if !self.enabled {
            return;
        }
        let t = mention.created_at.timestamp();
        let bucket = align(t, self.settings.bucket_s);
        // The watermark moves first: what this mention completes is evaluated
        // and closed before it lands, so open buckets never span a time jump.
        self.watermark = Some(self.watermark.map_or(t, |w| w.max(t)));
        self.advance(out);
        let late = bucket < self.closed_until;
        self.late += u64::from(late);
        let identity = mention.author.id.as_deref().unwrap_or(&mention.author.handle);
        let mut facts = MentionFacts {
            author: author_hash(mention.platform().as_str(), identity),
            followers: mention.author.followers.unwrap_or(0),
            crisis_terms: mention
                .tags
                .iter()
                .filter(|w| w.kind == WatchKind::Crisis)
                .map(|w| w.hits.len().max(1) as u64)
                .sum(),
            ..MentionFacts::default()
        };
        for (i, tag) in mention.tags.iter().enumerate() {
            if mention.tags[..i].iter().any(|earlier| earlier.watch == tag.watch) {
                continue;
            }
            let (scored, negative) = sentiment_toward(mention, &tag.watch);
            facts.scored = scored;
            facts.negative = negative;
            let first = bucket.max(self.closed_until);
            let id = self.series_id(&mention.workspace, &tag.watch, tag.kind, first);
            let series = &mut self.series[id];
            if !late {
                series.add(bucket, &facts, &self.settings);
            }
            series.key_node(mention, &facts, &self.settings, out);
        }
    }

    /// Moves the watermark to `now` (if later) and evaluates and closes what
    /// that completes: call it periodically in live mode so silent watches
    /// still close buckets (and the flat-line rule can see the silence).
    pub fn advance_to(&mut self, now: DateTime<Utc>, out: &mut SignalOutput) {
        if !self.enabled {
            return;
        }
        let t = now.timestamp();
        self.watermark = Some(self.watermark.map_or(t, |w| w.max(t)));
        self.advance(out);
    }

    /// Closes every open bucket, as at the end of a finite replay; later
    /// mentions older than the newest one seen count as late.
    pub fn flush(&mut self, out: &mut SignalOutput) {
        if let Some(w) = self.watermark {
            let end = align(w, self.settings.bucket_s) + self.settings.bucket_s as i64 + self.lateness_s;
            self.watermark = Some(end);
            self.advance(out);
        }
    }

    /// Mentions that arrived after their bucket had closed.
    pub fn late_mentions(&self) -> u64 {
        self.late
    }

    /// Number of workspace × watch series tracked.
    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    /// Approximate memory held for the tracked series, in bytes.
    pub fn memory_bytes(&self) -> usize {
        let index: usize = self
            .index
            .iter()
            .map(|(ws, watches)| ws.capacity() + watches.keys().map(|w| w.capacity() + 32).sum::<usize>())
            .sum();
        self.series.capacity() * std::mem::size_of::<Series>()
            + self.series.iter().map(Series::heap_bytes).sum::<usize>()
            + index
    }

    fn series_id(&mut self, workspace: &str, watch: &str, kind: WatchKind, first_bucket: i64) -> usize {
        if let Some(&id) = self.index.get(workspace).and_then(|w| w.get(watch)) {
            return id;
        }
        let id = self.series.len();
        self.series.push(Series::new(workspace, watch, kind, first_bucket, &self.settings));
        self.index.entry(workspace.to_string()).or_default().insert(watch.to_string(), id);
        id
    }

    fn advance(&mut self, out: &mut SignalOutput) {
        let Some(w) = self.watermark else { return };
        let close = align(w.saturating_sub(self.lateness_s), self.settings.bucket_s);
        if close > self.closed_until {
            for s in &mut self.series {
                s.close_until(close, &self.settings, out);
            }
            self.closed_until = close;
        }
        let on_time = align(w, self.settings.bucket_s);
        if on_time > self.evaluated_until {
            if on_time > close {
                for s in &mut self.series {
                    s.provisional(on_time, &self.settings, out);
                }
            }
            self.evaluated_until = on_time;
        }
    }
}

/// Whether the mention was scored, and whether it is negative toward `watch`
/// (its brand sentiment for that watch when present, else the whole text's).
fn sentiment_toward(mention: &Mention, watch: &str) -> (bool, bool) {
    match &mention.scores.sentiment {
        None => (false, false),
        Some(s) => {
            let label = s.brands.iter().find(|b| b.watch == watch).map_or(s.label, |b| b.label);
            (true, label == SentimentLabel::Negative)
        }
    }
}
