//! `veille ingest` and `veille process`: the two Kafka roles.

use anyhow::{Context, Result};
use clap::Args;
use tokio_util::sync::CancellationToken;
use veille_pipeline::kafka::{shards_root, IngestWorker, Processor};
use veille_server::AppState;

use super::run::{cancel_on_signal, runtime};
use crate::context::DataArgs;

#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Address for `/metrics` and the health endpoints (overrides `server.listen`).
    #[arg(long)]
    listen: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ProcessArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Address for the API (overrides `server.listen`); every processor answers
    /// queries over all shards.
    #[arg(long)]
    listen: Option<String>,
}

/// Runs the configured sources and produces what they read to Kafka.
pub(crate) fn ingest(a: IngestArgs) -> Result<()> {
    let mut config = a.data.load()?;
    if let Some(l) = a.listen {
        config.server.listen = l;
        config.validate("command line")?;
    }
    std::fs::create_dir_all(&config.data.dir)
        .with_context(|| format!("cannot create the data directory {}", config.data.dir.display()))?;
    runtime()?.block_on(async move {
        let cancel = CancellationToken::new();
        cancel_on_signal(cancel.clone());
        let worker = IngestWorker::new(config.clone())?;
        // Metrics and health for the orchestrator; an ingest worker answers no queries.
        let ops = if config.server.enabled {
            let listener = tokio::net::TcpListener::bind(&config.server.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.server.listen))?;
            let stop = cancel.clone();
            Some(tokio::spawn(veille_server::serve_ops(listener, async move { stop.cancelled().await })))
        } else {
            None
        };
        let report = worker.run(cancel.clone()).await;
        cancel.cancel();
        if let Some(ops) = ops {
            ops.await.context("metrics task")??;
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
    let mut config = a.data.load()?;
    if let Some(l) = a.listen {
        config.server.listen = l;
        config.validate("command line")?;
    }
    let root = shards_root(&config.data.dir);
    std::fs::create_dir_all(&root).with_context(|| format!("cannot create {}", root.display()))?;
    runtime()?.block_on(async move {
        let cancel = CancellationToken::new();
        cancel_on_signal(cancel.clone());
        let processor = Processor::new(config.clone())?;
        let view = veille_index::MentionIndex::open_sharded(&root)?;
        let state = AppState::new(view)
            .with_alerts(processor.alerts())
            .with_key_nodes(processor.key_nodes())
            .with_watches(&config.workspaces)
            .with_guard(super::keys::guard(&config)?);
        let server = if config.server.enabled {
            let listener = tokio::net::TcpListener::bind(&config.server.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.server.listen))?;
            let stop = cancel.clone();
            Some(tokio::spawn(veille_server::serve(listener, state.clone(), async move { stop.cancelled().await })))
        } else {
            None
        };
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
