//! Where mentions come from.
//!
//! Every connector implements [`Source`]: it reads its platform or file,
//! turns what it reads into [`Record`](veille_bus::Record)s — a mention, or a
//! dead letter saying why the input was refused — and sends them in
//! [`Batch`](veille_bus::Batch)es, each carrying the cursor to resume from
//! once the batch is durable. [`build`] makes a source from its configuration;
//! [`build_all`] makes every configured source and gives back the handles of
//! the push sources, for the HTTP ingest endpoint.
//!
//! | kind | reads | resumes from |
//! |---|---|---|
//! | `ndjson` | one mention JSON per line, file or stdin | byte offset and line (files) |
//! | `csv` | CSV export rows mapped to mention fields | byte offset, line and row (files) |
//! | `simulate` | a generated bilingual stream about named brands | mentions generated so far |
//! | `bluesky` | Jetstream WebSocket, `app.bsky.feed.post` commits | the last event's `time_us` |
//! | `mastodon` | streaming API (SSE) or REST timelines, public or per hashtag | the newest status id per timeline |
//! | `reddit` | `new`, `comments` and `search` listings, posts (t3) and comments (t1) | creation time and fullnames of the newest item per listing |
//! | `rss` | RSS and Atom feeds, conditional GETs on a per-feed interval | validators and seen entries per feed |
//! | `x` | the X API v2 filtered stream, rules kept in sync | the newest post id (with `backfill_minutes`) |
//! | `push` | bodies posted to `POST /api/v1/ingest` | nothing: clients retry, writes are upserts |
//!
//! The platforms' payloads are parsed and mapped by pure functions in
//! [`payload`], apart from the I/O, so they are tested and fuzzed on any bytes.
//!
//! Live connectors never stop on a platform error: they count it
//! (`veille_source_errors_total`), wait with jittered exponential backoff (or
//! what `Retry-After` asks for) and try again, until the pipeline is cancelled.
//! Their health is in the metrics and in [`health`]. Each supplies only a
//! connect step and a next-event step; one driver (`driver.rs`) owns the loop,
//! backoff, cancellation, batching and cursors, as `docs/connector.md` specifies.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use veille_sources::{build_all, PushFormat, Source, SourceContext};
//!
//! std::env::set_var("DOC_INGEST_TOKEN", "s3cret");
//! let config = veille_config::Config::from_toml_str(r#"
//! [[sources]]
//! kind = "push"
//! name = "crm"
//! token_env = "DOC_INGEST_TOKEN"
//! "#, "inline.toml").unwrap();
//! let mut built = build_all(&config.sources).unwrap();
//! let source = built.sources.pop().unwrap();
//!
//! let (out, mut bus) = veille_bus::embedded(4);
//! let cancel = tokio_util::sync::CancellationToken::new();
//! let ctx = SourceContext { resume: None, out, batch_size: 100, cancel: cancel.clone(), progress: Default::default() };
//! let running = tokio::spawn(source.run(ctx));
//!
//! let handle = built.push.authorize("s3cret").expect("the token of `crm`").clone();
//! let body = br#"{"platform":"web","native_id":"1","text":"Acme rocks","created_at":"2026-01-02T03:04:05Z","author":{"handle":"ann"}}
//! not json"#;
//! let pushing = tokio::spawn(async move { handle.push(body, PushFormat::Ndjson).await });
//! // The pipeline takes the batch and, once it is durable, says so; then the push is answered.
//! let batch = bus.recv().await.unwrap();
//! assert_eq!(batch.records.len(), 2, "the mention and its dead letter");
//! batch.on_durable.as_ref().unwrap().notify();
//! let receipt = pushing.await.unwrap().unwrap();
//! assert_eq!((receipt.accepted, receipt.refused[0].line), (1, 2));
//! cancel.cancel();
//! running.await.unwrap().unwrap();
//! # });
//! ```

mod batcher;
mod bluesky;
mod csv_source;
mod driver;
mod html;
mod http;
mod line_reader;
mod mastodon;
mod metrics;
mod ndjson;
pub mod payload;
mod push;
mod reddit;
mod rss;
mod simulate;
mod stream;
mod x;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use veille_bus::BatchSender;
use veille_config::SourceConfig;

