//! Share of voice: how much of the conversation each brand and competitor gets.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use veille_model::{SentimentLabel, WatchKind};

use super::{bucket_key, bucket_start, buckets, date_histogram, net_sentiment, percent, Scope};
use crate::{MentionIndex, Result};

/// Most watches one share-of-voice answer considers.
const MAX_WATCHES: u32 = 1_000;

/// Which watches to compare, over which mentions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShareOfVoiceRequest {
    /// The mentions counted.
    pub scope: Scope,
    /// The watches compared (names as indexed, lower-case); `None` compares every watch of
    /// kind brand or competitor found in the scope.
    pub watches: Option<Vec<String>>,
    /// Adds a trend with buckets of this width (`1h`, `1d`, ...).
    pub interval: Option<String>,
}

/// Sentiment of one watch's mentions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct WatchSentiment {
    /// Positive mentions.
    pub positive: u64,
    /// Neutral mentions.
    pub neutral: u64,
    /// Negative mentions.
    pub negative: u64,
    /// Net sentiment of the watch.
    pub net_sentiment: f64,
}

/// One watch's voice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchShare {
    /// The watch name, as indexed.
    pub watch: String,
    /// The watch kind found in the index; `None` when it cannot be told.
    pub kind: Option<WatchKind>,
    /// Mentions tagged by the watch.
    pub count: u64,
    /// Percentage of all the compared watches' counts.
    pub share: f64,
    /// Sentiment of the watch's mentions.
    pub sentiment: WatchSentiment,
}

/// Share of voice in one time bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareBucket {
    /// Start of the bucket.
    pub start: DateTime<Utc>,
    /// Sum of the compared watches' counts in the bucket.
    pub total: u64,
    /// Mentions per watch.
    pub counts: BTreeMap<String, u64>,
    /// Percentage per watch.
    pub shares: BTreeMap<String, f64>,
}

/// Share of voice over a scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareOfVoice {
    /// Sum of the watches' counts (a mention naming two watches counts for each), so shares add to 100.
    pub total: u64,
    /// The watches, most mentioned first.
    pub watches: Vec<WatchShare>,
    /// Buckets in time order, when an interval was asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trend: Vec<ShareBucket>,
}

impl ShareOfVoice {
    /// The share of `watch`, if it was compared.
    pub fn share_of(&self, watch: &str) -> Option<&WatchShare> {
        self.watches.iter().find(|w| w.watch == watch)
    }
}

fn parse_kind(name: &str) -> Option<WatchKind> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

/// The kind of a watch, from the kinds tagged on its mentions: a kind present on every one of
/// them; when several are (a watch whose mentions always also match another watch), the kind
/// rarest in the scope, being the most specific.
fn infer_kind(count: u64, kinds: &[(String, u64)], overall: &HashMap<String, u64>) -> Option<WatchKind> {
    kinds
        .iter()
        .filter(|(_, n)| *n == count)
        .min_by_key(|(k, _)| overall.get(k).copied().unwrap_or(u64::MAX))
        .and_then(|(k, _)| parse_kind(k))
}

impl MentionIndex {
    /// The share of voice of the watches in `req.scope`.
    pub fn share_of_voice(&self, req: &ShareOfVoiceRequest) -> Result<ShareOfVoice> {
        let per_watch = serde_json::json!({
            "kinds": { "terms": { "field": "watch_kind", "size": 8 } },
            "labels": { "terms": { "field": "sentiment", "size": 3 } }
        });
        let mut request = serde_json::json!({
            "watches": { "terms": { "field": "watch", "size": MAX_WATCHES }, "aggs": per_watch },
            "kinds": { "terms": { "field": "watch_kind", "size": 8 } }
        });
        if let Some(i) = &req.interval {
            let fixed =
                self.check_histogram(&req.scope.workspace, &req.scope.query, req.scope.from, req.scope.to, i)?;
            request["trend"] = date_histogram(
                &fixed,
                serde_json::json!({
                    "watches": { "terms": { "field": "watch", "size": MAX_WATCHES } }
                }),
            );
        }
        let json = self.aggregate_json(&req.scope, request)?;
        let overall: HashMap<String, u64> =
            buckets(&json, "kinds").map(|b| (bucket_key(b), b["doc_count"].as_u64().unwrap_or(0))).collect();
        let mut watches = Vec::new();
        for b in buckets(&json, "watches") {
            let watch = bucket_key(b);
            let count = b["doc_count"].as_u64().unwrap_or(0);
            let kinds: Vec<(String, u64)> =
                buckets(b, "kinds").map(|k| (bucket_key(k), k["doc_count"].as_u64().unwrap_or(0))).collect();
            let kind = infer_kind(count, &kinds, &overall);
            let compared = match &req.watches {
                Some(list) => list.iter().any(|w| w.eq_ignore_ascii_case(&watch)),
                None => matches!(kind, Some(WatchKind::Brand | WatchKind::Competitor)),
            };
            if !compared {
                continue;
            }
            let mut s = WatchSentiment::default();
            for l in buckets(b, "labels") {
                let n = l["doc_count"].as_u64().unwrap_or(0);
                match parse_label(&bucket_key(l)) {
                    Some(SentimentLabel::Positive) => s.positive += n,
                    Some(SentimentLabel::Neutral) => s.neutral += n,
                    Some(SentimentLabel::Negative) => s.negative += n,
                    None => {}
                }
            }
            s.net_sentiment = net_sentiment(s.positive, s.neutral, s.negative);
            watches.push(WatchShare { watch, kind, count, share: 0.0, sentiment: s });
        }
        let total = watches.iter().map(|w| w.count).sum();
        for w in &mut watches {
            w.share = percent(w.count, total);
        }
        watches.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.watch.cmp(&b.watch)));
        let compared: Vec<&str> = watches.iter().map(|w| w.watch.as_str()).collect();
        let trend = buckets(&json, "trend")
            .map(|b| {
                let counts: BTreeMap<String, u64> = buckets(b, "watches")
                    .map(|w| (bucket_key(w), w["doc_count"].as_u64().unwrap_or(0)))
                    .filter(|(w, _)| compared.contains(&w.as_str()))
                    .collect();
                let total = counts.values().sum();
                let shares = counts.iter().map(|(w, n)| (w.clone(), percent(*n, total))).collect();
                ShareBucket { start: bucket_start(b), total, counts, shares }
            })
            .collect();
        Ok(ShareOfVoice { total, watches, trend })
    }
}

fn parse_label(name: &str) -> Option<SentimentLabel> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_takes_the_kind_present_on_all_its_mentions() {
        let overall: HashMap<String, u64> = [("brand".to_string(), 100), ("crisis".to_string(), 10)].into();
        let kinds = vec![("brand".to_string(), 10), ("crisis".to_string(), 10)];
        assert_eq!(infer_kind(10, &kinds, &overall), Some(WatchKind::Crisis));
        let kinds = vec![("brand".to_string(), 50), ("crisis".to_string(), 3)];
        assert_eq!(infer_kind(50, &kinds, &overall), Some(WatchKind::Brand));
        assert_eq!(infer_kind(50, &[("brand".to_string(), 20)], &overall), None);
    }
}
