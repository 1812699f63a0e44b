//! `veille run` (everything in one process) and `veille serve` (the API only).

use anyhow::{Context, Result};
use clap::Args;
use tokio_util::sync::CancellationToken;
use veille_pipeline::Pipeline;
use veille_server::AppState;

use crate::context::{open_index, spawn_api, ServerArgs};

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    server: ServerArgs,
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

pub(crate) fn run(a: RunArgs) -> Result<()> {
    let config = a.server.load()?;
    let index = open_index(&config.data.dir)?;
    runtime()?.block_on(async move {
        let cancel = CancellationToken::new();
        cancel_on_signal(cancel.clone());
        let pipeline = Pipeline::new(config.clone(), index.clone())?;
        let state = AppState::new(index)
            .with_alerts(pipeline.alerts())
            .with_key_nodes(pipeline.key_nodes())
            .with_push(pipeline.push())
            .with_watches(&config.workspaces)
            .with_guard(super::keys::guard(&config)?);
        let server = spawn_api(&config.server, veille_server::router(state.clone()), &cancel).await?;
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
    let config = a.server.load()?;
    // With the Kafka bus, a view over every processor's shards.
    let index = crate::context::open_view(&config)?;
    runtime()?.block_on(async move {
        let cancel = CancellationToken::new();
        cancel_on_signal(cancel.clone());
        let mut state = AppState::new(index).with_watches(&config.workspaces).with_guard(super::keys::guard(&config)?);
        // With the Kafka bus, alerts and key nodes as the signals owners publish them.
        #[cfg(feature = "kafka")]
        if config.bus.kind == veille_config::BusKind::Kafka {
            veille_bus::kafka::ensure_topics(&config.bus.kafka).await?;
            let tables = veille_pipeline::kafka::SignalTables::start(&config.bus.kafka)?;
            state = state.with_alerts(Some(tables.clone())).with_key_nodes(Some(tables));
        }
        state.set_ready(true);
        let server = spawn_api(&config.server, veille_server::router(state), &cancel).await?;
        match server {
            Some(server) => server.await.context("API task")?,
            None => anyhow::bail!("`veille serve` has nothing to do with server.enabled = false"),
        }
    })
}
