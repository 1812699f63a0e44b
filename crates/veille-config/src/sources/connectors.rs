//! Platform connectors: Bluesky, Mastodon, Reddit, RSS/Atom, X and webhook push.
//!
//! Secrets never appear in the configuration: keys ending in `_env` name the
//! environment variable that holds them (`token_env = "MASTODON_TOKEN"`).

use serde::Deserialize;

/// How a connector waits before retrying after an error: exponential growth
/// from `initial_ms` to `max_ms`, with full jitter. A `Retry-After` given by the
/// platform wins when it is longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackoffConfig {
    /// First delay, in milliseconds. Default 1,000.
    pub initial_ms: u64,
    /// Longest delay, in milliseconds. Default 60,000.
    pub max_ms: u64,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig { initial_ms: 1_000, max_ms: 60_000 }
    }
}

impl BackoffConfig {
    pub(crate) fn validate(&self, key: &str) -> Result<(), (String, String)> {
        if self.initial_ms == 0 {
            return Err((format!("{key}.initial_ms"), "must be at least 1".into()));
        }
        if self.max_ms < self.initial_ms {
            return Err((format!("{key}.max_ms"), "must be at least `initial_ms`".into()));
        }
        Ok(())
    }
}

fn default_flush_ms() -> u64 {
    250
}
fn default_true() -> bool {
    true
}

/// `kind = "bluesky"`: posts from a Bluesky Jetstream WebSocket (no credentials needed).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueskySource {
    /// Unique source name.
    pub name: String,
    /// Jetstream subscribe endpoint. Default `wss://jetstream2.us-east.bsky.network/subscribe`.
    #[serde(default = "default_jetstream")]
    pub url: String,
    /// Only posts by these accounts (DIDs); every account when empty.
    #[serde(default)]
    pub wanted_dids: Vec<String>,
    /// Longest wait before a partly filled batch is sent, in milliseconds. Default 250.
    #[serde(default = "default_flush_ms")]
    pub flush_ms: u64,
    /// Reconnection delays.
    #[serde(default)]
    pub backoff: BackoffConfig,
    /// Workspace forced on every mention.
    #[serde(default)]
    pub workspace: Option<String>,
}

fn default_jetstream() -> String {
    "wss://jetstream2.us-east.bsky.network/subscribe".into()
}

/// How the Mastodon connector listens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MastodonMode {
    /// The streaming API (server-sent events), with REST catch-up after a disconnect.
    #[default]
    Stream,
    /// REST polling of the timelines only.
    Poll,
}

/// `kind = "mastodon"`: statuses from a Mastodon server's public or hashtag timelines.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MastodonSource {
    /// Unique source name.
    pub name: String,
    /// The server's base URL, e.g. `https://mastodon.social`.
    pub instance: String,
    /// Hashtags to follow (without `#`); the public timeline when empty.
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// Only statuses posted on this server (public timeline only). Default false.
    #[serde(default)]
    pub local: bool,
    /// `stream` (default) or `poll`.
    #[serde(default)]
    pub mode: MastodonMode,
    /// Environment variable holding an access token (optional; many servers require one to stream).
    #[serde(default)]
    pub token_env: Option<String>,
    /// Time between two polls of a timeline, in milliseconds. Default 30,000.
    #[serde(default = "default_mastodon_interval")]
    pub poll_interval_ms: u64,
    /// Longest wait before a partly filled batch is sent, in milliseconds. Default 250.
    #[serde(default = "default_flush_ms")]
    pub flush_ms: u64,
    /// Retry delays.
    #[serde(default)]
    pub backoff: BackoffConfig,
    /// Workspace forced on every mention.
    #[serde(default)]
    pub workspace: Option<String>,
}

fn default_mastodon_interval() -> u64 {
    30_000
}

