//! Creating the stage topics.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::types::RDKafkaErrorCode;
use veille_config::KafkaConfig;

use super::rebalance::TracingContext;
use super::{base_config, client_error, KafkaError};

/// Creates the stage topics with the configured partitions and replication factor: mentions,
/// signals and dead letters as logs, alerts and key nodes as compacted tables (the latest value
/// of each key is what counts). Topics that already exist are kept as they are.
pub async fn ensure_topics(config: &KafkaConfig) -> Result<(), KafkaError> {
    let admin: AdminClient<TracingContext> = base_config(config, "veille-admin", &[])
        .create_with_context(TracingContext)
        .map_err(|e| client_error(config, e))?;
    let t = &config.topics;
    let topics =
        [(&t.mentions, false), (&t.signals, false), (&t.alerts, true), (&t.keynodes, true), (&t.deadletter, false)];
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|(name, compacted)| {
            let topic = NewTopic::new(
                name.as_str(),
                config.partitions as i32,
                TopicReplication::Fixed(i32::from(config.replication_factor)),
            );
            if *compacted {
                topic.set("cleanup.policy", "compact")
            } else {
                topic
            }
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin.create_topics(new.iter(), &options).await.map_err(|e| KafkaError::Topic {
        topic: topics.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(","),
        reason: e.to_string(),
    })?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => return Err(KafkaError::Topic { topic, reason: code.to_string() }),
        }
    }
    Ok(())
}
