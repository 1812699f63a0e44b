//! Analytics handlers: volume, sentiment, share of voice, significant terms, top authors,
//! breakdowns and the audit of a brand, as JSON or CSV (`format=csv`).

use std::collections::BTreeSet;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use veille_index::{
    AuditRequest, AuthorOrder, BreakdownField, Scope, ShareOfVoiceRequest, SignificantTermsRequest, TermField,
    VolumeRequest, VolumeSplit,
};

use crate::error::ApiError;
use crate::routes::query;
use crate::{params, AppState};

/// How an answer is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Format {
    /// A JSON document.
    #[default]
    Json,
    /// CSV with a header row.
    Csv,
}

/// Runs blocking index work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::Internal(e.to_string()))?
}

/// A CSV table: a header row and rows of the same width.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Self {
        Table { header: header.iter().map(|h| h.to_string()).collect(), rows: Vec::new() }
    }

    fn into_response(self) -> Result<Response, ApiError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let internal = |e: csv::Error| ApiError::Internal(format!("csv: {e}"));
        writer.write_record(&self.header).map_err(internal)?;
        for row in &self.rows {
            writer
                .write_record(row.iter().map(|cell| crate::export::spreadsheet_safe(cell).into_owned()))
                .map_err(internal)?;
        }
        let body = writer.into_inner().map_err(|e| ApiError::Internal(format!("csv: {e}")))?;
        Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response())
    }
}

fn number(v: f64) -> String {
    format!("{:.4}", v).trim_end_matches('0').trim_end_matches('.').to_string()
}

fn optional(v: Option<f64>) -> String {
    v.map(number).unwrap_or_default()
}

fn answer<T: Serialize>(
    format: Option<Format>,
    value: T,
    table: impl FnOnce(&T) -> Table,
) -> Result<Response, ApiError> {
    match format.unwrap_or_default() {
        Format::Json => Ok(Json(value).into_response()),
        Format::Csv => table(&value).into_response(),
    }
}

fn scope(
    workspace: Option<String>,
    q: Option<String>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Scope, ApiError> {
    Ok(Scope::new(params::workspace(workspace)?, q.unwrap_or_default())
        .between(params::time("from", from)?, params::time("to", to)?))
}

/// `[from, to)` with defaults: `to` now, `from` seven days before `to`.
fn period(from: Option<&str>, to: Option<&str>) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let to = params::time("to", to)?.unwrap_or_else(Utc::now);
    let from = params::time("from", from)?.unwrap_or(to - TimeDelta::days(7));
    if from >= to {
        return Err(ApiError::BadRequest(format!("`from` ({from}) must be before `to` ({to})")));
    }
    Ok((from, to))
}

/// `GET /api/v1/analytics/volume` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VolumeParams {
    q: Option<String>,
    workspace: Option<String>,
    from: Option<String>,
    to: Option<String>,
    interval: Option<String>,
    split: Option<VolumeSplit>,
    format: Option<Format>,
}

pub(crate) async fn volume(
    State(state): State<AppState>,
    q: Result<Query<VolumeParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = query(q)?;
    let req = VolumeRequest {
        workspace: params::workspace(p.workspace)?,
        query: p.q.unwrap_or_default(),
        from: params::time("from", p.from.as_deref())?,
        to: params::time("to", p.to.as_deref())?,
        interval: p.interval.unwrap_or_else(|| "1h".into()),
        split: p.split,
    };
    let index = state.index.clone();
    let res = blocking(move || index.volume(&req).map_err(ApiError::from)).await?;
    answer(p.format, res, |v| {
        let keys: BTreeSet<&String> = v.buckets.iter().flat_map(|b| b.split.keys()).collect();
        let mut header = vec!["start", "count"];
        header.extend(keys.iter().map(|k| k.as_str()));
        let mut table = Table::new(&header);
        for b in &v.buckets {
            let mut row = vec![b.start.to_rfc3339(), b.count.to_string()];
            row.extend(keys.iter().map(|k| b.split.get(*k).copied().unwrap_or(0).to_string()));
            table.rows.push(row);
        }
        table
    })
}

