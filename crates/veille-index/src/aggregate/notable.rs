//! Notable mentions: the most engaging ones of a scope.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::Order;
use veille_model::Mention;

use super::Scope;
use crate::{metrics, IndexError, MentionIndex, Result};

/// Most notable mentions one answer may list.
pub const MAX_NOTABLE: usize = 100;

/// A mention worth reading, with the figures that make it notable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotableMention {
    /// The mention key.
    pub key: String,
    /// Publication time.
    pub created_at: DateTime<Utc>,
    /// Platform name.
    pub platform: String,
    /// Author handle.
    pub author: String,
    /// Author followers, when known.
    pub followers: Option<u64>,
    /// The text.
    pub text: String,
    /// Likes, reposts, replies and quotes added up.
    pub engagement: u64,
    /// Compound sentiment, when scored.
    pub sentiment_score: Option<f64>,
    /// Link to the post.
    pub url: Option<String>,
}

impl From<&Mention> for NotableMention {
    fn from(m: &Mention) -> Self {
        NotableMention {
            key: m.key().to_string(),
            created_at: m.created_at,
            platform: m.platform().as_str().to_string(),
            author: m.author.handle.clone(),
            followers: m.author.followers,
            text: m.text.clone(),
            engagement: m.engagement.total(),
            sentiment_score: m.scores.sentiment.as_ref().map(|s| s.compound),
            url: m.url.clone(),
        }
    }
}

impl MentionIndex {
    /// The `limit` most engaging mentions of `scope`, most engaging first.
    pub fn most_engaging(&self, scope: &Scope, limit: usize) -> Result<Vec<NotableMention>> {
        if limit == 0 || limit > MAX_NOTABLE {
            return Err(IndexError::Request(format!("`limit` is {limit}: expected 1 to {MAX_NOTABLE}")));
        }
        metrics::SEARCHES.inc();
        let (query, _) = self.scoped_query(&scope.workspace, &scope.query, scope.from, scope.to)?;
        let searchers = self.searchers();
        let mut best = Vec::new();
        for (shard, searcher) in searchers.iter().enumerate() {
            let top = TopDocs::with_limit(limit).order_by_fast_field::<u64>("engagement", Order::Desc);
            for (engagement, address) in searcher.search(&query, &top)? {
                best.push((engagement, shard, address));
            }
        }
        best.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| (a.1, a.2).cmp(&(b.1, b.2))));
        best.truncate(limit);
        let mut notable = Vec::with_capacity(best.len());
        for (_, shard, address) in best {
            if let Some(searcher) = searchers.get(shard) {
                notable.push(NotableMention::from(&self.load(searcher, address)?));
            }
        }
        Ok(notable)
    }
}
