//! The audit of a brand over a period: what is said about it, how much, how, by whom, and how
//! that changed since the period before.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{
    AuthorOrder, AuthorStats, NotableMention, Scope, SentimentSummary, ShareOfVoice, ShareOfVoiceRequest,
    SignificantTerm, SignificantTermsRequest, TermField,
};
use crate::{IndexError, MentionIndex, Result};

/// What to audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRequest {
    /// The workspace.
    pub workspace: String,
    /// The watch audited (its name as configured; matched case-insensitively).
    pub watch: String,
    /// Only mentions matching this query (tantivy syntax; empty for all).
    pub query: String,
    /// Start of the period (inclusive).
    pub from: DateTime<Utc>,
    /// End of the period (exclusive).
    pub to: DateTime<Utc>,
    /// Length of each list (terms, authors, notable mentions).
    pub limit: usize,
}

impl AuditRequest {
    /// The audit of `watch` over `[from, to)`, with lists of 10.
    pub fn new(workspace: impl Into<String>, watch: impl Into<String>, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        AuditRequest { workspace: workspace.into(), watch: watch.into(), query: String::new(), from, to, limit: 10 }
    }
}

/// A time range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
}

/// Volume of the period against the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VolumeChange {
    /// Mentions in the period.
    pub count: u64,
    /// Mentions in the previous period of the same length.
    pub previous: u64,
    /// Change in percent; `None` when the previous period had no mention.
    pub change_pct: Option<f64>,
}

/// The day with the most mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PeakDay {
    /// Start of the day (UTC).
    pub day: DateTime<Utc>,
    /// Mentions that day.
    pub count: u64,
}

/// What is said about a brand over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Audit {
    /// The watch audited, as indexed.
    pub watch: String,
    /// The period.
    pub period: Period,
    /// The previous period of the same length.
    pub previous: Period,
    /// Volume and its change.
    pub volume: VolumeChange,
    /// Sentiment of the brand's mentions, with its daily trend.
    pub sentiment: SentimentSummary,
    /// Share of voice among all brand and competitor watches over the period.
    pub share_of_voice: ShareOfVoice,
    /// Words significant in the period against the previous one.
    pub terms: Vec<SignificantTerm>,
    /// Hashtags significant in the period against the previous one.
    pub hashtags: Vec<SignificantTerm>,
    /// Authors with the most mentions of the brand.
    pub authors: Vec<AuthorStats>,
    /// Most engaging positive mentions.
    pub top_positive: Vec<NotableMention>,
    /// Most engaging negative mentions.
    pub top_negative: Vec<NotableMention>,
    /// The day with the most mentions, if any.
    pub peak_day: Option<PeakDay>,
}

/// A query clause matching the mentions tagged by `watch`.
pub(crate) fn watch_clause(watch: &str) -> String {
    let name: String = watch.chars().filter(|c| *c != '"' && *c != '\\').collect();
    format!("watch:\"{}\"", name.to_lowercase())
}

impl MentionIndex {
    /// The audit of one watch over a period.
    pub fn audit(&self, req: &AuditRequest) -> Result<Audit> {
        if req.from >= req.to {
            return Err(IndexError::Request(format!("`from` ({}) must be before `to` ({})", req.from, req.to)));
        }
        if req.watch.trim().is_empty() {
            return Err(IndexError::Request("`watch` is required".into()));
        }
        let previous = Period { from: req.from - (req.to - req.from), to: req.from };
        let all = Scope::new(req.workspace.clone(), req.query.clone()).between(Some(req.from), Some(req.to));
        let brand = all.and(&watch_clause(&req.watch));
        let previous_count = self.scope_count(&brand.clone().between(Some(previous.from), Some(previous.to)))?;
        let sentiment = self.sentiment(&brand, Some("1d"))?;
        let count = sentiment.total;
        let change_pct =
            (previous_count > 0).then(|| 100.0 * (count as f64 - previous_count as f64) / previous_count as f64);
        let peak_day = sentiment
            .trend
            .iter()
            .filter(|b| b.total > 0)
            .max_by(|a, b| a.total.cmp(&b.total).then_with(|| b.start.cmp(&a.start)))
            .map(|b| PeakDay { day: b.start, count: b.total });
        let share_of_voice = self.share_of_voice(&ShareOfVoiceRequest { scope: all, watches: None, interval: None })?;
        let mut terms = SignificantTermsRequest::new(&req.workspace, &brand.query, req.from, req.to, TermField::Text);
        terms.limit = req.limit;
        let words = self.significant_terms(&terms)?.terms;
        terms.field = TermField::Hashtags;
        let hashtags = self.significant_terms(&terms)?.terms;
        Ok(Audit {
            watch: req.watch.to_lowercase(),
            period: Period { from: req.from, to: req.to },
            previous,
            volume: VolumeChange { count, previous: previous_count, change_pct },
            share_of_voice,
            terms: words,
            hashtags,
            authors: self.top_authors(&brand, AuthorOrder::Mentions, req.limit.max(1))?,
            top_positive: self.most_engaging(&brand.and("sentiment:positive"), req.limit.max(1))?,
            top_negative: self.most_engaging(&brand.and("sentiment:negative"), req.limit.max(1))?,
            peak_day,
            sentiment,
        })
    }
}