pub use bluesky::BlueskySource;
pub use csv_source::CsvFileSource;
pub use mastodon::MastodonSource;
pub use metrics::{health, SourceHealth};
pub use ndjson::NdjsonSource;
pub use push::{
    PushError, PushFormat, PushHandle, PushHandles, PushReceipt, PushSource, RefusedLine, MAX_PUSH_BODY_BYTES,
};
pub use reddit::RedditSource;
pub use rss::RssSource;
pub use simulate::{Simulator, SimulatorSource};
pub use x::XSource;

/// Longest accepted input line, in bytes; a longer one is dead-lettered without being buffered whole.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Why a source could not run.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The configuration cannot work (a missing column, an unknown encoding, ...).
    #[error("source `{source_name}`: {message}")]
    Config {
        /// The source's name.
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// Reading failed.
    #[error("source `{source_name}`: cannot read {what}: {error}")]
    Io {
        /// The source's name.
        source_name: String,
        /// What was being read.
        what: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The stored cursor does not fit this source's input.
    #[error("source `{source_name}`: cannot resume from cursor `{cursor}`: {message}")]
    Cursor {
        /// The source's name.
        source_name: String,
        /// The cursor.
        cursor: String,
        /// Why it does not fit.
        message: String,
    },
}

/// What a running source is given.
#[derive(Debug, Clone)]
pub struct SourceContext {
    /// The cursor stored with the last durable batch, if any.
    pub resume: Option<String>,
    /// Where batches go.
    pub out: BatchSender,
    /// Records per batch.
    pub batch_size: usize,
    /// Cancelled when the pipeline shuts down.
    pub cancel: CancellationToken,
    /// Bytes of input read so far (for progress bars).
    pub progress: Arc<AtomicU64>,
}

/// How a source stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceEnd {
    /// A bounded input was read to its end.
    Exhausted,
    /// The pipeline asked it to stop.
    Cancelled,
}

/// A connector: reads one input and sends its records on the bus.
#[async_trait::async_trait]
pub trait Source: Send {
    /// The source's configured name (keys its cursor).
    fn name(&self) -> &str;

    /// Input size in bytes when known up front, for progress reporting.
    fn size_hint(&self) -> Option<u64> {
        None
    }

    /// Reads until the input ends or `ctx.cancel` fires.
    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError>;
}

/// Runs a source's blocking reader on the blocking thread pool.
pub(crate) async fn run_blocking(
    name: String,
    read: impl FnOnce() -> Result<SourceEnd, SourceError> + Send + 'static,
) -> Result<SourceEnd, SourceError> {
    tokio::task::spawn_blocking(read).await.map_err(|e| SourceError::Io {
        source_name: name,
        what: "input".into(),
        error: std::io::Error::other(e.to_string()),
    })?
}

/// Builds the source a configuration describes.
///
/// A push source built here has no handle anyone can push through: use
/// [`build_all`] to get them.
pub fn build(config: &SourceConfig) -> Result<Box<dyn Source>, SourceError> {
    Ok(match config {
        SourceConfig::Ndjson(c) => Box::new(NdjsonSource::new(c.clone())),
        SourceConfig::Csv(c) => Box::new(CsvFileSource::new(c.clone())?),
        SourceConfig::Simulate(c) => Box::new(SimulatorSource::new(c.clone())?),
        SourceConfig::Bluesky(c) => Box::new(BlueskySource::new(c.clone())),
        SourceConfig::Mastodon(c) => Box::new(MastodonSource::new(c.clone())?),
        SourceConfig::Reddit(c) => Box::new(RedditSource::new(c.clone())?),
        SourceConfig::Rss(c) => Box::new(RssSource::new(c.clone())?),
        SourceConfig::X(c) => Box::new(XSource::new(c.clone())?),
        SourceConfig::Push(c) => Box::new(PushSource::new(c)?),
    })
}

/// Every configured source, and the handles of the push sources among them.
#[derive(Default)]
pub struct Sources {
    /// The sources, in configuration order.
    pub sources: Vec<Box<dyn Source>>,
    /// The push sources' handles, for the ingest endpoint.
    pub push: PushHandles,
}

/// Builds every source of `configs`, keeping the push sources' handles.
pub fn build_all(configs: &[SourceConfig]) -> Result<Sources, SourceError> {
    let mut built = Sources::default();
    for config in configs {
        match config {
            SourceConfig::Push(c) => {
                let source = PushSource::new(c)?;
                built.push.add(source.handle());
                built.sources.push(Box::new(source));
            }
            other => built.sources.push(build(other)?),
        }
    }
    Ok(built)
}