/// `kind = "reddit"`: posts (t3) and comments (t1) from subreddit and search listings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedditSource {
    /// Unique source name.
    pub name: String,
    /// Subreddits to read (without `r/`).
    #[serde(default)]
    pub subreddits: Vec<String>,
    /// A site-wide search query (newest first), read besides the subreddits.
    #[serde(default)]
    pub search: Option<String>,
    /// Also read the subreddits' new comments. Default true.
    #[serde(default = "default_true")]
    pub comments: bool,
    /// Environment variable holding the OAuth app's client id; anonymous access when absent.
    #[serde(default)]
    pub client_id_env: Option<String>,
    /// Environment variable holding the OAuth app's secret.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// API base URL. Default `https://oauth.reddit.com` with credentials, `https://www.reddit.com` without.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Token endpoint. Default `https://www.reddit.com/api/v1/access_token`.
    #[serde(default = "default_reddit_token_url")]
    pub token_url: String,
    /// User-Agent sent with every request (Reddit requires a descriptive one).
    #[serde(default = "default_user_agent")]
    pub user_agent: String,
    /// Time between two polls of a listing, in milliseconds. Default 60,000.
    #[serde(default = "default_reddit_interval")]
    pub poll_interval_ms: u64,
    /// Items per listing page (1 to 100). Default 100.
    #[serde(default = "default_reddit_limit")]
    pub limit: u32,
    /// Retry delays.
    #[serde(default)]
    pub backoff: BackoffConfig,
    /// Workspace forced on every mention.
    #[serde(default)]
    pub workspace: Option<String>,
}

fn default_reddit_token_url() -> String {
    "https://www.reddit.com/api/v1/access_token".into()
}
fn default_user_agent() -> String {
    concat!("veille/", env!("CARGO_PKG_VERSION"), " (social listening)").into()
}
fn default_reddit_interval() -> u64 {
    60_000
}
fn default_reddit_limit() -> u32 {
    100
}

/// One feed of an `rss` source.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// The feed's URL (RSS 2.0, RSS 1.0, Atom or JSON Feed).
    pub url: String,
    /// Poll interval of this feed, in milliseconds; the source's `interval_ms` when absent.
    #[serde(default)]
    pub interval_ms: Option<u64>,
}

/// `kind = "rss"`: entries of RSS and Atom feeds (news, blogs, Google Alerts).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RssSource {
    /// Unique source name.
    pub name: String,
    /// The feeds to poll.
    pub feeds: Vec<FeedConfig>,
    /// Default poll interval, in milliseconds. Default 300,000 (5 minutes).
    #[serde(default = "default_rss_interval")]
    pub interval_ms: u64,
    /// User-Agent sent with every request.
    #[serde(default = "default_user_agent")]
    pub user_agent: String,
    /// Retry delays.
    #[serde(default)]
    pub backoff: BackoffConfig,
    /// Workspace forced on every mention.
    #[serde(default)]
    pub workspace: Option<String>,
}

fn default_rss_interval() -> u64 {
    300_000
}

/// One filtered-stream rule of an `x` source.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XRule {
    /// The rule, in X's filtered-stream rule syntax.
    pub value: String,
    /// A label X echoes in `matching_rules`.
    #[serde(default)]
    pub tag: Option<String>,
}

/// `kind = "x"`: the X API v2 filtered stream.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XSource {
    /// Unique source name.
    pub name: String,
    /// Environment variable holding the app's bearer token.
    pub token_env: String,
    /// Rules the stream must hold: missing ones are added, others deleted. Left alone when empty.
    #[serde(default)]
    pub rules: Vec<XRule>,
    /// API base URL. Default `https://api.x.com`.
    #[serde(default = "default_x_base")]
    pub base_url: String,
    /// Minutes of missed posts (1 to 5) X replays after a reconnect; 0 (default) asks for none.
    /// Needs an access level that offers recovery.
    #[serde(default)]
    pub backfill_minutes: u32,
    /// Delays after an HTTP error (X documents 5 s doubling up to 320 s).
    #[serde(default = "default_x_http_backoff")]
    pub backoff: BackoffConfig,
    /// Delays after a network error (X documents 250 ms growing linearly up to 16 s).
    #[serde(default = "default_x_network_backoff")]
    pub network_backoff: BackoffConfig,
    /// First delay after a 429 without `Retry-After`, doubling each time (X documents 1 minute).
    #[serde(default = "default_x_rate_limit_ms")]
    pub rate_limit_ms: u64,
    /// Reconnect when nothing, not even a keep-alive, arrived for this long, in milliseconds.
    /// Default 90,000 (X sends a keep-alive every 20 s).
    #[serde(default = "default_x_stall_ms")]
    pub stall_ms: u64,
    /// Longest wait before a partly filled batch is sent, in milliseconds. Default 250.
    #[serde(default = "default_flush_ms")]
    pub flush_ms: u64,
    /// Workspace forced on every mention.
    #[serde(default)]
    pub workspace: Option<String>,
}

fn default_x_base() -> String {
    "https://api.x.com".into()
}
fn default_x_http_backoff() -> BackoffConfig {
    BackoffConfig { initial_ms: 5_000, max_ms: 320_000 }
}
fn default_x_network_backoff() -> BackoffConfig {
    BackoffConfig { initial_ms: 250, max_ms: 16_000 }
}
fn default_x_rate_limit_ms() -> u64 {
    60_000
}
fn default_x_stall_ms() -> u64 {
    90_000
}

