//! `veille run` (everything in one process) and `veille serve` (the API only).

use anyhow::{Context, Result};
use clap::Args;
use tokio_util::sync::CancellationToken;
use veille_pipeline::Pipeline;
use veille_server::AppState;

use crate::context::{open_index, DataArgs};

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Address for the API (overrides `server.listen`).
    #[arg(long)]
    listen: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Address for the API (overrides `server.listen`).
    #[arg(long)]
    listen: Option<String>,
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// Cancels `token` on Ctrl-C or SIGTERM.
pub(crate) fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM");
                    let _ = tokio::signal::ctrl_c().await;
                    token.cancel();
                    return;
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: committing what was read");
        token.cancel();
    });
}

/// The configuration with `--listen` applied, and the index it names.
fn load(data: &DataArgs, listen: Option<String>) -> Result<(veille_config::Config, veille_index::MentionIndex)> {
    let mut config = data.load()?;
    if let Some(l) = listen {
        config.server.listen = l;
        config.validate("command line")?;
    }
    let index = open_index(&config.data.dir)?;
    Ok((config, index))
}

pub(crate) fn run(a: RunArgs) -> Result<()> {
    let (config, index) = load(&a.data, a.listen)?;
    runtime()?.block_on(async move {
        let cancel = CancellationToken::new();
        cancel_on_signal(cancel.clone());
        // Built here rather than by the pipeline so that the push sources' handles reach the API.
        let sources = veille_sources::build_all(&config.sources)?;
        let pipeline = Pipeline::with_sources(config.clone(), index.clone(), sources.sources)?;
        let state = AppState::new(index)
            .with_alerts(pipeline.alerts())
            .with_key_nodes(pipeline.key_nodes())
            .with_push(sources.push)
            .with_watches(&config.workspaces)
            .with_guard(super::keys::guard(&config)?);
        let server = if config.server.enabled {
            let listener = bind(&config.server).await?;
            let stop = cancel.clone();
            let tls = config.server.tls.clone();
            Some(tokio::spawn(serve_api(listener, tls, state.clone(), async move { stop.cancelled().await })))
        } else {
            None
        };
        state.set_ready(true);
        let report = pipeline.run(cancel.clone()).await;
        match &report {
            Ok(r) => tracing::info!(
                indexed = r.indexed,
                deadlettered = r.deadlettered,
                commits = r.commits,
                "pipeline stopped"
            ),
            Err(e) => tracing::error!(error = %e, "pipeline failed"),
        }
        if report.is_ok() && !cancel.is_cancelled() && server.is_some() {
            tracing::info!("every source is exhausted; still serving the API until stopped");
        }
        if report.is_err() {
            cancel.cancel();
        }
        if let Some(server) = server {
            server.await.context("API task")??;
        }
        report.map(|_| ()).map_err(Into::into)
    })
}

pub(crate) fn serve(a: ServeArgs) -> Result<()> {
    let mut config = a.data.load()?;
    if let Some(l) = a.listen {
        config.server.listen = l;
        config.validate("command line")?;
    }
    // With the Kafka bus, a view over every processor's shards.
    let index = crate::context::open_view(&config)?;
    runtime()?.block_on(async move {
        let cancel = CancellationToken::new();
        cancel_on_signal(cancel.clone());
        let state = AppState::new(index).with_watches(&config.workspaces).with_guard(super::keys::guard(&config)?);
        state.set_ready(true);
        let listener = bind(&config.server).await?;
        serve_api(listener, config.server.tls.clone(), state, async move { cancel.cancelled().await }).await
    })
}

/// The API's listener on `server.listen`; warns when it reaches beyond this machine in plain HTTP.
async fn bind(server: &veille_config::ServerConfig) -> Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind(&server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", server.listen))?;
    let loopback = listener.local_addr().map(|a| a.ip().is_loopback()).unwrap_or(false);
    if !loopback && server.tls.is_none() {
        tracing::warn!(listen = %server.listen, "the API listens beyond loopback in plain HTTP: set [server.tls] or put a TLS proxy in front");
    }
    Ok(listener)
}

/// Serves the API on `listener` until `shutdown`, over HTTPS when `[server.tls]` is set.
async fn serve_api(
    listener: tokio::net::TcpListener,
    tls: Option<veille_config::TlsConfig>,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    match tls {
        Some(tls) => veille_server::serve_tls(listener.into_std()?, state, &tls, shutdown).await?,
        None => veille_server::serve(listener, state, shutdown).await?,
    }
    Ok(())
}
