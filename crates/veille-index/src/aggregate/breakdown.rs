//! Mentions per value of a keyword field: languages, platforms, kinds, ...

use serde::{Deserialize, Serialize};

use super::{bucket_key, buckets, percent, Scope};
use crate::{IndexError, MentionIndex, Result};

/// Most values one breakdown may list.
pub const MAX_VALUES: usize = 1_000;
/// The key under which mentions without the field are counted (never a real value: keywords are lower-cased).
const MISSING: &str = "\u{1}MISSING";

/// The field a breakdown counts by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakdownField {
    /// ISO 639-1 language.
    #[default]
    Lang,
    /// Platform.
    Platform,
    /// Sentiment label.
    Sentiment,
    /// Matched watch (a mention tagged by two watches counts for each).
    Watch,
    /// Matched watch kind.
    WatchKind,
    /// Post, reply, quote or repost.
    Kind,
}

impl BreakdownField {
    /// The indexed field's name.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakdownField::Lang => "lang",
            BreakdownField::Platform => "platform",
            BreakdownField::Sentiment => "sentiment",
            BreakdownField::Watch => "watch",
            BreakdownField::WatchKind => "watch_kind",
            BreakdownField::Kind => "kind",
        }
    }
}

/// One value and its mentions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakdownValue {
    /// The value, as indexed.
    pub value: String,
    /// Mentions holding it.
    pub count: u64,
    /// Percentage of the scope's mentions.
    pub share: f64,
}

/// Mentions per value of a field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breakdown {
    /// The field counted.
    pub field: BreakdownField,
    /// Mentions in the scope.
    pub total: u64,
    /// Values, most frequent first.
    pub values: Vec<BreakdownValue>,
    /// Mentions without the field.
    pub missing: u64,
}

impl MentionIndex {
    /// The `limit` most frequent values of `field` in `scope`. Every value is counted (fields
    /// broken down by have few distinct values), so `missing` is exact.
    pub fn breakdown(&self, scope: &Scope, field: BreakdownField, limit: usize) -> Result<Breakdown> {
        if limit == 0 || limit > MAX_VALUES {
            return Err(IndexError::Request(format!("`limit` is {limit}: expected 1 to {MAX_VALUES}")));
        }
        let request = serde_json::json!({
            "values": { "terms": { "field": field.as_str(), "size": MAX_VALUES + 1, "missing": MISSING } },
            "total": { "value_count": { "field": "created_at" } }
        });
        let json = self.aggregate_json(scope, request)?;
        let total = json["total"]["value"].as_f64().unwrap_or(0.0) as u64;
        let mut missing = 0;
        let mut values = Vec::new();
        for b in buckets(&json, "values") {
            let value = bucket_key(b);
            let count = b["doc_count"].as_u64().unwrap_or(0);
            if value == MISSING {
                missing = count;
            } else {
                values.push(BreakdownValue { value, count, share: percent(count, total) });
            }
        }
        values.truncate(limit);
        Ok(Breakdown { field, total, values, missing })
    }
}
