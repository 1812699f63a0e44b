//! Aggregations for analysts: sentiment, share of voice, significant terms, top authors,
//! breakdowns, notable mentions and the audit summary of a brand.
//!
//! Every aggregation is scoped by a [`Scope`] (one workspace, a query, a time range) and runs
//! on each shard's searcher; the shards' partial answers are merged before they are finalised,
//! so a sharded index answers exactly as a single one would.

mod audit;
mod authors;
mod breakdown;
mod notable;
mod ordered;
mod sentiment;
mod share;
mod significance;
mod terms;

use chrono::{DateTime, TimeDelta, Utc};
use tantivy::aggregation::agg_req::Aggregations;

use crate::{metrics, IndexError, MentionIndex, Result};

pub use audit::{Audit, AuditRequest, PeakDay, Period, VolumeChange};
pub use authors::{AuthorOrder, AuthorStats, MAX_AUTHORS};
pub use breakdown::{Breakdown, BreakdownField, BreakdownValue, MAX_VALUES};
pub use notable::{NotableMention, MAX_NOTABLE};
pub use sentiment::{SentimentBucket, SentimentCounts, SentimentShares, SentimentSummary};
pub use share::{ShareBucket, ShareOfVoice, ShareOfVoiceRequest, WatchSentiment, WatchShare};
pub use terms::{PeriodTotal, SignificantTerm, SignificantTerms, SignificantTermsRequest, TermField, MAX_TERMS};

/// Which mentions an aggregation counts: those of one workspace that match a query and were
/// created in a time range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// The workspace; nothing outside it is counted.
    pub workspace: String,
    /// tantivy query syntax; empty or `*` for every mention.
    pub query: String,
    /// Only mentions created at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only mentions created before this time.
    pub to: Option<DateTime<Utc>>,
}

impl Scope {
    /// Every mention of `workspace` matching `query`, at any time.
    pub fn new(workspace: impl Into<String>, query: impl Into<String>) -> Self {
        Scope { workspace: workspace.into(), query: query.into(), from: None, to: None }
    }

