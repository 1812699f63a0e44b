//! Exports of mentions as CSV or NDJSON, streamed: the response is written while the index is
//! read in time order, so its size does not bound the server's memory.

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::Response;
use serde::Deserialize;
use veille_index::Scope;
use veille_model::Mention;

use crate::analytics::blocking;
use crate::error::ApiError;
use crate::routes::query;
use crate::{params, AppState};

/// Bytes gathered before they are sent as one chunk.
const CHUNK: usize = 64 * 1024;
/// Chunks waiting to be sent; the index reader pauses when the client reads slower.
const CHUNKS_IN_FLIGHT: usize = 8;

/// Columns of the CSV export, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "key",
    "created_at",
    "platform",
    "author",
    "followers",
    "lang",
    "kind",
    "title",
    "text",
    "url",
    "likes",
    "reposts",
    "replies",
    "quotes",
    "engagement",
    "sentiment",
    "sentiment_score",
    "key_node",
    "watches",
];

/// How exported mentions are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One mention JSON per line, as stored.
    #[default]
    Ndjson,
    /// One row per mention under a header row (see [`CSV_COLUMNS`]).
    Csv,
}

impl ExportFormat {
    /// The HTTP content type of the format.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Ndjson => "application/x-ndjson",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Ndjson => "ndjson",
            ExportFormat::Csv => "csv",
        }
    }
}

/// Why a mention could not be encoded.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the export: {0}")]
pub struct ExportError(String);

/// Encodes mentions one at a time into a buffer that the caller drains.
pub struct MentionEncoder {
    format: ExportFormat,
    buffer: Vec<u8>,
}

fn kind(m: &Mention) -> &'static str {
    if m.repost_of.is_some() {
        "repost"
    } else if m.quote_of.is_some() {
        "quote"
    } else if m.reply_to.is_some() {
        "reply"
    } else {
        "post"
    }
}

/// A CSV cell that a spreadsheet will show as text, never run as a formula.
///
/// Spreadsheets evaluate a cell that starts with `=`, `+`, `-` or `@` (and some a tab or a
/// carriage return before one), so a post whose text is `=cmd|'/c calc'!A1` would run when an
/// analyst opens the export. Such a cell is written with a leading `'`, which spreadsheets hide
/// and read as "text follows" (OWASP's advice). Numbers (`-0.62`) are left as they are.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.trim().parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

impl MentionEncoder {
    /// An encoder; for CSV the header row is already in its buffer.
    pub fn new(format: ExportFormat) -> Result<Self, ExportError> {
        let mut encoder = MentionEncoder { format, buffer: Vec::new() };
        if format == ExportFormat::Csv {
            encoder.write_row(CSV_COLUMNS)?;
        }
        Ok(encoder)
    }

    /// Appends one CSV row, quoted as needed and with formula-like cells neutralised, to the buffer.
    fn write_row<I: AsRef<str>>(&mut self, row: impl IntoIterator<Item = I>) -> Result<(), ExportError> {
        let mut writer = csv::WriterBuilder::new().buffer_capacity(1024).from_writer(&mut self.buffer);
        let row = row.into_iter().map(|cell| spreadsheet_safe(cell.as_ref()).into_owned());
        writer.write_record(row).map_err(|e| ExportError(e.to_string()))?;
        writer.flush().map_err(|e| ExportError(e.to_string()))
    }

    /// Appends one mention.
    pub fn push(&mut self, m: &Mention) -> Result<(), ExportError> {
        match self.format {
            ExportFormat::Ndjson => {
                self.buffer.extend_from_slice(m.to_json().as_bytes());
                self.buffer.push(b'\n');
                Ok(())
            }
            ExportFormat::Csv => {
                let opt = |v: Option<String>| v.unwrap_or_default();
                let sentiment = m.scores.sentiment.as_ref();
                let watches: Vec<&str> = m.tags.iter().map(|t| t.watch.as_str()).collect();
                let row = [
                    m.key().to_string(),
                    m.created_at.to_rfc3339(),
                    m.platform().as_str().to_string(),
                    m.author.handle.clone(),
                    opt(m.author.followers.map(|f| f.to_string())),
                    opt(m.lang.as_deref().map(str::to_string)),
                    kind(m).to_string(),
                    opt(m.title.clone()),
                    m.text.clone(),
                    opt(m.url.clone()),
                    m.engagement.likes.to_string(),
                    m.engagement.reposts.to_string(),
                    m.engagement.replies.to_string(),
                    m.engagement.quotes.to_string(),
                    m.engagement.total().to_string(),
                    opt(sentiment.map(|s| s.label.as_str().to_string())),
                    opt(sentiment.map(|s| s.compound.to_string())),
                    opt(m.scores.key_node.map(|k| k.to_string())),
                    watches.join("|"),
                ];
                self.write_row(&row)
            }
        }
    }

    /// Bytes encoded and not yet taken.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Takes the bytes encoded so far.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buffer)
    }
}

/// `GET /api/v1/export` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportParams {
    q: Option<String>,
    workspace: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<ExportFormat>,
    limit: Option<u64>,
}

pub(crate) async fn export(
    State(state): State<AppState>,
    q: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = query(q)?;
    let scope = Scope::new(params::workspace(p.workspace)?, p.q.unwrap_or_default())
        .between(params::time("from", p.from.as_deref())?, params::time("to", p.to.as_deref())?);
    let format = p.format.unwrap_or_default();
    let limit = p.limit.unwrap_or(u64::MAX);
    // Counting first turns a bad query into a 400 before the first byte of the body.
    let index = state.index.clone();
    let counted = scope.clone();
    let total = blocking(move || {
        index.count(&counted.workspace, &counted.query, counted.from, counted.to).map_err(ApiError::from)
    })
    .await?;
    let mut encoder = MentionEncoder::new(format).map_err(|e| ApiError::Internal(e.to_string()))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(CHUNKS_IN_FLIGHT);
    let index = state.index.clone();
    tokio::task::spawn_blocking(move || {
        let mut written = 0u64;
        let mut failure = None;
        let read = index.for_each_in_time_order(&scope, |m| {
            if written >= limit {
                return false;
            }
            written += 1;
            if let Err(e) = encoder.push(&m) {
                failure = Some(e.to_string());
                return false;
            }
            // A closed channel means the client went away: stop reading.
            encoder.buffered() < CHUNK || tx.blocking_send(Ok(Bytes::from(encoder.take()))).is_ok()
        });
        if let Err(e) = read {
            failure = Some(e.to_string());
        }
        match failure {
            Some(message) => {
                tracing::error!(error = %message, "export failed");
                let _ = tx.blocking_send(Err(std::io::Error::other(message)));
            }
            None => {
                let rest = encoder.take();
                if !rest.is_empty() {
                    let _ = tx.blocking_send(Ok(Bytes::from(rest)));
                }
            }
        }
    });
    let body = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) });
    let disposition = format!("attachment; filename=\"mentions.{}\"", format.extension());
    Response::builder()
        .header(header::CONTENT_TYPE, format.content_type())
        .header(header::CONTENT_DISPOSITION, disposition)
        .header("x-total-count", total.min(usize::try_from(limit).unwrap_or(usize::MAX)).to_string())
        .body(Body::from_stream(body))
        .map_err(|e| ApiError::Internal(e.to_string()))
}
