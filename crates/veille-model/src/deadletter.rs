use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a refused record came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The source's configured name.
    pub source: String,
    /// Human-readable position: `file.ndjson line 12`, `Tweets.csv row 14 (line 15)`, `event 8812`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub location: String,
}

/// A record that could not become a mention: kept with its reason, never dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Where it came from.
    pub origin: Origin,
    /// Why it was refused, naming the field or column at fault.
    pub reason: String,
    /// The original input, as received (lossily decoded if it was not UTF-8).
    pub original: String,
    /// When veille refused it.
    pub at: DateTime<Utc>,
}

impl DeadLetter {
    /// A dead letter refused now.
    pub fn new(origin: Origin, reason: impl Into<String>, original: impl Into<String>) -> Self {
        DeadLetter { origin, reason: reason.into(), original: original.into(), at: Utc::now() }
    }
}
