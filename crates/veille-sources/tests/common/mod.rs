//! What the connector tests share: a running source and what it sent.
#![allow(dead_code)]

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use veille_bus::{Batch, BatchReceiver, Record};
use veille_model::{DeadLetter, Mention};
use veille_sources::{Source, SourceContext, SourceEnd, SourceError};

/// A fixture file of this crate, as text.
pub fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A source running on its own task, and what it sent so far.
pub struct Running {
    pub bus: BatchReceiver,
    pub cancel: CancellationToken,
    pub task: JoinHandle<Result<SourceEnd, SourceError>>,
    pub mentions: Vec<Mention>,
    pub dead: Vec<DeadLetter>,
    /// The cursor of every batch, in order.
    pub cursors: Vec<Option<String>>,
}

/// Starts `source` resuming from `resume`.
pub fn start(source: Box<dyn Source>, resume: Option<String>, batch_size: usize) -> Running {
    let (out, bus) = veille_bus::embedded(64);
    let cancel = CancellationToken::new();
    let ctx = SourceContext { resume, out, batch_size, cancel: cancel.clone(), progress: Default::default() };
    let task = tokio::spawn(source.run(ctx));
    Running { bus, cancel, task, mentions: Vec::new(), dead: Vec::new(), cursors: Vec::new() }
}

impl Running {
    /// Receives batches until `done` holds, failing after `timeout`.
    pub async fn until(&mut self, what: &str, timeout: Duration, done: impl Fn(&Running) -> bool) {
        let deadline = tokio::time::Instant::now() + timeout;
        while !done(self) {
            let batch = tokio::time::timeout_at(deadline, self.bus.recv()).await;
            let batch = match batch {
                Ok(Some(b)) => b,
                Ok(None) => panic!("the source stopped before {what}"),
                Err(_) => panic!(
                    "timed out waiting for {what}: got {:?}, dead {:?}",
                    self.keys(),
                    self.dead.iter().map(|d| &d.reason).collect::<Vec<_>>()
                ),
            };
            self.absorb(batch);
        }
    }

    /// Keeps receiving for `quiet`, to catch anything sent late.
    pub async fn settle(&mut self, quiet: Duration) {
        let deadline = tokio::time::Instant::now() + quiet;
        while let Ok(Some(batch)) = tokio::time::timeout_at(deadline, self.bus.recv()).await {
            self.absorb(batch);
        }
    }

    /// Keeps what `batch` holds and, standing for the index, tells its sender it is durable.
    fn absorb(&mut self, batch: Batch) {
        for r in batch.records {
            match r {
                Record::Mention(m) => self.mentions.push(*m),
                Record::Dead(d) => self.dead.push(*d),
            }
        }
        self.cursors.push(batch.cursor);
        if let Some(notice) = batch.on_durable {
            notice.notify();
        }
    }

    /// Native ids of the mentions received, in order.
    pub fn ids(&self) -> Vec<String> {
        self.mentions.iter().map(|m| m.native_id().to_string()).collect()
    }

    /// Keys of the mentions received, in order.
    pub fn keys(&self) -> Vec<String> {
        self.mentions.iter().map(|m| m.key().to_string()).collect()
    }

    /// The last cursor sent.
    pub fn last_cursor(&self) -> Option<String> {
        self.cursors.iter().rev().flatten().next().cloned()
    }

    /// Cancels the source and checks it stops promptly and cleanly.
    pub async fn stop(self) -> Running {
        self.cancel.cancel();
        let Running { bus, cancel, task, mentions, dead, cursors } = self;
        let end = tokio::time::timeout(Duration::from_secs(5), task).await.expect("stopped within 5 s");
        assert_eq!(end.expect("task").expect("source result"), SourceEnd::Cancelled);
        Running { bus, cancel, task: tokio::spawn(async { Ok(SourceEnd::Cancelled) }), mentions, dead, cursors }
    }
}

/// Asserts every id appears once, in this order.
pub fn assert_exactly(got: &[String], expected: &[&str]) {
    assert_eq!(got, expected, "each mention exactly once, in order");
}

/// `veille_source_errors_total` of `source` for `kind` (the metric is process-wide: give each
/// test's source a name of its own).
pub fn errors_of(source: &str, kind: &str) -> u64 {
    let families = prometheus::gather();
    let Some(family) = families.iter().find(|f| f.name() == "veille_source_errors_total") else { return 0 };
    family
        .get_metric()
        .iter()
        .filter(|m| {
            let label = |name: &str| m.get_label().iter().find(|l| l.name() == name).map(|l| l.value().to_string());
            label("source").as_deref() == Some(source) && label("kind").as_deref() == Some(kind)
        })
        .map(|m| m.get_counter().get_value() as u64)
        .sum()
}
