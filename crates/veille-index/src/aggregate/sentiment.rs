//! Sentiment split of a scope and its trend over time.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{bucket_key, bucket_start, buckets, date_histogram, net_sentiment, percent, Scope};
use crate::{MentionIndex, Result};

/// Mentions per sentiment label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SentimentCounts {
    /// Mentions labelled positive.
    pub positive: u64,
    /// Mentions labelled neutral.
    pub neutral: u64,
    /// Mentions labelled negative.
    pub negative: u64,
    /// Mentions without a sentiment score.
    pub unscored: u64,
}

impl SentimentCounts {
    /// Mentions with a sentiment label.
    pub fn scored(&self) -> u64 {
        self.positive + self.neutral + self.negative
    }

    /// Net sentiment, see [`net_sentiment`](super::net_sentiment).
    pub fn net_sentiment(&self) -> f64 {
        net_sentiment(self.positive, self.neutral, self.negative)
    }

    /// Each label's share of the scored mentions, in percent.
    pub fn shares(&self) -> SentimentShares {
        let scored = self.scored();
        SentimentShares {
            positive: percent(self.positive, scored),
            neutral: percent(self.neutral, scored),
            negative: percent(self.negative, scored),
        }
    }

    /// Adds the count of `label` (`positive`, `neutral` or `negative`; others are ignored).
    pub(crate) fn add(&mut self, label: &str, count: u64) {
        match label {
            "positive" => self.positive += count,
            "neutral" => self.neutral += count,
            "negative" => self.negative += count,
            _ => {}
        }
    }

    /// Counts read from a terms aggregation on `sentiment` named `name` inside `json`.
    pub(crate) fn from_terms(json: &serde_json::Value, name: &str, total: u64) -> SentimentCounts {
        let mut counts = SentimentCounts::default();
        for b in buckets(json, name) {
            counts.add(&bucket_key(b), b["doc_count"].as_u64().unwrap_or(0));
        }
        counts.unscored = total.saturating_sub(counts.scored());
        counts
    }
}

/// Each label's share of the scored mentions, in percent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SentimentShares {
    /// Positive share.
    pub positive: f64,
    /// Neutral share.
    pub neutral: f64,
    /// Negative share.
    pub negative: f64,
}

/// Sentiment of one time bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentimentBucket {
    /// Start of the bucket.
    pub start: DateTime<Utc>,
    /// Mentions in the bucket.
    pub total: u64,
    /// Positive mentions.
    pub positive: u64,
    /// Neutral mentions.
    pub neutral: u64,
    /// Negative mentions.
    pub negative: u64,
    /// Net sentiment of the bucket.
    pub net_sentiment: f64,
    /// Mean compound score of the scored mentions, if any.
    pub mean_compound: Option<f64>,
}

/// The sentiment of a scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentimentSummary {
    /// Mentions in the scope.
    pub total: u64,
    /// Mentions per label.
    pub counts: SentimentCounts,
    /// Shares of the scored mentions.
    pub shares: SentimentShares,
    /// Net sentiment over the scope.
    pub net_sentiment: f64,
    /// Mean compound score of the scored mentions, if any.
    pub mean_compound: Option<f64>,
    /// Buckets in time order, when an interval was asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trend: Vec<SentimentBucket>,
}

fn labels_and_mean() -> serde_json::Value {
    serde_json::json!({
        "labels": { "terms": { "field": "sentiment", "size": 3 } },
        "mean": { "avg": { "field": "sentiment_score" } }
    })
}

impl MentionIndex {
    /// The sentiment split of `scope`, with its trend per `trend_interval` bucket when given.
    pub fn sentiment(&self, scope: &Scope, trend_interval: Option<&str>) -> Result<SentimentSummary> {
        let mut request = labels_and_mean();
        request["total"] = serde_json::json!({ "value_count": { "field": "created_at" } });
        if let Some(i) = trend_interval {
            let fixed = self.check_histogram(&scope.workspace, &scope.query, scope.from, scope.to, i)?;
            request["trend"] = date_histogram(&fixed, labels_and_mean());
        }
        let json = self.aggregate_json(scope, request)?;
        let total = json["total"]["value"].as_f64().unwrap_or(0.0) as u64;
        let counts = SentimentCounts::from_terms(&json, "labels", total);
        let trend = buckets(&json, "trend")
            .map(|b| {
                let total = b["doc_count"].as_u64().unwrap_or(0);
                let c = SentimentCounts::from_terms(b, "labels", total);
                SentimentBucket {
                    start: bucket_start(b),
                    total,
                    positive: c.positive,
                    neutral: c.neutral,
                    negative: c.negative,
                    net_sentiment: c.net_sentiment(),
                    mean_compound: b["mean"]["value"].as_f64(),
                }
            })
            .collect();
        Ok(SentimentSummary {
            total,
            counts,
            shares: counts.shares(),
            net_sentiment: counts.net_sentiment(),
            mean_compound: json["mean"]["value"].as_f64(),
            trend,
        })
    }
}
