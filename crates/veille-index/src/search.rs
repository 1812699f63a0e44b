//! Full-text search, scoped to one workspace.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, EnableScoring, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};
use veille_model::Mention;

use crate::{metrics, IndexError, MentionIndex, Result};

/// Most hits one page may hold.
pub const MAX_LIMIT: usize = 1_000;
/// Deepest offset a page may start at (use a narrower time range to go further).
pub const MAX_OFFSET: usize = 100_000;

/// Result order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Newest first (by `created_at`).
    #[default]
    Time,
    /// Oldest first.
    TimeAsc,
    /// Best match first.
    Relevance,
}

/// A search over one workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// The workspace searched; nothing outside it can match.
    pub workspace: String,
    /// tantivy query syntax; empty or `*` matches everything.
    pub query: String,
    /// Only mentions created at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only mentions created before this time.
    pub to: Option<DateTime<Utc>>,
    /// Result order.
    pub sort: Sort,
    /// Hits per page (at most [`MAX_LIMIT`]).
    pub limit: usize,
    /// Hits to skip (at most [`MAX_OFFSET`]).
    pub offset: usize,
    /// Whether hits carry a highlighted snippet of the text.
    pub snippets: bool,
}

impl SearchRequest {
    /// The first 20 newest hits of `query` in `workspace`.
    pub fn new(workspace: impl Into<String>, query: impl Into<String>) -> Self {
        SearchRequest {
            workspace: workspace.into(),
            query: query.into(),
            from: None,
            to: None,
            sort: Sort::Time,
            limit: 20,
            offset: 0,
            snippets: false,
        }
    }
}

/// One hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The mention key.
    pub key: String,
    /// Relevance score (with `sort = relevance`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// The text with matched words in `<b>…</b>` (HTML-escaped otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// The mention.
    pub mention: Mention,
}

/// A page of hits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResponse {
    /// Mentions matching, across all pages.
    pub total: usize,
    /// This page.
    pub hits: Vec<Hit>,
}

