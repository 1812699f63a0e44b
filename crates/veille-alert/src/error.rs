//! Errors of the alert crate.

use std::path::PathBuf;

/// Why the dispatcher could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A receiver's outbox could not be opened.
    #[error("outbox of receiver `{receiver}`: {source}")]
    Outbox {
        /// The receiver.
        receiver: String,
        /// What went wrong.
        source: OutboxError,
    },
    /// A receiver's HTTP client could not be built.
    #[error("HTTP client of receiver `{receiver}`: {source}")]
    Client {
        /// The receiver.
        receiver: String,
        /// What went wrong.
        source: reqwest::Error,
    },
    /// Two receivers share a name (they would share an outbox).
    #[error("receiver name `{0}` is used twice")]
    DuplicateReceiver(String),
    /// The `[alerts]` configuration is invalid.
    #[error("`alerts.{key}`: {reason}")]
    Config {
        /// Dotted key under `alerts`.
        key: String,
        /// What is wrong.
        reason: String,
    },
}

/// Why an outbox operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file holds bytes that are not what the outbox wrote.
    #[error("{path} at byte {offset}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where the damage starts.
        offset: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// Undelivered notifications already fill the size bound.
    #[error(
        "outbox full: {undelivered} bytes undelivered, a {record}-byte record would pass the bound of {max_bytes}"
    )]
    Full {
        /// Bytes of undelivered records.
        undelivered: u64,
        /// Size of the refused record.
        record: u64,
        /// The configured bound (`alerts.outbox_max_bytes`).
        max_bytes: u64,
    },
}

/// Why a notice was not stored for every receiver.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    /// The notice could not be encoded.
    #[error("cannot encode the notice: {0}")]
    Encode(#[from] serde_json::Error),
    /// Some receivers refused it (the others stored it).
    #[error("notice {delivery} refused by {}", refused.iter().map(|(r, e)| format!("`{r}` ({e})")).collect::<Vec<_>>().join(", "))]
    Refused {
        /// The notice's delivery id.
        delivery: String,
        /// Each refusing receiver with its reason.
        refused: Vec<(String, OutboxError)>,
    },
}

/// Why an acknowledgement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// No alert has that id.
    #[error("no alert `{0}`")]
    Unknown(String),
    /// The alert already resolved.
    #[error("alert `{0}` is resolved")]
    Resolved(String),
    /// The acknowledger's name is empty.
    #[error("an acknowledgement must name who acknowledges")]
    Anonymous,
    /// The acknowledgement could not reach the alert's owner (a scaled-out deployment's
    /// signals owner): nothing was acknowledged.
    #[error("alert `{id}` could not be acknowledged: {reason}")]
    Unavailable {
        /// The alert.
        id: String,
        /// Why.
        reason: String,
    },
}

/// Why a receiver did not take a notification.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// No answer: connection refused or reset, timeout, DNS failure.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The receiver answered with a status worth retrying (408, 425, 429, 5xx).
    #[error("status {status}: {body}")]
    Unavailable {
        /// HTTP status.
        status: u16,
        /// Start of the response body.
        body: String,
        /// How long the receiver asked us to wait (`Retry-After`).
        retry_after: Option<std::time::Duration>,
    },
    /// The receiver refused the notification itself (other 4xx): retrying
    /// would fail the same way, so it is set aside.
    #[error("rejected with status {status}: {body}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// Start of the response body.
        body: String,
    },
}

impl DeliveryError {
    /// Whether retrying may succeed.
    pub fn is_transient(&self) -> bool {
        !matches!(self, DeliveryError::Rejected { .. })
    }
}
