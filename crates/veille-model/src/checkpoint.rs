use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How far durable data goes, stored in the index commit that makes it durable.
///
/// On restart every source resumes from its cursor here, and every Kafka
/// partition from its offset, so nothing acknowledged is reprocessed twice and
/// nothing unacknowledged is skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Source name → opaque cursor the source knows how to resume from.
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
    /// `topic/partition` → next offset to consume (Kafka mode).
    #[serde(default)]
    pub partitions: BTreeMap<String, i64>,
    /// Length in bytes of the dead-letter file that goes with this commit.
    #[serde(default)]
    pub deadletter_bytes: u64,
}

impl Checkpoint {
    /// Serialises the checkpoint for a commit payload.
    pub fn to_payload(&self) -> String {
        // A map of strings and integers always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a checkpoint from a commit payload.
    pub fn from_payload(payload: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(payload)
    }
}
