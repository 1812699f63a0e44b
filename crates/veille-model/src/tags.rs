use serde::{Deserialize, Serialize};

/// What a watch listens for. Analysts filter by kind (share of voice compares
/// `brand` with `competitor`; alerts look at `crisis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WatchKind {
    /// The client's own brand or product.
    Brand,
    /// A competitor tracked for share of voice.
    Competitor,
    /// A marketing campaign (hashtags, time range).
    Campaign,
    /// Crisis vocabulary (boycott, recall, scandal, ...).
    Crisis,
    /// Moderation vocabulary (insults, hate, sexual content) for triage.
    Moderation,
}

impl WatchKind {
    /// The stable lowercase name, as indexed and queried.
    pub fn as_str(self) -> &'static str {
        match self {
            WatchKind::Brand => "brand",
            WatchKind::Competitor => "competitor",
            WatchKind::Campaign => "campaign",
            WatchKind::Crisis => "crisis",
            WatchKind::Moderation => "moderation",
        }
    }
}

/// One term of a watch found in a mention's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermHit {
    /// The watch term as configured (not the text as written).
    pub term: String,
    /// Byte offset of the first byte of the hit in `Mention::text`.
    pub start: usize,
    /// Byte offset one past the last byte of the hit in `Mention::text`.
    pub end: usize,
}

/// A watch that matched a mention, with the hits that made it match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchMatch {
    /// The watch's name, unique within its workspace.
    pub watch: String,
    /// What the watch listens for.
    pub kind: WatchKind,
    /// The term hits in the text, in text order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hits: Vec<TermHit>,
}