impl MentionIndex {
    /// Parses `query` and scopes it to `workspace` and the time range.
    pub(crate) fn scoped_query(
        &self,
        workspace: &str,
        query: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<(Box<dyn Query>, Box<dyn Query>)> {
        // Control characters mean nothing in the query syntax, and a NUL inside a JSON field
        // path (`attrs.a\0b:x`) trips an assertion in tantivy's parser: refuse them first.
        if let Some((at, c)) = query.char_indices().find(|(_, c)| c.is_control() && !c.is_whitespace()) {
            return Err(IndexError::Query {
                query: query.to_string(),
                message: format!("control character U+{:04X} at byte {at} is not allowed in a query", u32::from(c)),
            });
        }
        let user: Box<dyn Query> = if query.trim().is_empty() || query.trim() == "*" {
            Box::new(AllQuery)
        } else {
            let parsed = crate::query::parse(self, query)
                .map_err(|e| IndexError::Query { query: query.to_string(), message: e.to_string() })?;
            // Some queries parse but cannot run on this schema (`key:*` asks whether a field is
            // present, which only fields with fast values can answer): find out now, as a bad
            // query, rather than as a failure half-way through a search.
            parsed.weight(EnableScoring::disabled_from_schema(&self.index.schema())).map_err(|e| {
                IndexError::Query {
                    query: query.to_string(),
                    message: match e {
                        tantivy::TantivyError::SchemaError(m) => {
                            format!("{m} (`field:*` works on keyword and number fields, not on `key` or text fields)")
                        }
                        other => other.to_string(),
                    },
                }
            })?;
            parsed
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, user.box_clone()),
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.workspace, workspace),
                    IndexRecordOption::Basic,
                )),
            ),
        ];
        if from.is_some() || to.is_some() {
            if let (Some(f), Some(t)) = (from, to) {
                if f >= t {
                    return Err(IndexError::Request(format!("`from` ({f}) must be before `to` ({t})")));
                }
            }
            let term = |t: DateTime<Utc>| {
                Term::from_field_date_for_search(
                    self.fields.created_at,
                    tantivy::DateTime::from_timestamp_micros(t.timestamp_micros()),
                )
            };
            let lower = from.map_or(Bound::Unbounded, |t| Bound::Included(term(t)));
            let upper = to.map_or(Bound::Unbounded, |t| Bound::Excluded(term(t)));
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        Ok((Box::new(BooleanQuery::new(clauses)), user))
    }

    /// Runs a search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse> {
        if req.limit > MAX_LIMIT {
            return Err(IndexError::Request(format!("`limit` is {}, the most is {MAX_LIMIT}", req.limit)));
        }
        if req.offset > MAX_OFFSET {
            return Err(IndexError::Request(format!("`offset` is {}, the most is {MAX_OFFSET}", req.offset)));
        }
        metrics::SEARCHES.inc();
        let (query, user) = self.scoped_query(&req.workspace, &req.query, req.from, req.to)?;
        // Each shard answers its own first `offset + limit`; the page is cut from their merge.
        let wanted = req.offset + req.limit.max(1);
        let searchers = self.searchers();
        let mut total = 0;
        // (sort key, shard, address): larger keys come first.
        let mut candidates: Vec<(f64, usize, DocAddress)> = Vec::new();
        for (shard, searcher) in searchers.iter().enumerate() {
            let top = TopDocs::with_limit(wanted);
            match req.sort {
                Sort::Relevance => {
                    let (count, docs) = searcher.search(&query, &(Count, top.order_by_score()))?;
                    total += count;
                    candidates.extend(docs.into_iter().map(|(s, a)| (f64::from(s), shard, a)));
                }
                Sort::Time | Sort::TimeAsc => {
                    let order = if req.sort == Sort::Time { Order::Desc } else { Order::Asc };
                    let collector = top.order_by_fast_field::<tantivy::DateTime>("created_at", order);
                    let (count, docs) = searcher.search(&query, &(Count, collector))?;
                    total += count;
                    let sign = if req.sort == Sort::Time { 1.0 } else { -1.0 };
                    // Every mention has a creation time; a missing one sorts as the epoch.
                    let micros = |t: Option<tantivy::DateTime>| t.map_or(0, |t| t.into_timestamp_micros()) as f64;
                    candidates.extend(docs.into_iter().map(|(t, a)| (sign * micros(t), shard, a)));
                }
            }
        }
        // Ties keep shard order, then document order, as one index would.
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let page: Vec<_> = candidates.into_iter().skip(req.offset).take(req.limit).collect();
        let mut generators: Vec<Option<SnippetGenerator>> = (0..searchers.len()).map(|_| None).collect();
        let mut hits = Vec::with_capacity(page.len());
        for (key, shard, address) in page {
            let searcher = &searchers[shard];
            let mention = self.load(searcher, address)?;
            let snippet = if req.snippets {
                if generators[shard].is_none() {
                    let mut generator = SnippetGenerator::create(searcher, &*user, self.fields.text)?;
                    generator.set_max_num_chars(280);
                    generators[shard] = Some(generator);
                }
                generators[shard].as_ref().map(|g| {
                    let s = g.snippet(&mention.text);
                    if s.is_empty() {
                        html_escape(&mention.text)
                    } else {
                        s.to_html()
                    }
                })
            } else {
                None
            };
            let score = (req.sort == Sort::Relevance).then_some(key as f32);
            hits.push(Hit { key: mention.key().to_string(), score, snippet, mention });
        }
        Ok(SearchResponse { total, hits })
    }

    /// Number of mentions of `workspace` matching `query` in the time range.
    pub fn count(
        &self,
        workspace: &str,
        query: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<usize> {
        metrics::SEARCHES.inc();
        let (query, _) = self.scoped_query(workspace, query, from, to)?;
        let mut total = 0;
        for searcher in self.searchers() {
            total += searcher.search(&query, &Count)?;
        }
        Ok(total)
    }

    /// The mention stored under `key` in `workspace`, if any.
    pub fn get(&self, workspace: &str, key: &str) -> Result<Option<Mention>> {
        let query = BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_text(self.fields.key, key), IndexRecordOption::Basic)),
            ),
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.workspace, workspace),
                    IndexRecordOption::Basic,
                )),
            ),
        ]);
        for searcher in self.searchers() {
            let docs = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
            if let Some((_, address)) = docs.first() {
                return Ok(Some(self.load(&searcher, *address)?));
            }
        }
        Ok(None)
    }

    pub(crate) fn load(&self, searcher: &Searcher, address: DocAddress) -> Result<Mention> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let json = doc
            .get_first(self.fields.source)
            .and_then(|v| v.as_str())
            .ok_or_else(|| IndexError::Stored(format!("document {address:?} has no _source")))?;
        Mention::from_json(json).map_err(|e| IndexError::Stored(e.to_string()))
    }
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}