    /// The same scope limited to `[from, to)`.
    pub fn between(mut self, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Self {
        self.from = from;
        self.to = to;
        self
    }

    /// The same scope, further filtered by `clause` (tantivy syntax).
    pub fn and(&self, clause: &str) -> Scope {
        let query = match self.query.trim() {
            "" | "*" => clause.to_string(),
            q => format!("({q}) AND ({clause})"),
        };
        Scope { query, ..self.clone() }
    }
}

/// Net sentiment: `100 × (positive − negative) / scored`, in [-100, 100]; 0 when nothing is scored.
pub fn net_sentiment(positive: u64, neutral: u64, negative: u64) -> f64 {
    let scored = positive + neutral + negative;
    if scored == 0 {
        0.0
    } else {
        100.0 * (positive as f64 - negative as f64) / scored as f64
    }
}

/// `part` as a percentage of `whole` (0 when `whole` is 0).
pub(crate) fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// Widest bucket: ten years (tantivy counts bucket widths in nanoseconds).
const MAX_INTERVAL_DAYS: i64 = 3_650;

/// Checks a bucket width (a [`Span`](veille_model::Span): a number and a unit among `s`, `m`,
/// `h`, `d`, `w`), at most ten years, and returns its length.
pub(crate) fn interval(interval: &str) -> Result<TimeDelta> {
    let delta = veille_model::Span::parse(interval).map(veille_model::Span::delta).ok();
    if delta.is_some_and(|d| d > TimeDelta::days(MAX_INTERVAL_DAYS)) {
        return Err(IndexError::Request(format!(
            "`interval` is `{interval}`: the widest bucket is {MAX_INTERVAL_DAYS}d (ten years)"
        )));
    }
    delta.ok_or_else(|| {
        IndexError::Request(format!(
            "`interval` is `{interval}`: expected a number and a unit among s, m, h, d, w (e.g. 5m, 1h, 1d)"
        ))
    })
}

/// Most buckets one time histogram may have (a minute over two weeks fits).
pub const MAX_BUCKETS: i64 = 20_160;

impl MentionIndex {
    /// Checks that a histogram of `interval` buckets over the mentions matching `query` in
    /// `[from, to)` stays within [`MAX_BUCKETS`], before anything is collected: the span is
    /// the time range asked for, narrowed to the first and last mention in it. Returns the width
    /// as tantivy's `fixed_interval` takes it.
    pub(crate) fn check_histogram(
        &self,
        workspace: &str,
        query: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        interval_text: &str,
    ) -> Result<String> {
        let width = interval(interval_text)?;
        // tantivy's fixed intervals know no weeks: its width in seconds is the same bucket.
        let fixed = format!("{}s", width.num_seconds());
        let edge = |sort| {
            let mut req = crate::SearchRequest::new(workspace, query);
            (req.from, req.to, req.sort, req.limit) = (from, to, sort, 1);
            self.search(&req).map(|r| r.hits.into_iter().next().map(|h| h.mention.created_at))
        };
        let (Some(first), Some(last)) = (edge(crate::Sort::TimeAsc)?, edge(crate::Sort::Time)?) else {
            return Ok(fixed);
        };
        let start = from.map_or(first, |f| f.max(first));
        let end = to.map_or(last, |t| t.min(last));
        let span = (end - start).num_seconds().max(0);
        let buckets = span / width.num_seconds().max(1) + 1;
        if buckets > MAX_BUCKETS {
            return Err(IndexError::Request(format!(
                "`interval` {interval_text} over {} to {} makes {buckets} buckets, the most is {MAX_BUCKETS}: widen the interval or narrow `from` and `to`",
                start.to_rfc3339(),
                end.to_rfc3339()
            )));
        }
        Ok(fixed)
    }
}

/// A key of a terms bucket as text (numbers are printed).
pub(crate) fn bucket_key(bucket: &serde_json::Value) -> String {
    match &bucket["key"] {
        serde_json::Value::String(k) => k.clone(),
        other => other.to_string(),
    }
}

/// The buckets of the aggregation `name` in `json` (empty when absent).
pub(crate) fn buckets<'a>(json: &'a serde_json::Value, name: &str) -> impl Iterator<Item = &'a serde_json::Value> {
    json[name]["buckets"].as_array().into_iter().flatten()
}

/// The start of a date histogram bucket.
pub(crate) fn bucket_start(bucket: &serde_json::Value) -> DateTime<Utc> {
    let millis = bucket["key"].as_f64().unwrap_or(0.0) as i64;
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// A date histogram over `created_at`, with `aggs` in each bucket.
pub(crate) fn date_histogram(interval: &str, aggs: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "date_histogram": { "field": "created_at", "fixed_interval": interval },
        "aggs": aggs
    })
}

impl MentionIndex {
    /// Runs tantivy aggregations (in their JSON request form) over the mentions in `scope`, on
    /// every shard, and returns the merged final result as JSON.
    pub(crate) fn aggregate_json(&self, scope: &Scope, request: serde_json::Value) -> Result<serde_json::Value> {
        metrics::SEARCHES.inc();
        let (query, _) = self.scoped_query(&scope.workspace, &scope.query, scope.from, scope.to)?;
        let aggs: Aggregations =
            serde_json::from_value(request).map_err(|e| IndexError::Request(format!("aggregation: {e}")))?;
        let result = self.aggregate(&*query, aggs)?;
        serde_json::to_value(&result).map_err(|e| IndexError::Request(format!("aggregation result: {e}")))
    }

    /// Mentions in `scope`, counted on every shard.
    pub(crate) fn scope_count(&self, scope: &Scope) -> Result<u64> {
        let (query, _) = self.scoped_query(&scope.workspace, &scope.query, scope.from, scope.to)?;
        let mut total = 0;
        for searcher in self.searchers() {
            total += searcher.search(&query, &tantivy::collector::Count)? as u64;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests;
