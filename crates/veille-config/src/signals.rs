//! `[signals]`: time series per watch and the detectors that watch them.

use serde::Deserialize;

/// `[signals]`: bucketing and detection.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalsConfig {
    /// Whether signals and alerts are computed. Default true.
    #[serde(default = "default_enabled")]
    pub enabled: bool,
}

impl Default for SignalsConfig {
    fn default() -> Self {
        SignalsConfig { enabled: true }
    }
}

fn default_enabled() -> bool {
    true
}
