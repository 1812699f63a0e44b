//! `[graph]`: the author interaction graph and key-node scores.

use serde::Deserialize;

/// `[graph]`: how the interaction graph weighs and forgets.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphConfig {
    /// Whether key-node scores are computed. Default true.
    #[serde(default = "default_enabled")]
    pub enabled: bool,
}

impl Default for GraphConfig {
    fn default() -> Self {
        GraphConfig { enabled: true }
    }
}

fn default_enabled() -> bool {
    true
}
