//! Top authors of a scope: by mentions, engagement or key-node score.

use serde::{Deserialize, Serialize};

use super::{bucket_key, buckets, Scope};
use crate::{IndexError, MentionIndex, Result};

/// Most authors one answer may list.
pub const MAX_AUTHORS: usize = 1_000;

/// How authors are ranked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorOrder {
    /// Most mentions first.
    #[default]
    Mentions,
    /// Most engagement (likes, reposts, replies, quotes added up) first.
    Engagement,
    /// Highest key-node score first.
    KeyNode,
}

/// One author's figures over a scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthorStats {
    /// The handle, lower-cased, without `@`.
    pub author: String,
    /// Mentions written.
    pub mentions: u64,
    /// Engagement of those mentions, added up.
    pub engagement: u64,
    /// Highest key-node score seen on those mentions, if any was scored.
    pub max_key_node: Option<f64>,
    /// Largest follower count seen on those mentions.
    pub followers: u64,
}

impl MentionIndex {
    /// The `limit` top authors of `scope`, ranked by `by`.
    pub fn top_authors(&self, scope: &Scope, by: AuthorOrder, limit: usize) -> Result<Vec<AuthorStats>> {
        if limit == 0 || limit > MAX_AUTHORS {
            return Err(IndexError::Request(format!("`limit` is {limit}: expected 1 to {MAX_AUTHORS}")));
        }
        // First rank every author on the one figure asked for, then gather the other figures
        // of the winners only: finalising tens of thousands of author buckets with three
        // metrics each costs more than a second pass restricted to `limit` authors.
        let (order, metric) = match by {
            AuthorOrder::Mentions => (serde_json::json!({ "_count": "desc" }), None),
            AuthorOrder::Engagement => (serde_json::json!({ "engagement": "desc" }), Some("engagement")),
            AuthorOrder::KeyNode => (serde_json::json!({ "key_node": "desc" }), Some("key_node")),
        };
        let metrics = serde_json::json!({
            "engagement": { "sum": { "field": "engagement" } },
            "key_node": { "max": { "field": "key_node" } },
            "followers": { "max": { "field": "followers" } }
        });
        let mut ranking = serde_json::json!({ "terms": { "field": "author", "size": limit, "order": order } });
        if let Some(name) = metric {
            ranking["aggs"] = serde_json::json!({ name: metrics[name].clone() });
        }
        let json = self.aggregate_json(scope, serde_json::json!({ "authors": ranking }))?;
        let ranked: Vec<String> = buckets(&json, "authors").map(bucket_key).collect();
        if ranked.is_empty() {
            return Ok(Vec::new());
        }
        let request = serde_json::json!({
            "authors": {
                "terms": { "field": "author", "size": ranked.len(), "include": ranked },
                "aggs": metrics
            }
        });
        let json = self.aggregate_json(scope, request)?;
        let mut figures: std::collections::HashMap<String, AuthorStats> = buckets(&json, "authors")
            .map(|b| {
                let stats = AuthorStats {
                    author: bucket_key(b),
                    mentions: b["doc_count"].as_u64().unwrap_or(0),
                    engagement: b["engagement"]["value"].as_f64().unwrap_or(0.0) as u64,
                    max_key_node: b["key_node"]["value"].as_f64(),
                    followers: b["followers"]["value"].as_f64().unwrap_or(0.0) as u64,
                };
                (stats.author.clone(), stats)
            })
            .collect();
        Ok(ranked.iter().filter_map(|author| figures.remove(author)).collect())
    }
}
