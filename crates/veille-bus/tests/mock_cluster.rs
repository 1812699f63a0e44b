//! The Kafka wrappers against librdkafka's in-process mock cluster: fast
//! checks of acknowledgements, routing, decoding and assignment start offsets.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::mocking::MockCluster;
use veille_bus::kafka::{KafkaGroupConsumer, KafkaSink, OwnerError, PartitionOwner};
use veille_bus::{Batch, Record};
use veille_config::KafkaConfig;
use veille_model::{DeadLetter, Mention, Origin};

fn mention(i: usize) -> Record {
    let json = format!(
        r#"{{"platform":"x","native_id":"{i}","text":"hello @acme {i}","created_at":"2026-01-02T03:04:05Z","author":{{"handle":"a{i}"}}}}"#
    );
    Record::Mention(Box::new(Mention::from_json(&json).unwrap_or_else(|e| panic!("{e}"))))
}

fn config(cluster: &MockCluster<'_, rdkafka::producer::DefaultProducerContext>) -> KafkaConfig {
    let mut config = KafkaConfig { brokers: vec![cluster.bootstrap_servers()], ..KafkaConfig::default() };
    config.group_id = "mock-group".into();
    config
}

/// Starts partition 0 at a fixed offset and remembers what it was told.
#[derive(Default)]
struct StartAt {
    start: BTreeMap<i32, i64>,
    events: Mutex<Vec<String>>,
}

impl PartitionOwner for StartAt {
    fn assigned(&self, _: &str, partitions: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError> {
        self.events.lock().unwrap().push(format!("assigned {partitions:?}"));
        Ok(self.start.clone())
    }
    fn revoked(&self, _: &str, partitions: &[i32]) -> Result<BTreeMap<i32, i64>, OwnerError> {
        self.events.lock().unwrap().push(format!("revoked {partitions:?}"));
        Ok(BTreeMap::new())
    }
    fn lost(&self, _: &str, partitions: &[i32]) {
        self.events.lock().unwrap().push(format!("lost {partitions:?}"));
    }
}

fn consume(consumer: &KafkaGroupConsumer, want: usize) -> Vec<veille_bus::kafka::Consumed> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut out = Vec::new();
    while out.len() < want && Instant::now() < deadline {
        out.extend(consumer.poll(want - out.len(), Duration::from_millis(500)).unwrap_or_else(|e| panic!("{e}")));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_resolves_once_every_record_is_acknowledged_and_dead_letters_go_to_their_topic() {
    let cluster = MockCluster::new(1).unwrap();
    let config = config(&cluster);
    cluster.create_topic(&config.topics.mentions, 1, 1).unwrap();
    cluster.create_topic(&config.topics.deadletter, 1, 1).unwrap();
    let sink = KafkaSink::new(&config).unwrap();
    let mut records: Vec<Record> = (0..50).map(mention).collect();
    let origin = Origin { source: "replay".into(), location: "line 7".into() };
    records.push(Record::Dead(Box::new(DeadLetter::new(origin, "text is missing", "{}"))));
    let acked = sink.send_batch(&Batch::new("replay", records, Some("51".into()))).await.unwrap();
    assert_eq!((acked.mentions, acked.dead), (50, 1));
    cluster.create_topic(&config.topics.alerts, 1, 1).unwrap();
    sink.send_now(&config.topics.alerts, "default/acme/crisis", Some("alert"), r#"{"status":"firing"}"#).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_consumer_starts_each_partition_where_its_owner_says() {
    let cluster = MockCluster::new(1).unwrap();
    let config = config(&cluster);
    cluster.create_topic(&config.topics.mentions, 1, 1).unwrap();
    let sink = KafkaSink::new(&config).unwrap();
    sink.send_batch(&Batch::new("replay", (0..30).map(mention).collect(), None)).await.unwrap();

    let owner = Arc::new(StartAt { start: BTreeMap::from([(0, 12)]), ..StartAt::default() });
    let consumed = tokio::task::spawn_blocking({
        let (config, owner) = (config.clone(), owner.clone());
        move || {
            let consumer = KafkaGroupConsumer::join(&config, owner).unwrap();
            let consumed = consume(&consumer, 18);
            assert_eq!(consumer.assignment().unwrap(), vec![0]);
            consumer.close().unwrap();
            consumed
        }
    })
    .await
    .unwrap();
    let offsets: Vec<i64> = consumed.iter().map(|c| c.offset).collect();
    assert_eq!(offsets, (12..30).collect::<Vec<_>>());
    let Record::Mention(first) = &consumed[0].record else { panic!("offset 12 holds a mention") };
    assert_eq!(first.key().as_str(), "x:12");
    let events = owner.events.lock().unwrap().clone();
    assert_eq!(events, vec!["assigned [0]".to_string(), "revoked [0]".to_string()]);
}
