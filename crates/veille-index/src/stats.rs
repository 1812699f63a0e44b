//! Volume over time: date histograms through tantivy aggregations.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tantivy::aggregation::agg_req::Aggregations;

use crate::{metrics, IndexError, MentionIndex, Result};

/// A breakdown of each time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeSplit {
    /// By platform.
    Platform,
    /// By matched watch.
    Watch,
    /// By sentiment label.
    Sentiment,
    /// By language.
    Lang,
}

impl VolumeSplit {
    fn field(self) -> &'static str {
        match self {
            VolumeSplit::Platform => "platform",
            VolumeSplit::Watch => "watch",
            VolumeSplit::Sentiment => "sentiment",
            VolumeSplit::Lang => "lang",
        }
    }
}

/// Mentions per time bucket in one workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeRequest {
    /// The workspace counted.
    pub workspace: String,
    /// Only mentions matching this query (tantivy syntax; empty for all).
    pub query: String,
    /// Only mentions created at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only mentions created before this time.
    pub to: Option<DateTime<Utc>>,
    /// Bucket width: a number and a unit among `s`, `m`, `h`, `d` (e.g. `5m`, `1d`).
    pub interval: String,
    /// Optional breakdown of each bucket.
    pub split: Option<VolumeSplit>,
}

/// One time bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VolumeBucket {
    /// Start of the bucket.
    pub start: DateTime<Utc>,
    /// Mentions in the bucket.
    pub count: u64,
    /// Counts per split value, when a split was asked for.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub split: BTreeMap<String, u64>,
}

/// A volume histogram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VolumeResponse {
    /// Bucket width, as asked.
    pub interval: String,
    /// Mentions counted in all buckets.
    pub total: u64,
    /// Buckets in time order, empty ones included between the first and last.
    pub buckets: Vec<VolumeBucket>,
}

impl MentionIndex {
    /// Counts mentions per time bucket.
    pub fn volume(&self, req: &VolumeRequest) -> Result<VolumeResponse> {
        let fixed = self.check_histogram(&req.workspace, &req.query, req.from, req.to, &req.interval)?;
        metrics::SEARCHES.inc();
        let (query, _) = self.scoped_query(&req.workspace, &req.query, req.from, req.to)?;
        let mut histogram = serde_json::json!({
            "date_histogram": { "field": "created_at", "fixed_interval": fixed }
        });
        if let Some(split) = req.split {
            histogram["aggs"] = serde_json::json!({ "split": { "terms": { "field": split.field(), "size": 100 } } });
        }
        let aggs: Aggregations = serde_json::from_value(serde_json::json!({ "volume": histogram }))
            .map_err(|e| IndexError::Request(format!("aggregation: {e}")))?;
        let result = self.aggregate(&*query, aggs)?;
        let json =
            serde_json::to_value(&result).map_err(|e| IndexError::Request(format!("aggregation result: {e}")))?;
        let mut buckets = Vec::new();
        let mut total = 0;
        for b in json["volume"]["buckets"].as_array().into_iter().flatten() {
            let millis = b["key"].as_f64().unwrap_or(0.0) as i64;
            let count = b["doc_count"].as_u64().unwrap_or(0);
            total += count;
            let mut split = BTreeMap::new();
            for s in b["split"]["buckets"].as_array().into_iter().flatten() {
                let key = match &s["key"] {
                    serde_json::Value::String(k) => k.clone(),
                    other => other.to_string(),
                };
                split.insert(key, s["doc_count"].as_u64().unwrap_or(0));
            }
            let start = DateTime::from_timestamp_millis(millis).unwrap_or_default();
            buckets.push(VolumeBucket { start, count, split });
        }
        Ok(VolumeResponse { interval: req.interval.clone(), total, buckets })
    }
}
