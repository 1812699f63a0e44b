//! Watches: what a workspace listens for.

use serde::Deserialize;
use veille_model::WatchKind;

/// One watch: a brand, competitor, campaign, crisis or moderation lexicon.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Watch {
    /// Unique name within the workspace; used in tags, queries and alerts.
    pub name: String,
    /// What the watch listens for.
    pub kind: WatchKind,
    /// Terms that make a mention match (names, aliases, `@handles`, `#hashtags`).
    #[serde(default)]
    pub terms: Vec<String>,
    /// Optional boolean rule over the text that a match must also satisfy.
    #[serde(default)]
    pub rule: Option<String>,
}
