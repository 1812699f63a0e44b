//! Enrichment on several threads: per-mention steps run on a pool of workers, and the steps
//! after them, and the index, still see mentions in the order the source read them.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use std::io::Write;
use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use tokio_util::sync::CancellationToken;
use veille_config::{Config, NdjsonSource, SourceConfig};
use veille_index::MentionIndex;
use veille_model::{Author, Mention, Platform};
use veille_pipeline::{Enricher, Pipeline, PipelineError};

/// A per-mention step whose cost varies from mention to mention, so that workers finish their
/// batches out of order; it panics on the mention with id `panic_on`, if any.
#[derive(Clone)]
struct Uneven {
    panic_on: Option<String>,
}

impl Enricher for Uneven {
    fn name(&self) -> &'static str {
        "uneven"
    }

    fn enrich(&mut self, mention: &mut Mention) {
        let id: u64 = mention.key().as_str().rsplit(':').next().and_then(|n| n.parse().ok()).unwrap_or(0);
        if self.panic_on.as_deref() == Some(&id.to_string()) {
            panic!("uneven step fails on mention {id}");
        }
        if id.is_multiple_of(97) {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        mention.attributes.insert("uneven".into(), "seen".into());
    }

    fn fork(&self) -> Option<Box<dyn Enricher>> {
        Some(Box::new(self.clone()))
    }
}

/// A stateful step: records the order it sees mentions in, and that the per-mention step ran first.
struct Recorder(Arc<Mutex<Vec<(String, bool)>>>);

impl Enricher for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }

    fn enrich(&mut self, mention: &mut Mention) {
        let seen = mention.attributes.contains_key("uneven");
        if let Ok(mut order) = self.0.lock() {
            order.push((mention.key().as_str().to_string(), seen));
        }
    }
}

fn setup(dir: &std::path::Path, n: u64) -> Config {
    let path = dir.join("in.ndjson");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
    for i in 0..n {
        let author = Author { handle: "ann".into(), ..Author::default() };
        let m = Mention::new(Platform::X, i.to_string(), format!("post number {i}"), at, author);
        writeln!(out, "{}", m.to_json()).unwrap();
    }
    drop(out);
    let mut config = Config::default();
    config.signals.enabled = false;
    config.graph.enabled = false;
    config.bus.batch_size = 16;
    config.data.dir = dir.join("data");
    config.sources = vec![SourceConfig::Ndjson(NdjsonSource { name: "in".into(), path, workspace: None })];
    config
}

#[test]
fn stateful_steps_and_the_index_see_mentions_in_source_order() {
    let dir = tempfile::tempdir().unwrap();
    let n = 3_000;
    let config = setup(dir.path(), n);
    let index = MentionIndex::open(&config.data.dir.join("index")).unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let pipeline = Pipeline::new(config, index.clone())
        .unwrap()
        .enrich_with(Box::new(Uneven { panic_on: None }))
        .enrich_with(Box::new(Recorder(order.clone())));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let report = runtime.block_on(pipeline.run(CancellationToken::new())).unwrap();
    assert_eq!((report.indexed, index.num_docs()), (n, n));
    let order = order.lock().unwrap();
    let expected: Vec<(String, bool)> = (0..n).map(|i| (format!("x:{i}"), true)).collect();
    assert_eq!(*order, expected, "in source order, each after the per-mention step");
}

#[test]
fn a_worker_that_panics_stops_the_pipeline_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path(), 2_000);
    let index = MentionIndex::open(&config.data.dir.join("index")).unwrap();
    let pipeline =
        Pipeline::new(config, index).unwrap().enrich_with(Box::new(Uneven { panic_on: Some("1234".into()) }));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let result = runtime.block_on(pipeline.run(CancellationToken::new()));
    assert!(matches!(result, Err(PipelineError::Stage("enrich"))), "{result:?}");
}
