//! The veille configuration: one TOML file drives everything.
//!
//! [`Config::load`] reads a file, applies `VEILLE_*` environment overrides
//! and checks every value. Errors name the file, the line and the key at
//! fault: unknown keys are errors, never silently ignored.
//!
//! ```
//! let cfg = veille_config::Config::from_toml_str(r#"
//! [data]
//! dir = "/var/lib/veille"
//!
//! [[sources]]
//! kind = "ndjson"
//! name = "replay"
//! path = "mentions.ndjson"
//! "#, "inline.toml").unwrap();
//! assert_eq!(cfg.sources[0].name(), "replay");
//! ```

pub mod alerts;
pub mod api;
pub mod graph;
pub mod kafka;
mod reports;
pub mod sentiment;
pub mod signals;
mod sources;
pub mod watch;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use alerts::AlertsConfig;
pub use api::{CorsConfig, LimitsConfig, TlsConfig};
pub use graph::GraphConfig;
pub use kafka::KafkaConfig;
pub use reports::{ReportConfig, ReportFormat, ReportPeriod};
pub use sentiment::SentimentConfig;
pub use signals::SignalsConfig;
pub use sources::{
    BackoffConfig, BlueskySource, FeedConfig, MastodonMode, MastodonSource, PushSource, RedditSource, RssSource, XRule,
    XSource,
};
pub use sources::{CrisisInjection, CsvSource, NdjsonSource, SimulateSource, SourceConfig};
pub use watch::Watch;

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed, a key is unknown or a value has the wrong type.
    #[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the fault, when known.
        line: Option<usize>,
        /// What is wrong, naming the key.
        message: String,
    },
    /// A value parsed but breaks a rule.
    #[error("{path}: `{key}`: {reason}")]
    Invalid {
        /// The file (or `environment` for an override).
        path: PathBuf,
        /// Dotted key at fault, e.g. `sources[1].name`.
        key: String,
        /// What is wrong.
        reason: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the index, checkpoints and dead letters live.
    pub data: DataConfig,
    /// Index commit policy and writer resources.
    pub index: IndexConfig,
    /// The transport between stages.
    pub bus: BusConfig,
    /// The HTTP API.
    pub server: ServerConfig,
    /// Where mentions come from.
    pub sources: Vec<SourceConfig>,
    /// Clients or brand teams, each with its watches.
    pub workspaces: Vec<WorkspaceConfig>,
    /// Sentiment scoring.
    pub sentiment: SentimentConfig,
    /// Interaction graph and key nodes.
    pub graph: GraphConfig,
    /// Signals and crisis detection.
    pub signals: SignalsConfig,
    /// Alert lifecycle and receivers.
    pub alerts: AlertsConfig,
    /// Activity reports produced on a schedule.
    pub reports: Vec<ReportConfig>,
}

/// `[data]`: on-disk state.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// Directory holding the index and the dead-letter file. Default `./data`.
    pub dir: PathBuf,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig { dir: PathBuf::from("./data") }
    }
}

/// `[index]`: when the index commits and how much it may use.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndexConfig {
    /// Commit after this many documents. Default 50,000.
    pub commit_every_docs: usize,
    /// Commit at least this often while documents are waiting, in milliseconds. Default 1,000.
    pub commit_every_ms: u64,
    /// Memory budget of the index writer, in MiB. Default 256.
    pub writer_memory_mb: usize,
    /// Indexing threads; 0 picks from the number of cores. Default 0.
    pub writer_threads: usize,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig { commit_every_docs: 50_000, commit_every_ms: 1_000, writer_memory_mb: 256, writer_threads: 0 }
    }
}

/// Which transport carries mentions between stages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BusKind {
    /// Bounded in-process channels (one machine, no services).
    #[default]
    Embedded,
    /// Apache Kafka (or a Kafka-compatible broker) between ingest workers and processors.
    Kafka,
}

/// `[bus]`: the transport between stages.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusConfig {
    /// The transport. Default `embedded`.
    pub kind: BusKind,
    /// Batches in flight between two stages before the upstream one waits. Default 16.
    pub capacity: usize,
    /// Mentions per batch. Default 1,024.
    pub batch_size: usize,
    /// `[bus.kafka]`: brokers, topics and group, used when `kind = "kafka"`.
    pub kafka: KafkaConfig,
}

