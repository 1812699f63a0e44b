//! Mentions through Kafka and back, the way ingest workers and processors use it.
//!
//! Start a broker first (a tansu on loopback will do):
//!
//! ```text
//! scripts/kafka-broker.sh start 19092
//! cargo run -p veille-bus --features kafka --example kafka_roundtrip -- 127.0.0.1:19092 10000
//! ```
//!
//! The example produces N mentions in batches (each batch resolves once the
//! broker acknowledged all of its records: that is when an ingest worker may
//! store its source cursor), then reads them back as a one-member consumer
//! group whose partition owner tracks the next offset of each partition, as a
//! processor's shards would in their commit payloads.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use veille_bus::kafka::{ensure_topics, KafkaGroupConsumer, KafkaSink, OwnerError, PartitionOwner};
use veille_bus::{Batch, Record};
use veille_config::KafkaConfig;
use veille_model::Mention;

/// Next offset per partition: what a processor stores with each shard commit.
#[derive(Default)]
struct Offsets(Mutex<BTreeMap<i32, i64>>);

impl PartitionOwner for Offsets {
    fn assigned(&self, topic: &str, partitions: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError> {
        println!("assigned {topic} partitions {partitions:?}");
        let offsets = self.0.lock().map_err(|_| OwnerError { partition: -1, reason: "poisoned".into() })?;
        Ok(partitions.iter().filter_map(|p| offsets.get(p).map(|o| (*p, *o))).collect())
    }

    fn revoked(&self, topic: &str, partitions: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError> {
        println!("revoked {topic} partitions {partitions:?}");
        let offsets = self.0.lock().map_err(|_| OwnerError { partition: -1, reason: "poisoned".into() })?;
        Ok(partitions.iter().filter_map(|p| offsets.get(p).map(|o| (*p, *o))).collect())
    }

    fn lost(&self, topic: &str, partitions: &[i32]) {
        println!("lost {topic} partitions {partitions:?}");
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let broker = args.next().unwrap_or_else(|| "127.0.0.1:9092".into());
    let count: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(10_000);
    let mut config = KafkaConfig { brokers: vec![broker], partitions: 4, ..KafkaConfig::default() };
    config.group_id = format!("veille-example-{}", std::process::id());
    // tansu serves fetches from batch starts only: one record per batch keeps every resume exact.
    config.properties.insert("batch.num.messages".into(), "1".into());
    ensure_topics(&config).await?;

    let sink = KafkaSink::new(&config)?;
    let started = Instant::now();
    let run = std::process::id();
    for first in (0..count).step_by(1_000) {
        let records = (first..count.min(first + 1_000))
            .map(|i| {
                let json = format!(
                    r#"{{"platform":"x","native_id":"{run}-{i}","text":"mention {i} of @acme","created_at":"2026-01-02T03:04:05Z","author":{{"handle":"a{}"}}}}"#,
                    i % 50
                );
                Mention::from_json(&json).map(|m| Record::Mention(Box::new(m)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let acked = sink.send_batch(&Batch::new("example", records, Some(first.to_string()))).await?;
        assert_eq!(acked.dead, 0);
    }
    let produce = started.elapsed().as_secs_f64();
    println!("produced {count} mentions in {produce:.2} s: {:.0} mentions/s", count as f64 / produce);

    let owner = Arc::new(Offsets::default());
    let consumer = tokio::task::spawn_blocking({
        let (config, owner) = (config.clone(), owner.clone());
        move || -> Result<(usize, f64), veille_bus::kafka::KafkaError> {
            let consumer = KafkaGroupConsumer::join(&config, owner.clone())?;
            let mut seen = 0;
            let mut first_record: Option<Instant> = None;
            while seen < count {
                let consumed = consumer.poll(1_000, Duration::from_secs(10))?;
                if consumed.is_empty() {
                    break;
                }
                first_record.get_or_insert_with(Instant::now);
                seen += consumed.len();
                let mut offsets = owner.0.lock().unwrap_or_else(|p| p.into_inner());
                for c in &consumed {
                    offsets.insert(c.partition, c.offset + 1);
                }
                consumer.commit(&offsets)?;
            }
            let secs = first_record.map_or(0.0, |t| t.elapsed().as_secs_f64());
            consumer.close()?;
            Ok((seen, secs))
        }
    });
    let (seen, secs) = consumer.await??;
    println!("consumed {seen} mentions in {secs:.2} s: {:.0} mentions/s", seen as f64 / secs.max(1e-9));
    println!("next offsets: {:?}", owner.0.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(())
}