/// `kind = "push"`: mentions posted to `POST /api/v1/ingest` by a customer's own collectors.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSource {
    /// Unique source name.
    pub name: String,
    /// Environment variable holding the bearer token clients must present.
    pub token_env: String,
    /// Workspace forced on every mention.
    #[serde(default)]
    pub workspace: Option<String>,
}

#[cfg(test)]
mod tests {
    use crate::Config;

    fn error(toml: &str) -> String {
        Config::from_toml_str(toml, "c.toml").unwrap_err().to_string()
    }

    #[test]
    fn every_connector_parses_with_its_defaults() {
        let cfg = Config::from_toml_str(
            r#"
[[sources]]
kind = "bluesky"
name = "sky"
[[sources]]
kind = "mastodon"
name = "masto"
instance = "https://mastodon.social"
hashtags = ["acme"]
token_env = "MASTODON_TOKEN"
[[sources]]
kind = "reddit"
name = "red"
subreddits = ["rust"]
[[sources]]
kind = "rss"
name = "news"
feeds = [{ url = "https://example.com/feed.xml" }, { url = "https://example.org/atom", interval_ms = 60000 }]
[[sources]]
kind = "x"
name = "x"
token_env = "X_BEARER_TOKEN"
rules = [{ value = "acme lang:en", tag = "acme" }]
[[sources]]
kind = "push"
name = "hook"
token_env = "VEILLE_INGEST_TOKEN"
"#,
            "c.toml",
        )
        .unwrap();
        let names: Vec<_> = cfg.sources.iter().map(|s| s.name()).collect();
        assert_eq!(names, ["sky", "masto", "red", "news", "x", "hook"]);
        match &cfg.sources[4] {
            crate::SourceConfig::X(x) => {
                assert_eq!((x.backoff.initial_ms, x.backoff.max_ms), (5_000, 320_000));
                assert_eq!((x.network_backoff.initial_ms, x.network_backoff.max_ms), (250, 16_000));
                assert_eq!(x.rate_limit_ms, 60_000);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_secret_written_in_place_of_its_variable_name_is_refused() {
        let e = error("[[sources]]\nkind = \"push\"\nname = \"p\"\ntoken_env = \"s3cr3t-t0ken.value\"\n");
        assert!(e.contains("sources[0].token_env") && e.contains("environment variable"), "{e}");
        let e = error("[[sources]]\nkind = \"push\"\nname = \"p\"\ntoken = \"abc\"\n");
        assert!(e.contains("token"), "{e}");
    }

    #[test]
    fn invalid_connector_values_name_their_key() {
        for (toml, key) in [
            ("kind = \"bluesky\"\nname = \"b\"\nurl = \"https://x\"", "sources[0].url"),
            ("kind = \"bluesky\"\nname = \"b\"\nwanted_dids = [\"alice\"]", "sources[0].wanted_dids[0]"),
            ("kind = \"mastodon\"\nname = \"m\"\ninstance = \"mastodon.social\"", "sources[0].instance"),
            (
                "kind = \"mastodon\"\nname = \"m\"\ninstance = \"https://m.example\"\nhashtags = [\"a b\"]",
                "sources[0].hashtags[0]",
            ),
            ("kind = \"reddit\"\nname = \"r\"", "sources[0].subreddits"),
            (
                "kind = \"reddit\"\nname = \"r\"\nsubreddits = [\"rust\"]\nclient_id_env = \"ID\"",
                "sources[0].client_secret_env",
            ),
            ("kind = \"reddit\"\nname = \"r\"\nsubreddits = [\"rust\"]\nlimit = 500", "sources[0].limit"),
            ("kind = \"rss\"\nname = \"f\"\nfeeds = []", "sources[0].feeds"),
            ("kind = \"rss\"\nname = \"f\"\nfeeds = [{ url = \"ftp://a\" }]", "sources[0].feeds[0].url"),
            ("kind = \"x\"\nname = \"x\"\ntoken_env = \"T\"\nbackfill_minutes = 9", "sources[0].backfill_minutes"),
            (
                "kind = \"x\"\nname = \"x\"\ntoken_env = \"T\"\nbackoff = { initial_ms = 10, max_ms = 5 }",
                "sources[0].backoff.max_ms",
            ),
        ] {
            let e = error(&format!("[[sources]]\n{toml}\n"));
            assert!(e.contains(&format!("`{key}`")), "{key}: {e}");
        }
    }
}
