//! The vocabulary of veille.
//!
//! Every other crate speaks in these types: a [`Mention`] is one post, comment
//! or article that a source heard, with its [`Author`], references to other
//! posts (for the interaction graph), [`Engagement`] counts, the tags ([`WatchMatch`]) the
//! matcher put on it and the [`Scores`] enrichment computed. A mention is
//! identified everywhere by its [`MentionKey`], `platform:native_id`: every
//! write is an upsert on that key, so replays never duplicate.
//!
//! Records that cannot become mentions are [`DeadLetter`]s: they keep the
//! original input, where it came from and why it was refused.
//!
//! This crate does no I/O. Parsing from JSON goes through
//! [`Mention::from_json`] / [`Mention::from_ndjson_line`], which report the
//! precise field and reason of a failure.
//!
//! ```
//! use veille_model::Mention;
//! let line = r#"{"platform":"x","native_id":"42","text":"I love @acme",
//!   "created_at":"2026-01-02T03:04:05Z","author":{"handle":"ann"}}"#;
//! let m = Mention::from_ndjson_line(line, 1).unwrap();
//! assert_eq!(m.key().as_str(), "x:42");
//! assert_eq!(m.workspace, "default");
//! ```

mod checkpoint;
mod deadletter;
mod error;
mod mention;
mod platform;
mod scores;
mod span;
mod tags;
mod time;
mod workspace;

pub use checkpoint::Checkpoint;
pub use deadletter::{DeadLetter, Origin};
pub use error::{MentionError, ValidationError};
pub use mention::{Author, Engagement, Mention, MentionKey, Reference, DEFAULT_WORKSPACE};
pub use platform::{Platform, UnknownPlatform};
pub use scores::{BrandSentiment, Scores, Sentiment, SentimentLabel};
pub use span::{Span, SpanError};
pub use tags::{TermHit, WatchKind, WatchMatch};
pub use time::{is_storable, parse_time_param, parse_timestamp, TimeParamError, TimestampError, LATEST_SECOND};
pub use workspace::{WorkspaceName, WorkspaceNameError};

/// Limits that every mention must respect, whatever its source.
pub mod limits {
    /// Longest accepted mention text, in bytes (a long blog post fits; a dump does not).
    pub const MAX_TEXT_BYTES: usize = 256 * 1024;
    /// Longest accepted native id, in bytes.
    pub const MAX_ID_BYTES: usize = 256;
    /// Longest accepted workspace name, in bytes.
    pub const MAX_WORKSPACE_BYTES: usize = 64;
}
