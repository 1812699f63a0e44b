//! `kind = "push"`: mentions a customer's own collectors post to veille.
//!
//! A [`PushSource`] has no platform to read: the HTTP ingest endpoint hands it
//! request bodies through its [`PushHandle`]. A body is one mention JSON or
//! NDJSON (one mention per line); each malformed line becomes a dead letter
//! naming its line, the rest go on the bus. A request is answered once its
//! records are durable (committed to the index, or acknowledged by the Kafka
//! broker), so an accepted mention survives a crash, and a slow index slows
//! the clients down instead of buffering without bound. Push has no cursor: a
//! client retries a request it got no answer for, and since writes are upserts
//! on the mention key, a retried mention replaces its first copy.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use veille_bus::{Batch, DurableWait, OnDurable, Record};
use veille_config::PushSource as PushConfig;
use veille_model::Origin;

use crate::ndjson::parse_line;
use crate::{metrics, Source, SourceContext, SourceEnd, SourceError, MAX_LINE_BYTES};

/// Largest accepted request body, in bytes.
pub const MAX_PUSH_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Why a pushed body was refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The body is larger than [`MAX_PUSH_BODY_BYTES`].
    #[error("the body is larger than the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// One line is longer than [`MAX_LINE_BYTES`]; nothing of the body was taken.
    #[error("line {line} is longer than the limit of {limit} bytes")]
    LineTooLong {
        /// The 1-based line number.
        line: u64,
        /// The limit, in bytes.
        limit: usize,
    },
    /// A mention belongs to a workspace the caller may not write to; nothing of the body was taken.
    #[error("line {line}: workspace `{workspace}` is outside the caller's scope (a mention names its workspace in its `workspace` field, or the request with `?workspace=`)")]
    OutsideScope {
        /// The 1-based line number.
        line: u64,
        /// The mention's workspace.
        workspace: String,
    },
    /// The source is not running (the pipeline stopped or has not started).
    #[error("push source `{0}` is not running")]
    Stopped(String),
}

/// A refused line of a pushed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedLine {
    /// The 1-based line number.
    pub line: u64,
    /// Why it was refused.
    pub reason: String,
}

/// What became of a pushed body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReceipt {
    /// Mentions handed to the pipeline.
    pub accepted: u64,
    /// Lines dead-lettered, with their reasons.
    pub refused: Vec<RefusedLine>,
}

/// How a pushed body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushFormat {
    /// One mention JSON object (it may span lines).
    Json,
    /// One mention JSON object per line.
    Ndjson,
}

struct Submission {
    records: Vec<Record>,
    done: oneshot::Sender<()>,
}

/// Hands pushed bodies to a running [`PushSource`]; cheap to clone.
#[derive(Clone)]
pub struct PushHandle {
    name: Arc<str>,
    token: Arc<[u8]>,
    workspace: Option<String>,
    tx: mpsc::Sender<Submission>,
    requests: Arc<AtomicU64>,
}

impl std::fmt::Debug for PushHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushHandle").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Compares two secrets in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    std::hint::black_box(diff) == 0
}

impl PushHandle {
    /// The push source's configured name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether `token` is this source's bearer token (compared in constant time).
    pub fn accepts(&self, token: &str) -> bool {
        constant_time_eq(token.as_bytes(), &self.token)
    }

    /// The workspace this source puts every mention in, when its configuration names one.
    pub fn workspace(&self) -> Option<&str> {
        self.workspace.as_deref()
    }

    /// Parses `body`, dead-letters its malformed lines and hands the rest to the pipeline;
    /// returns once every record is durable.
    pub async fn push(&self, body: &[u8], format: PushFormat) -> Result<PushReceipt, PushError> {
        self.push_within(body, format, None, |_| true).await
    }

