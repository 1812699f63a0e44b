//! Creating the stage topics.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::types::RDKafkaErrorCode;
use veille_config::KafkaConfig;

use super::rebalance::TracingContext;
use super::{base_config, client_error, KafkaError};

/// Creates the mentions, alerts and dead-letter topics with the configured
/// partitions and replication factor; topics that already exist are kept as
/// they are.
pub async fn ensure_topics(config: &KafkaConfig) -> Result<(), KafkaError> {
    let admin: AdminClient<TracingContext> = base_config(config, "veille-admin", &[])
        .create_with_context(TracingContext)
        .map_err(|e| client_error(config, e))?;
    let topics = [&config.topics.mentions, &config.topics.alerts, &config.topics.deadletter];
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|name| {
            NewTopic::new(
                name.as_str(),
                config.partitions as i32,
                TopicReplication::Fixed(i32::from(config.replication_factor)),
            )
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin
        .create_topics(new.iter(), &options)
        .await
        .map_err(|e| KafkaError::Topic { topic: topics.map(|t| t.as_str()).join(","), reason: e.to_string() })?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => return Err(KafkaError::Topic { topic, reason: code.to_string() }),
        }
    }
    Ok(())
}
