//! The enrichment stage: every mention passes through each enricher in turn.

use std::sync::mpsc::SyncSender;
use std::thread::JoinHandle;
use std::time::Instant;

use veille_bus::{Batch, BatchReceiver, Record};
use veille_model::Mention;

use crate::metrics;

/// One enrichment step (matching, sentiment, key-node score, ...).
pub trait Enricher: Send {
    /// Short name for logs and metrics.
    fn name(&self) -> &'static str;

    /// Adds what this step knows to the mention.
    fn enrich(&mut self, mention: &mut Mention);
}

/// Stamps `ingested_at` on mentions that do not carry it.
#[derive(Debug, Clone, Copy, Default)]
pub struct IngestTime;

impl Enricher for IngestTime {
    fn name(&self) -> &'static str {
        "ingest_time"
    }

    fn enrich(&mut self, mention: &mut Mention) {
        if mention.ingested_at.is_none() {
            mention.ingested_at = Some(chrono::Utc::now());
        }
    }
}

pub(crate) fn spawn(
    mut rx: BatchReceiver,
    tx: SyncSender<Batch>,
    mut enrichers: Vec<Box<dyn Enricher>>,
) -> std::io::Result<JoinHandle<()>> {
    let body = move || {
        while let Some(mut batch) = rx.blocking_recv() {
            let started = Instant::now();
            for record in &mut batch.records {
                if let Record::Mention(m) = record {
                    for e in enrichers.iter_mut() {
                        e.enrich(m);
                    }
                }
            }
            metrics::ENRICH_SECONDS.observe(started.elapsed().as_secs_f64());
            if tx.send(batch).is_err() {
                // The index stage stopped (it reports why); stop reading.
                return;
            }
        }
    };
    std::thread::Builder::new().name("veille-enrich".into()).spawn(body)
}
