//! Configuration and data-directory resolution shared by the commands.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use veille_config::Config;
use veille_index::MentionIndex;

/// `--config` and `--data-dir`, accepted by every command that touches the index.
#[derive(Debug, Clone, Args)]
pub(crate) struct DataArgs {
    /// Configuration file (TOML). Default: `veille.toml` or `config/veille.toml` when present.
    #[arg(long, short = 'c', env = "VEILLE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory (index, dead letters). Default: from the config, then `./data`.
    #[arg(long, env = "VEILLE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

impl DataArgs {
    /// Loads the configuration (or defaults when no file is given or found) and applies `--data-dir`.
    pub(crate) fn load(&self) -> Result<Config> {
        let path = self
            .config
            .clone()
            .or_else(|| ["veille.toml", "config/veille.toml"].map(PathBuf::from).into_iter().find(|p| p.exists()));
        let mut config = match &path {
            Some(p) => Config::load(p)?,
            None => {
                let mut c = Config::default();
                c.apply_env(std::env::vars())?;
                c
            }
        };
        if let Some(dir) = &self.data_dir {
            config.data.dir = dir.clone();
        }
        tracing::debug!(config = ?path, data_dir = %config.data.dir.display(), "configuration");
        Ok(config)
    }
}

/// `--config`, `--data-dir` and `--listen`, for the commands that serve the API.
#[derive(Debug, Clone, Args)]
pub(crate) struct ServerArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Address for the API (overrides `server.listen`).
    #[arg(long)]
    pub listen: Option<String>,
}

impl ServerArgs {
    /// Loads the configuration with `--listen` applied (and checked like the file).
    pub(crate) fn load(&self) -> Result<Config> {
        let mut config = self.data.load()?;
        if let Some(l) = &self.listen {
            config.server.listen = l.clone();
            config.validate("command line")?;
        }
        Ok(config)
    }
}

/// Serves `app` as `[server]` says (address, TLS), until `cancel` fires; `None` when the
/// configuration turns the API off. The same for every role.
pub(crate) async fn spawn_api(
    server: &veille_config::ServerConfig,
    app: axum::Router,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<Option<tokio::task::JoinHandle<Result<()>>>> {
    if !server.enabled {
        return Ok(None);
    }
    let listener = veille_server::bind(server).await?;
    let stop = cancel.clone();
    let tls = server.tls.clone();
    Ok(Some(tokio::spawn(async move {
        veille_server::serve_app(listener, app, tls.as_ref(), async move { stop.cancelled().await }).await?;
        Ok(())
    })))
}

/// Opens (or creates) the index in the data directory.
pub(crate) fn open_index(data_dir: &Path) -> Result<MentionIndex> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    Ok(MentionIndex::open(&data_dir.join("index"))?)
}

/// Opens the index a configuration's deployment reads: with the Kafka bus, a
/// view over every processor's shards (`DATA_DIR/shards/`); else the index of
/// the data directory.
pub(crate) fn open_view(config: &Config) -> Result<MentionIndex> {
    if config.bus.kind == veille_config::BusKind::Kafka {
        let root = config.data.dir.join(veille_index::SHARDS_DIR);
        return MentionIndex::open_sharded(&root)
            .with_context(|| format!("cannot read the index shards under {}", root.display()));
    }
    open_index(&config.data.dir)
}

/// Reads a `--from`/`--to` option: any timestamp veille reads, `now`, or `now-N{s,m,h,d}`.
pub(crate) fn time(name: &str, v: &Option<String>) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    v.as_deref()
        .map(|s| veille_model::parse_time_param(s, chrono::Utc::now()).map_err(|e| anyhow::anyhow!("--{name}: {e}")))
        .transpose()
}
