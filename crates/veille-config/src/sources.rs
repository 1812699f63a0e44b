//! `[[sources]]`: where mentions come from.

mod connector_checks;
mod connectors;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use veille_model::Platform;

pub use connectors::{
    BackoffConfig, BlueskySource, FeedConfig, MastodonMode, MastodonSource, PushSource, RedditSource, RssSource, XRule,
    XSource,
};

/// One configured source. The `kind` key selects the connector.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SourceConfig {
    /// Mention NDJSON from a file or standard input.
    Ndjson(NdjsonSource),
    /// Rows of a CSV export mapped to mentions.
    Csv(CsvSource),
    /// The built-in stream simulator.
    Simulate(SimulateSource),
    /// Bluesky posts from a Jetstream WebSocket.
    Bluesky(BlueskySource),
    /// Mastodon statuses, streamed or polled.
    Mastodon(MastodonSource),
    /// Reddit posts and comments from listings.
    Reddit(RedditSource),
    /// RSS and Atom feed entries.
    Rss(RssSource),
    /// The X API v2 filtered stream.
    X(XSource),
    /// Mentions posted to the ingest endpoint.
    Push(PushSource),
}

impl SourceConfig {
    /// The source's unique name (keys its cursor in the checkpoint).
    pub fn name(&self) -> &str {
        match self {
            SourceConfig::Ndjson(s) => &s.name,
            SourceConfig::Csv(s) => &s.name,
            SourceConfig::Simulate(s) => &s.name,
            SourceConfig::Bluesky(s) => &s.name,
            SourceConfig::Mastodon(s) => &s.name,
            SourceConfig::Reddit(s) => &s.name,
            SourceConfig::Rss(s) => &s.name,
            SourceConfig::X(s) => &s.name,
            SourceConfig::Push(s) => &s.name,
        }
    }

    /// The workspace forced on every mention of this source, if any.
    pub fn workspace(&self) -> Option<&str> {
        match self {
            SourceConfig::Ndjson(s) => s.workspace.as_deref(),
            SourceConfig::Csv(s) => s.workspace.as_deref(),
            SourceConfig::Simulate(s) => s.workspace.as_deref(),
            SourceConfig::Bluesky(s) => s.workspace.as_deref(),
            SourceConfig::Mastodon(s) => s.workspace.as_deref(),
            SourceConfig::Reddit(s) => s.workspace.as_deref(),
            SourceConfig::Rss(s) => s.workspace.as_deref(),
            SourceConfig::X(s) => s.workspace.as_deref(),
            SourceConfig::Push(s) => s.workspace.as_deref(),
        }
    }

    /// Checks values that types alone cannot: `(key, reason)` on failure.
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        match self {
            SourceConfig::Ndjson(_) => Ok(()),
            SourceConfig::Csv(c) => {
                for required in ["id", "text", "created_at"] {
                    if !c.map.contains_key(required) {
                        return Err(("map".into(), format!("needs a column for `{required}`")));
                    }
                }
                for field in c.map.keys() {
                    if !field.starts_with("attr.") && !CsvSource::FIELDS.contains(&field.as_str()) {
                        return Err((
                            format!("map.{field}"),
                            format!(
                                "unknown mention field (expected one of {}, or attr.NAME)",
                                CsvSource::FIELDS.join(", ")
                            ),
                        ));
                    }
                }
                if !c.delimiter.is_ascii() {
                    return Err(("delimiter".into(), "must be one ASCII character".into()));
                }
                Ok(())
            }
            SourceConfig::Simulate(s) => {
                if !(s.rate > 0.0 && s.rate.is_finite()) {
                    return Err(("rate".into(), "must be a positive number of mentions per second".into()));
                }
                if !(s.speed >= 0.0 && s.speed.is_finite()) {
                    return Err(("speed".into(), "must be 0 (as fast as possible) or a positive factor".into()));
                }
                if s.brands.is_empty() {
                    return Err(("brands".into(), "needs at least one brand".into()));
                }
                if !(0.0..=1.0).contains(&s.french_share) {
                    return Err(("french_share".into(), "must be between 0 and 1".into()));
                }
                if s.authors < 10 {
                    return Err(("authors".into(), "must be at least 10".into()));
                }
                if s.history_s > SimulateSource::MAX_HISTORY_S {
                    return Err(("history_s".into(), "must be at most a year (31622400 seconds)".into()));
                }
                if let Some(c) = &s.crisis {
                    if !s.brands.contains(&c.brand) {
                        return Err((
                            "crisis.brand".into(),
                            format!("`{}` is not one of the simulated brands", c.brand),
                        ));
                    }
                    if c.intensity < 1.0 {
                        return Err((
                            "crisis.intensity".into(),
                            "must be at least 1 (a multiple of normal volume)".into(),
                        ));
                    }
                }
                Ok(())
            }
            SourceConfig::Bluesky(s) => s.validate(),
            SourceConfig::Mastodon(s) => s.validate(),
            SourceConfig::Reddit(s) => s.validate(),
            SourceConfig::Rss(s) => s.validate(),
            SourceConfig::X(s) => s.validate(),
            SourceConfig::Push(s) => s.validate(),
        }
    }
}

