//! Where mentions come from.
//!
//! Every connector implements [`Source`]: it reads its platform or file,
//! turns what it reads into [`Record`](veille_bus::Record)s — a mention, or a
//! dead letter saying why the input was refused — and sends them in
//! [`Batch`](veille_bus::Batch)es, each carrying the cursor to resume from
//! once the batch is durable. [`build`] makes a source from its configuration.
//!
//! | kind | reads | resumes from |
//! |---|---|---|
//! | `ndjson` | one mention JSON per line, file or stdin | byte offset and line (files) |
//! | `csv` | CSV export rows mapped to mention fields | byte offset, line and row (files) |
//! | `simulate` | a generated bilingual stream about named brands | mentions generated so far |

mod csv_source;
mod line_reader;
mod metrics;
mod ndjson;
mod simulate;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use veille_bus::BatchSender;
use veille_config::SourceConfig;

pub use csv_source::CsvFileSource;
pub use ndjson::NdjsonSource;
pub use simulate::{Simulator, SimulatorSource};

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
pub fn build(config: &SourceConfig) -> Result<Box<dyn Source>, SourceError> {
    Ok(match config {
        SourceConfig::Ndjson(c) => Box::new(NdjsonSource::new(c.clone())),
        SourceConfig::Csv(c) => Box::new(CsvFileSource::new(c.clone())?),
        SourceConfig::Simulate(c) => Box::new(SimulatorSource::new(c.clone())?),
    })
}