    /// As [`PushHandle::push`], putting every mention in `workspace` when given (the source's
    /// own configured workspace wins), for a caller allowed to write only to the workspaces
    /// `allowed` accepts: a mention of another workspace refuses the whole body.
    pub async fn push_within(
        &self,
        body: &[u8],
        format: PushFormat,
        workspace: Option<&str>,
        allowed: impl Fn(&str) -> bool,
    ) -> Result<PushReceipt, PushError> {
        let forced = self.workspace.as_deref().or(workspace);
        if body.len() > MAX_PUSH_BODY_BYTES {
            return Err(PushError::BodyTooLarge { limit: MAX_PUSH_BODY_BYTES });
        }
        let request = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let lines: Vec<&[u8]> = match format {
            PushFormat::Json => vec![body],
            PushFormat::Ndjson => body.split(|&b| b == b'\n').collect(),
        };
        for (i, line) in lines.iter().enumerate() {
            if line.len() > MAX_LINE_BYTES {
                return Err(PushError::LineTooLong { line: i as u64 + 1, limit: MAX_LINE_BYTES });
            }
        }
        let mut receipt = PushReceipt::default();
        let mut records = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            let line_no = i as u64 + 1;
            let origin =
                || Origin { source: self.name.to_string(), location: format!("request {request} line {line_no}") };
            match parse_line(line, line_no, false, origin, forced) {
                Some(Record::Dead(d)) => {
                    receipt.refused.push(RefusedLine { line: line_no, reason: d.reason.clone() });
                    records.push(Record::Dead(d));
                }
                Some(Record::Mention(m)) => {
                    if !allowed(&m.workspace) {
                        return Err(PushError::OutsideScope { line: line_no, workspace: m.workspace });
                    }
                    receipt.accepted += 1;
                    records.push(Record::Mention(m));
                }
                None => {}
            }
        }
        if records.is_empty() {
            return Ok(receipt);
        }
        let (done, acked) = oneshot::channel();
        let stopped = || PushError::Stopped(self.name.to_string());
        self.tx.send(Submission { records, done }).await.map_err(|_| stopped())?;
        acked.await.map_err(|_| stopped())?;
        Ok(receipt)
    }
}

/// The push sources of a configuration, found by their bearer token.
#[derive(Debug, Clone, Default)]
pub struct PushHandles(Vec<PushHandle>);

impl PushHandles {
    /// The push source whose token is `token`; every handle is compared, in constant time.
    pub fn authorize(&self, token: &str) -> Option<&PushHandle> {
        self.0.iter().fold(None, |found, h| if h.accepts(token) { Some(h) } else { found })
    }

    /// The push source named `name`.
    pub fn get(&self, name: &str) -> Option<&PushHandle> {
        self.0.iter().find(|h| &*h.name == name)
    }

    /// The names of the push sources.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|h| h.name())
    }

    /// No push source is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn add(&mut self, handle: PushHandle) {
        self.0.push(handle);
    }
}

/// Receives pushed mentions and sends them on the bus.
pub struct PushSource {
    name: String,
    rx: mpsc::Receiver<Submission>,
    handle: PushHandle,
}

impl std::fmt::Debug for PushSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushSource").field("name", &self.name).finish_non_exhaustive()
    }
}

impl PushSource {
    /// A source for `config`; fails when the token's environment variable is missing or empty.
    pub fn new(config: &PushConfig) -> Result<Self, SourceError> {
        let token = crate::http::secret(&config.name, "token_env", &config.token_env)?;
        let (tx, rx) = mpsc::channel(8);
        let handle = PushHandle {
            name: config.name.as_str().into(),
            token: token.into_bytes().into(),
            workspace: config.workspace.clone(),
            tx,
            requests: Arc::new(AtomicU64::new(0)),
        };
        Ok(PushSource { name: config.name.clone(), rx, handle })
    }

    /// The handle the ingest endpoint pushes through.
    pub fn handle(&self) -> PushHandle {
        self.handle.clone()
    }
}

#[async_trait::async_trait]
impl Source for PushSource {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let PushSource { name, mut rx, handle } = *self;
        // Only handles given out keep the channel open; this one must not.
        drop(handle);
        loop {
            let submission = tokio::select! {
                s = rx.recv() => s,
                _ = ctx.cancel.cancelled() => return Ok(SourceEnd::Cancelled),
            };
            let Some(Submission { records, done }) = submission else {
                // Nobody can push any more: wait for the pipeline to stop.
                ctx.cancel.cancelled().await;
                return Ok(SourceEnd::Cancelled);
            };
            metrics::event(&name);
            let mut waits: Vec<DurableWait> = Vec::new();
            for chunk in records.chunks(ctx.batch_size.max(1)) {
                metrics::observe(&name, chunk);
                let (notice, wait) = OnDurable::new();
                waits.push(wait);
                let batch = Batch::new(name.as_str(), chunk.to_vec(), None).with_on_durable(notice);
                if ctx.out.send(batch).await.is_err() {
                    return Ok(SourceEnd::Cancelled);
                }
            }
            // The client is answered once the whole body is durable; meanwhile this source takes
            // the next request, so concurrent requests share a commit.
            tokio::spawn(async move {
                for wait in waits {
                    if wait.wait().await.is_err() {
                        // Dropping `done` answers the client that the pipeline stopped first.
                        return;
                    }
                }
                let _ = done.send(());
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3cres"));
        assert!(!constant_time_eq(b"s3cret", b"s3cret!"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