/// `kind = "ndjson"`: one mention JSON object per line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NdjsonSource {
    /// Unique source name.
    pub name: String,
    /// File to read; `-` reads standard input.
    pub path: PathBuf,
    /// Workspace forced on every mention.
    #[serde(default)]
    pub workspace: Option<String>,
}

/// `kind = "csv"`: rows of a CSV export with a header line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvSource {
    /// Unique source name.
    pub name: String,
    /// File to read; `-` reads standard input.
    pub path: PathBuf,
    /// Mention field → CSV column. Needs `id`, `text` and `created_at`;
    /// `attr.NAME` keeps a column as an attribute.
    pub map: BTreeMap<String, String>,
    /// The platform the rows come from. Default `x`.
    #[serde(default = "default_platform")]
    pub platform: Platform,
    /// Field delimiter. Default `,`.
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// Character encoding of the file: `utf-8` (default), `windows-1252`, `latin1`, ...
    #[serde(default = "default_encoding")]
    pub encoding: String,
    /// Workspace forced on every mention.
    #[serde(default)]
    pub workspace: Option<String>,
}

impl CsvSource {
    /// Mention fields a column can be mapped to (besides `attr.NAME`).
    pub const FIELDS: [&'static str; 15] = [
        "id",
        "text",
        "created_at",
        "author",
        "author_id",
        "author_name",
        "followers",
        "lang",
        "url",
        "title",
        "likes",
        "reposts",
        "replies",
        "quotes",
        "workspace",
    ];
}

fn default_platform() -> Platform {
    Platform::X
}
fn default_delimiter() -> char {
    ','
}
fn default_encoding() -> String {
    "utf-8".to_string()
}

/// `kind = "simulate"`: a realistic bilingual stream about named brands.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulateSource {
    /// Unique source name.
    pub name: String,
    /// Brands the conversation is about; the first is the client's own.
    pub brands: Vec<String>,
    /// Average mentions per second of event time (a daily cycle modulates it). Default 20.
    #[serde(default = "default_rate")]
    pub rate: f64,
    /// Event seconds per wall-clock second, 0 as fast as possible. Default 1: real time, where
    /// each mention comes when the clock reaches its event time (history before a past `start`
    /// is sent at once, then the stream goes live).
    #[serde(default = "default_speed")]
    pub speed: f64,
    /// Seconds of history written before `start`, as fast as the pipeline takes them, before
    /// the stream goes live (so a first run has days to chart and a baseline to detect
    /// against). Default 0.
    #[serde(default)]
    pub history_s: u64,
    /// Stop after this many mentions; unbounded when absent.
    #[serde(default)]
    pub count: Option<u64>,
    /// Event time where the stream goes live, after its `history_s` of history (RFC 3339);
    /// default: when the source first starts.
    #[serde(default)]
    pub start: Option<String>,
    /// Seed of the generator: the same seed gives the same stream. Default 42.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Share of mentions written in French. Default 0.35.
    #[serde(default = "default_french_share")]
    pub french_share: f64,
    /// Size of the author population. Default 2,000.
    #[serde(default = "default_authors")]
    pub authors: usize,
    /// A crisis burst to inject.
    #[serde(default)]
    pub crisis: Option<CrisisInjection>,
    /// Workspace forced on every mention. Default `default`.
    #[serde(default)]
    pub workspace: Option<String>,
}

impl SimulateSource {
    /// The longest history the simulator writes: a year.
    pub const MAX_HISTORY_S: u64 = 366 * 86_400;
}

/// A crisis burst the simulator injects about one brand.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrisisInjection {
    /// The brand under fire; one of the simulated brands.
    pub brand: String,
    /// Event seconds after `start` (where the stream goes live, past its history) when the
    /// burst begins. Default 600.
    #[serde(default = "default_crisis_after")]
    pub after_s: u64,
    /// How long the burst lasts, in event seconds. Default 300.
    #[serde(default = "default_crisis_duration")]
    pub duration_s: u64,
    /// Volume about the brand during the burst, as a multiple of normal. Default 8.
    #[serde(default = "default_crisis_intensity")]
    pub intensity: f64,
}

fn default_rate() -> f64 {
    20.0
}
fn default_speed() -> f64 {
    1.0
}
fn default_seed() -> u64 {
    42
}
fn default_french_share() -> f64 {
    0.35
}
fn default_authors() -> usize {
    2_000
}
fn default_crisis_after() -> u64 {
    600
}
fn default_crisis_duration() -> u64 {
    300
}
fn default_crisis_intensity() -> f64 {
    8.0
}