/// `GET /api/v1/analytics/sentiment` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SentimentParams {
    q: Option<String>,
    workspace: Option<String>,
    from: Option<String>,
    to: Option<String>,
    interval: Option<String>,
    format: Option<Format>,
}

pub(crate) async fn sentiment(
    State(state): State<AppState>,
    q: Result<Query<SentimentParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = query(q)?;
    let scope = scope(p.workspace, p.q, p.from.as_deref(), p.to.as_deref())?;
    let interval = p.interval.unwrap_or_else(|| "1d".into());
    let index = state.index.clone();
    let res = blocking(move || index.sentiment(&scope, Some(&interval)).map_err(ApiError::from)).await?;
    answer(p.format, res, |s| {
        let mut table =
            Table::new(&["start", "total", "positive", "neutral", "negative", "net_sentiment", "mean_compound"]);
        for b in &s.trend {
            table.rows.push(vec![
                b.start.to_rfc3339(),
                b.total.to_string(),
                b.positive.to_string(),
                b.neutral.to_string(),
                b.negative.to_string(),
                number(b.net_sentiment),
                optional(b.mean_compound),
            ]);
        }
        table
    })
}

/// `GET /api/v1/analytics/share-of-voice` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShareParams {
    q: Option<String>,
    workspace: Option<String>,
    from: Option<String>,
    to: Option<String>,
    watches: Option<String>,
    interval: Option<String>,
    format: Option<Format>,
}

pub(crate) async fn share_of_voice(
    State(state): State<AppState>,
    q: Result<Query<ShareParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = query(q)?;
    let watches =
        p.watches.map(|w| w.split(',').map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()).collect::<Vec<_>>());
    let req = ShareOfVoiceRequest {
        scope: scope(p.workspace, p.q, p.from.as_deref(), p.to.as_deref())?,
        watches,
        interval: p.interval,
    };
    let index = state.index.clone();
    let res = blocking(move || index.share_of_voice(&req).map_err(ApiError::from)).await?;
    answer(p.format, res, |s| {
        let mut table =
            Table::new(&["watch", "kind", "count", "share", "positive", "neutral", "negative", "net_sentiment"]);
        for w in &s.watches {
            table.rows.push(vec![
                w.watch.clone(),
                w.kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
                w.count.to_string(),
                number(w.share),
                w.sentiment.positive.to_string(),
                w.sentiment.neutral.to_string(),
                w.sentiment.negative.to_string(),
                number(w.sentiment.net_sentiment),
            ]);
        }
        table
    })
}

/// `GET /api/v1/analytics/terms` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TermsParams {
    q: Option<String>,
    workspace: Option<String>,
    from: Option<String>,
    to: Option<String>,
    baseline_from: Option<String>,
    baseline_to: Option<String>,
    field: Option<TermField>,
    limit: Option<usize>,
    min_count: Option<u64>,
    format: Option<Format>,
}

pub(crate) async fn terms(
    State(state): State<AppState>,
    q: Result<Query<TermsParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = query(q)?;
    let (from, to) = period(p.from.as_deref(), p.to.as_deref())?;
    let mut req = SignificantTermsRequest::new(
        params::workspace(p.workspace)?,
        p.q.unwrap_or_default(),
        from,
        to,
        p.field.unwrap_or_default(),
    );
    match (
        params::time("baseline_from", p.baseline_from.as_deref())?,
        params::time("baseline_to", p.baseline_to.as_deref())?,
    ) {
        (Some(f), Some(t)) => (req.baseline_from, req.baseline_to) = (f, t),
        (None, None) => {}
        _ => return Err(ApiError::BadRequest("give both `baseline_from` and `baseline_to`, or neither".into())),
    }
    req.limit = p.limit.unwrap_or(20);
    req.min_count = p.min_count.unwrap_or(3);
    let index = state.index.clone();
    let res = blocking(move || index.significant_terms(&req).map_err(ApiError::from)).await?;
    answer(p.format, res, |t| {
        let mut table = Table::new(&["term", "count", "baseline_count", "share", "baseline_share", "score"]);
        for term in &t.terms {
            table.rows.push(vec![
                term.term.clone(),
                term.count.to_string(),
                term.baseline_count.to_string(),
                number(term.share),
                number(term.baseline_share),
                number(term.score),
            ]);
        }
        table
    })
}

