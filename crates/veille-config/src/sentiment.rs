//! `[sentiment]`: how mentions are scored.

use serde::Deserialize;

/// `[sentiment]`: which scorer reads each language.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentimentConfig {
    /// Whether mentions are scored at all. Default true.
    #[serde(default = "default_enabled")]
    pub enabled: bool,
}

impl Default for SentimentConfig {
    fn default() -> Self {
        SentimentConfig { enabled: true }
    }
}

fn default_enabled() -> bool {
    true
}