impl Default for BusConfig {
    fn default() -> Self {
        BusConfig { kind: BusKind::Embedded, capacity: 16, batch_size: 1024, kafka: KafkaConfig::default() }
    }
}

/// `[server]`: the HTTP API.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Whether `veille run` serves the API. Default true.
    pub enabled: bool,
    /// Address to listen on. Default `127.0.0.1:7700` (loopback only).
    pub listen: String,
    /// `[server.tls]`: HTTPS certificate and key. Default none (plain HTTP).
    pub tls: Option<TlsConfig>,
    /// `[server.cors]`: cross-origin access. Default off.
    pub cors: CorsConfig,
    /// `[server.limits]`: request bounds and per-key rates.
    pub limits: LimitsConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            enabled: true,
            listen: "127.0.0.1:7700".to_string(),
            tls: None,
            cors: CorsConfig::default(),
            limits: LimitsConfig::default(),
        }
    }
}

/// `[[workspaces]]`: one client or brand team.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceConfig {
    /// Name (a-z, 0-9, `-`, `_`); every mention, watch and alert carries it.
    pub name: String,
    /// What this workspace listens for.
    #[serde(default)]
    pub watches: Vec<Watch>,
}

impl Config {
    /// Reads `path`, applies environment overrides and validates.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.to_path_buf(), source })?;
        let mut cfg = Config::from_toml_str(&text, path)?;
        cfg.apply_env(std::env::vars())?;
        Ok(cfg)
    }

    /// Parses and validates TOML text; `path` is only used in error messages.
    pub fn from_toml_str(text: &str, path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            ConfigError::Parse { path: path.to_path_buf(), line, message: e.message().trim().to_string() }
        })?;
        cfg.validate(path)?;
        Ok(cfg)
    }

    /// Applies `VEILLE_DATA_DIR`, `VEILLE_SERVER_LISTEN`, `VEILLE_INDEX_COMMIT_EVERY_DOCS`
    /// and `VEILLE_INDEX_COMMIT_EVERY_MS` from the given variables.
    pub fn apply_env(&mut self, vars: impl IntoIterator<Item = (String, String)>) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: String| ConfigError::Invalid {
            path: PathBuf::from("environment"),
            key: key.to_string(),
            reason,
        };
        for (key, value) in vars {
            match key.as_str() {
                "VEILLE_DATA_DIR" => self.data.dir = PathBuf::from(value),
                "VEILLE_SERVER_LISTEN" => self.server.listen = value,
                "VEILLE_INDEX_COMMIT_EVERY_DOCS" => {
                    self.index.commit_every_docs =
                        value.parse().map_err(|_| invalid(&key, format!("`{value}` is not a whole number")))?
                }
                "VEILLE_INDEX_COMMIT_EVERY_MS" => {
                    self.index.commit_every_ms =
                        value.parse().map_err(|_| invalid(&key, format!("`{value}` is not a whole number")))?
                }
                _ => {}
            }
        }
        self.validate(Path::new("environment"))
    }

    /// The workspace configured under `name`.
    pub fn workspace(&self, name: &str) -> Option<&WorkspaceConfig> {
        self.workspaces.iter().find(|w| w.name == name)
    }

    /// Checks every value; errors name `origin` (a file, `environment`, `command line`).
    pub fn validate(&self, origin: impl AsRef<Path>) -> Result<(), ConfigError> {
        let invalid =
            |(key, reason): (String, String)| ConfigError::Invalid { path: origin.as_ref().to_path_buf(), key, reason };
        self.validate_transport().map_err(invalid)?;
        self.validate_sources().map_err(invalid)?;
        self.validate_judgement().map_err(invalid)?;
        self.validate_workspaces().map_err(invalid)
    }

    /// `[index]`, `[bus]` and `[server]`.
    fn validate_transport(&self) -> Result<(), (String, String)> {
        let invalid = |key: &str, reason: &str| Err((key.to_string(), reason.to_string()));
        if self.index.commit_every_docs == 0 {
            return invalid("index.commit_every_docs", "must be at least 1");
        }
        if self.index.writer_memory_mb < 16 {
            return invalid("index.writer_memory_mb", "must be at least 16 (MiB)");
        }
        if self.bus.capacity == 0 {
            return invalid("bus.capacity", "must be at least 1");
        }
        if self.bus.batch_size == 0 {
            return invalid("bus.batch_size", "must be at least 1");
        }
        let within =
            |section: &'static str| move |(key, reason): (String, String)| (format!("{section}.{key}"), reason);
        self.bus.kafka.validate().map_err(within("bus.kafka"))?;
        if self.server.listen.parse::<std::net::SocketAddr>().is_err() {
            let reason = format!("`{}` is not an address like 127.0.0.1:7700", self.server.listen);
            return invalid("server.listen", &reason);
        }
        if let Some(tls) = &self.server.tls {
            tls.validate().map_err(within("server.tls"))?;
        }
        self.server.cors.validate().map_err(within("server.cors"))?;
        self.server.limits.validate().map_err(within("server.limits"))
    }

    /// Each source: a unique name, its own settings, a well-formed workspace.
    fn validate_sources(&self) -> Result<(), (String, String)> {
        let mut names = BTreeSet::new();
        for (i, s) in self.sources.iter().enumerate() {
            if s.name().is_empty() {
                return Err((format!("sources[{i}].name"), "is empty".into()));
            }
            if !names.insert(s.name()) {
                return Err((format!("sources[{i}].name"), format!("`{}` is used by another source", s.name())));
            }
            s.validate().map_err(|(key, reason)| (format!("sources[{i}].{key}"), reason))?;
            if let Some(ws) = s.workspace() {
                check_workspace_name(ws).map_err(|r| (format!("sources[{i}].workspace"), r))?;
            }
        }
        Ok(())
    }

    /// `[graph]`, `[sentiment]`, `[signals]`, `[alerts]` and `[[reports]]`.
    fn validate_judgement(&self) -> Result<(), (String, String)> {
        let within =
            |section: &'static str| move |(key, reason): (String, String)| (format!("{section}.{key}"), reason);
        self.graph.validate().map_err(|e| (format!("graph.{}", e.key), e.reason))?;
        self.sentiment.validate().map_err(within("sentiment"))?;
        self.signals.validate().map_err(within("signals"))?;
        self.alerts.validate().map_err(within("alerts"))?;
        reports::validate(&self.reports).map_err(|(key, reason)| (format!("reports{key}"), reason))
    }

    /// Sources name declared workspaces; workspaces and their watches have unique names.
    fn validate_workspaces(&self) -> Result<(), (String, String)> {
        let declared: BTreeSet<&str> = self.workspaces.iter().map(|w| w.name.as_str()).collect();
        for (i, s) in self.sources.iter().enumerate() {
            match s.workspace() {
                // With no workspace declared, the configuration has no watches to miss.
                Some(ws) if !declared.is_empty() && !declared.contains(ws) => {
                    return Err((
                        format!("sources[{i}].workspace"),
                        format!(
                            "`{ws}` is not a declared workspace (declared: {}): its mentions would match no watch and raise no alert; declare it with [[workspaces]] name = \"{ws}\"",
                            declared.iter().copied().collect::<Vec<_>>().join(", ")
                        ),
                    ))
                }
                _ => {}
            }
        }
        let mut ws_names = BTreeSet::new();
        for (i, w) in self.workspaces.iter().enumerate() {
            check_workspace_name(&w.name).map_err(|r| (format!("workspaces[{i}].name"), r))?;
            if !ws_names.insert(w.name.as_str()) {
                return Err((format!("workspaces[{i}].name"), format!("`{}` is defined twice", w.name)));
            }
            let mut watch_names = BTreeSet::new();
            for (j, watch) in w.watches.iter().enumerate() {
                if watch.name.is_empty() {
                    return Err((format!("workspaces[{i}].watches[{j}].name"), "is empty".into()));
                }
                if !watch_names.insert(watch.name.as_str()) {
                    return Err((
                        format!("workspaces[{i}].watches[{j}].name"),
                        format!("`{}` is defined twice", watch.name),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn check_workspace_name(name: &str) -> Result<(), String> {
    veille_model::WorkspaceName::parse(name).map(drop).map_err(|e| e.to_string())
}

/// The TOML example in the module docs of `source` (a file read with `include_str!`), for tests
/// that check the documented example against the defaults.
#[cfg(test)]
pub(crate) fn documented_toml_example(source: &str) -> String {
    source
        .lines()
        .skip_while(|l| !l.starts_with("//! ```toml"))
        .skip(1)
        .take_while(|l| !l.starts_with("//! ```"))
        .map(|l| l.trim_start_matches("//!").trim_start())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_may_not_feed_a_workspace_that_is_not_declared() {
        let toml = "[[sources]]\nkind = \"ndjson\"\nname = \"feed\"\npath = \"in.ndjson\"\nworkspace = \"acmee\"\n\n[[workspaces]]\nname = \"acme\"\n";
        let e = Config::from_toml_str(toml, "x.toml").unwrap_err().to_string();
        assert!(
            e.contains("sources[0].workspace") && e.contains("`acmee` is not a declared workspace (declared: acme)"),
            "{e}"
        );
        assert!(Config::from_toml_str(&toml.replace("acmee", "acme"), "x.toml").is_ok());
        // Without any workspace declared there is no watch to miss.
        let bare = toml.split("[[workspaces]]").next().unwrap_or_default();
        assert!(Config::from_toml_str(bare, "x.toml").is_ok());
    }

    #[test]
    fn an_empty_table_holds_the_same_defaults_as_a_missing_one() {
        let tables = [
            "data",
            "index",
            "bus",
            "bus.kafka",
            "bus.kafka.topics",
            "server",
            "server.cors",
            "server.limits",
            "sentiment",
            "graph",
            "graph.edge_weights",
            "graph.score",
            "signals",
            "signals.detector",
            "signals.rules",
            "signals.rules.volume_spike",
            "signals.rules.crisis_burst",
            "signals.rules.negative_surge",
            "signals.rules.key_node_negative",
            "signals.rules.flat_line",
            "alerts",
        ];
        let text: String = tables.iter().map(|t| format!("[{t}]\n")).collect();
        let parsed = Config::from_toml_str(&text, "x.toml").unwrap();
        assert_eq!(format!("{parsed:?}"), format!("{:?}", Config::default()));
    }

    #[test]
    fn unknown_keys_are_errors_with_file_and_line() {
        let e = Config::from_toml_str("[index]\ncommit_every_docs = 10\ncomit_every_ms = 5\n", "x.toml").unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("x.toml:3:"), "{msg}");
        assert!(msg.contains("comit_every_ms"), "{msg}");
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = Config::from_toml_str("[index]\ncommit_every_docs = \"many\"\n", "x.toml").unwrap_err();
        assert!(e.to_string().starts_with("x.toml:2:"), "{e}");
        let e = Config::from_toml_str("[server]\nlisten = \"everywhere\"\n", "x.toml").unwrap_err();
        assert!(e.to_string().contains("server.listen"), "{e}");
        let e = Config::from_toml_str("[[sources]]\nkind = \"ndjson\"\nname = \"a\"\npath = \"-\"\n[[sources]]\nkind = \"ndjson\"\nname = \"a\"\npath = \"-\"\n", "x.toml").unwrap_err();
        assert!(e.to_string().contains("sources[1].name"), "{e}");
        let e = Config::from_toml_str("[[sources]]\nkind = \"myspace\"\nname = \"a\"\n", "x.toml").unwrap_err();
        assert!(e.to_string().contains("x.toml:2"), "{e}");
    }

    #[test]
    fn environment_overrides_apply_and_are_checked() {
        let mut cfg = Config::default();
        cfg.apply_env([("VEILLE_DATA_DIR".to_string(), "/tmp/v".to_string())]).unwrap();
        assert_eq!(cfg.data.dir, PathBuf::from("/tmp/v"));
        let e = cfg.apply_env([("VEILLE_INDEX_COMMIT_EVERY_DOCS".to_string(), "lots".to_string())]).unwrap_err();
        assert!(e.to_string().contains("VEILLE_INDEX_COMMIT_EVERY_DOCS"), "{e}");
    }
}
