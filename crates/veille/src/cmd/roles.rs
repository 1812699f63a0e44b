//! `veille ingest`, `veille process` and `veille signals`: the Kafka roles.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use tokio_util::sync::CancellationToken;
use veille_pipeline::kafka::{shards_root, IngestWorker, Processor, SignalsOwner};
use veille_server::AppState;

use super::run::{cancel_on_signal, runtime};
use crate::context::{spawn_api, ServerArgs};

#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    /// `--listen`: the address of the push endpoint, `/metrics` and the health endpoints.
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ProcessArgs {
    /// `--listen`: the address of the API; every processor answers queries over all shards.
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SignalsArgs {
    /// `--listen`: the address of the API; a signals owner answers for the alerts and key
    /// nodes of the workspaces it owns, and searches over all shards.
    #[command(flatten)]
    server: ServerArgs,
}

/// Runs the configured sources and produces what they read to Kafka; serves the push
/// endpoint, whose answers wait for the broker's acknowledgement.
pub(crate) fn ingest(a: IngestArgs) -> Result<()> {
    let config = a.server.load()?;
    std::fs::create_dir_all(&config.data.dir)
        .with_context(|| format!("cannot create the data directory {}", config.data.dir.display()))?;
    runtime()?.block_on(async move {
        let cancel = CancellationToken::new();
        cancel_on_signal(cancel.clone());
        let worker = IngestWorker::new(config.clone())?;
        let ready = Arc::new(AtomicBool::new(false));
        let app = veille_server::ingest_router(worker.push(), super::keys::guard(&config)?, ready.clone());
        let server = spawn_api(&config.server, app, &cancel).await?;
        ready.store(true, Ordering::Relaxed);
        let report = worker.run(cancel.clone()).await;
        cancel.cancel();
        if let Some(server) = server {
            server.await.context("API task")??;
        }
        let report = report?;
        tracing::info!(
            produced = report.indexed,
            deadlettered = report.deadlettered,
            cursor_saves = report.commits,
            sources = ?report.sources,
            "ingest worker stopped"
        );
        Ok(())
    })
}

/// Joins the processors' consumer group and indexes the partitions it is given.
pub(crate) fn process(a: ProcessArgs) -> Result<()> {
    let config = a.server.load()?;
    let root = shards_root(&config.data.dir);
    std::fs::create_dir_all(&root).with_context(|| format!("cannot create {}", root.display()))?;
    runtime()?.block_on(async move {
        let cancel = CancellationToken::new();
        cancel_on_signal(cancel.clone());
        let processor = Processor::new(config.clone())?;
        let view = veille_index::MentionIndex::open_sharded(&root)?;
        let state = AppState::new(view).with_watches(&config.workspaces).with_guard(super::keys::guard(&config)?);
        let server = spawn_api(&config.server, veille_server::router(state.clone()), &cancel).await?;
        state.set_ready(true);
        let report = processor.run(cancel.clone()).await;
        match &report {
            Ok(r) => tracing::info!(
                indexed = r.indexed,
                deadlettered = r.deadlettered,
                commits = r.commits,
                "processor stopped"
            ),
            Err(e) => tracing::error!(error = %e, "processor failed"),
        }
        cancel.cancel();
        if let Some(server) = server {
            server.await.context("API task")??;
        }
        report.map(|_| ()).map_err(Into::into)
    })
}

/// Joins the signals owners' group and judges the workspaces of the partitions it is given.
pub(crate) fn signals(a: SignalsArgs) -> Result<()> {
    let config = a.server.load()?;
    let root = shards_root(&config.data.dir);
    std::fs::create_dir_all(&root).with_context(|| format!("cannot create {}", root.display()))?;
    runtime()?.block_on(async move {
        let cancel = CancellationToken::new();
        cancel_on_signal(cancel.clone());
        veille_bus::kafka::ensure_topics(&config.bus.kafka).await?;
        let owner = SignalsOwner::new(config.clone())?;
        let view = veille_index::MentionIndex::open_sharded(&root)?;
        let state = AppState::new(view)
            .with_alerts(Some(owner.clone()))
            .with_key_nodes(Some(owner.clone()))
            .with_watches(&config.workspaces)
            .with_guard(super::keys::guard(&config)?);
        let server = spawn_api(&config.server, veille_server::router(state.clone()), &cancel).await?;
        state.set_ready(true);
        let outcome = owner.run(cancel.clone()).await;
        match &outcome {
            Ok(()) => tracing::info!("signals owner stopped"),
            Err(e) => tracing::error!(error = %e, "signals owner failed"),
        }
        cancel.cancel();
        if let Some(server) = server {
            server.await.context("API task")??;
        }
        outcome.map_err(Into::into)
    })
}