/// `GET /api/v1/analytics/authors` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuthorParams {
    q: Option<String>,
    workspace: Option<String>,
    from: Option<String>,
    to: Option<String>,
    by: Option<AuthorOrder>,
    limit: Option<usize>,
    format: Option<Format>,
}

pub(crate) async fn authors(
    State(state): State<AppState>,
    q: Result<Query<AuthorParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = query(q)?;
    let scope = scope(p.workspace, p.q, p.from.as_deref(), p.to.as_deref())?;
    let by = p.by.unwrap_or_default();
    let limit = p.limit.unwrap_or(20);
    let index = state.index.clone();
    let authors = blocking(move || index.top_authors(&scope, by, limit).map_err(ApiError::from)).await?;
    answer(p.format, serde_json::json!({ "by": by, "authors": authors }), |_| {
        let mut table = Table::new(&["author", "mentions", "engagement", "max_key_node", "followers"]);
        for a in &authors {
            table.rows.push(vec![
                a.author.clone(),
                a.mentions.to_string(),
                a.engagement.to_string(),
                optional(a.max_key_node),
                a.followers.to_string(),
            ]);
        }
        table
    })
}

/// `GET /api/v1/analytics/breakdown` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BreakdownParams {
    q: Option<String>,
    workspace: Option<String>,
    from: Option<String>,
    to: Option<String>,
    field: Option<BreakdownField>,
    limit: Option<usize>,
    format: Option<Format>,
}

pub(crate) async fn breakdown(
    State(state): State<AppState>,
    q: Result<Query<BreakdownParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = query(q)?;
    let scope = scope(p.workspace, p.q, p.from.as_deref(), p.to.as_deref())?;
    let field = p.field.unwrap_or_default();
    let limit = p.limit.unwrap_or(20);
    let index = state.index.clone();
    let res = blocking(move || index.breakdown(&scope, field, limit).map_err(ApiError::from)).await?;
    answer(p.format, res, |b| {
        let mut table = Table::new(&["value", "count", "share"]);
        for v in &b.values {
            table.rows.push(vec![v.value.clone(), v.count.to_string(), number(v.share)]);
        }
        table
    })
}

/// `GET /api/v1/analytics/audit` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    q: Option<String>,
    workspace: Option<String>,
    from: Option<String>,
    to: Option<String>,
    watch: Option<String>,
    limit: Option<usize>,
    format: Option<Format>,
}

/// Longest list an audit may ask for.
const MAX_AUDIT_LIST: usize = 100;

pub(crate) async fn audit(
    State(state): State<AppState>,
    q: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = query(q)?;
    if p.format == Some(Format::Csv) {
        return Err(ApiError::BadRequest(
            "the audit has no CSV form: ask the sentiment, share-of-voice, terms or authors endpoint with format=csv"
                .into(),
        ));
    }
    let watch =
        p.watch.filter(|w| !w.trim().is_empty()).ok_or_else(|| ApiError::BadRequest("`watch` is required".into()))?;
    let (from, to) = period(p.from.as_deref(), p.to.as_deref())?;
    let mut req = AuditRequest::new(params::workspace(p.workspace)?, watch, from, to);
    req.query = p.q.unwrap_or_default();
    req.limit = match p.limit.unwrap_or(10) {
        n @ 1..=MAX_AUDIT_LIST => n,
        n => return Err(ApiError::BadRequest(format!("`limit` is {n}: expected 1 to {MAX_AUDIT_LIST}"))),
    };
    let index = state.index.clone();
    let res = blocking(move || index.audit(&req).map_err(ApiError::from)).await?;
    Ok(Json(res).into_response())
}
