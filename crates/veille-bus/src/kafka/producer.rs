//! The idempotent producer: mentions and dead letters from the ingest role, signal facts from
//! the processors, alert states and key nodes from the signals owners.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rdkafka::error::KafkaError as RdKafkaError;
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use veille_config::KafkaConfig;

use super::codec::{encode, Stage};
use super::rebalance::TracingContext;
use super::{base_config, client_error, metrics, KafkaError, KIND_HEADER, SOURCE_HEADER};
use crate::Batch;

/// Produces batches to the stage topics; every record is written once and
/// acknowledged by all in-sync replicas (`enable.idempotence`, `acks=all`).
pub struct KafkaSink {
    producer: FutureProducer<TracingContext>,
    mentions: String,
    deadletter: String,
}

/// What the broker acknowledged for one batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Acked {
    /// Mentions written to the mentions topic.
    pub mentions: usize,
    /// Dead letters written to the dead-letter topic.
    pub dead: usize,
}

impl std::fmt::Debug for KafkaSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSink").field("mentions", &self.mentions).field("deadletter", &self.deadletter).finish()
    }
}

impl KafkaSink {
    /// A producer for the brokers and topics of `config`; it connects lazily.
    ///
    /// Must be called inside a Tokio runtime.
    pub fn new(config: &KafkaConfig) -> Result<Self, KafkaError> {
        let mut client = base_config(config, "veille-ingest", &[]);
        client
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("compression.codec", config.compression.codec())
            .set("message.timeout.ms", config.ack_timeout_ms.to_string());
        let producer: FutureProducer<TracingContext> =
            client.create_with_context(TracingContext).map_err(|e| client_error(config, e))?;
        Ok(KafkaSink {
            producer,
            mentions: config.topics.mentions.clone(),
            deadletter: config.topics.deadletter.clone(),
        })
    }

    /// Sends every record of `batch` (mentions to the mentions topic keyed by
    /// mention key, dead letters to the dead-letter topic) and resolves once
    /// the broker acknowledged all of them: only then may the batch's source
    /// cursor be stored.
    ///
    /// On error some records may have been written: the source resends the
    /// batch from its last stored cursor, and the index upserts by mention key,
    /// so a resent mention replaces its copy.
    pub async fn send_batch(&self, batch: &Batch) -> Result<Acked, KafkaError> {
        let started = Instant::now();
        let mut pending = VecDeque::with_capacity(batch.records.len());
        let mut acked = Acked::default();
        for record in &batch.records {
            let encoded = encode(record);
            let topic = match encoded.stage {
                Stage::Mentions => Topic::Mentions,
                Stage::DeadLetter => Topic::DeadLetter,
            };
            let headers =
                OwnedHeaders::new().insert(Header { key: SOURCE_HEADER, value: Some(batch.source.as_bytes()) });
            let message = FutureRecord::to(self.name(topic))
                .key(encoded.key.as_str())
                .payload(encoded.payload.as_str())
                .headers(headers);
            self.enqueue(topic, message, &mut pending, &mut acked).await?;
        }
        while let Some(delivery) = pending.pop_front() {
            self.settle_counted(delivery, &mut acked).await?;
        }
        metrics::BATCH_ACK.observe(started.elapsed().as_secs_f64());
        Ok(acked)
    }

    /// Sends one message to `topic`, keyed by `key` (with a `veille-kind` header when `kind`
    /// is given), and resolves once the broker acknowledged it.
    pub async fn send_now(&self, topic: &str, key: &str, kind: Option<&str>, payload: &str) -> Result<(), KafkaError> {
        let mut pending = Pending::default();
        self.send_later(topic, key, kind, payload, &mut pending).await?;
        self.settle(&mut pending).await.map(|_| ())
    }

    /// Hands one message for `topic` to the producer without waiting for its acknowledgement
    /// (it joins `pending`); while librdkafka's queue is full, waits for the oldest pending
    /// acknowledgement instead of buffering more.
    pub async fn send_later(
        &self,
        topic: &str,
        key: &str,
        kind: Option<&str>,
        payload: &str,
        pending: &mut Pending,
    ) -> Result<(), KafkaError> {
        let mut message = FutureRecord::to(topic).key(key).payload(payload);
        if let Some(kind) = kind {
            message = message.headers(OwnedHeaders::new().insert(Header { key: KIND_HEADER, value: Some(kind) }));
        }
        loop {
            match self.producer.send_result(message) {
                Ok(delivery) => {
                    pending.deliveries.push_back((delivery, topic.to_string()));
                    return Ok(());
                }
                Err((RdKafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    message = back;
                    match pending.deliveries.pop_front() {
                        Some((delivery, topic)) => settle_one(delivery, &topic).await?,
                        None => tokio::time::sleep(Duration::from_millis(5)).await,
                    }
                }
                Err((source, _)) => {
                    metrics::PRODUCE_ERRORS.with_label_values(&[topic]).inc();
                    return Err(KafkaError::Delivery { topic: topic.to_string(), partition: -1, source });
                }
            }
        }
    }

    /// Hands one message for `topic` to the producer and returns at once; its
    /// acknowledgement is awaited on the current Tokio runtime (a failure is logged and
    /// counted). For commands a caller cannot wait on, such as an acknowledgement made
    /// through the API.
    pub fn send_detached(&self, topic: &str, key: &str, kind: Option<&str>, payload: &str) -> Result<(), KafkaError> {
        let mut message = FutureRecord::to(topic).key(key).payload(payload);
        if let Some(kind) = kind {
            message = message.headers(OwnedHeaders::new().insert(Header { key: KIND_HEADER, value: Some(kind) }));
        }
        match self.producer.send_result(message) {
            Ok(delivery) => {
                let topic = topic.to_string();
                tokio::spawn(async move {
                    if let Err(error) = settle_one(delivery, &topic).await {
                        tracing::error!(%topic, %error, "a message was not acknowledged");
                    }
                });
                Ok(())
            }
            Err((source, _)) => {
                metrics::PRODUCE_ERRORS.with_label_values(&[topic]).inc();
                Err(KafkaError::Delivery { topic: topic.to_string(), partition: -1, source })
            }
        }
    }

    /// Waits until every message of `pending` is acknowledged; returns how many were, or the
    /// first failure (the others are still waited for, so none is left in flight).
    pub async fn settle(&self, pending: &mut Pending) -> Result<usize, KafkaError> {
        let mut acknowledged = 0;
        let mut first_error = None;
        while let Some((delivery, topic)) = pending.deliveries.pop_front() {
            match settle_one(delivery, &topic).await {
                Ok(()) => acknowledged += 1,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(acknowledged),
        }
    }

    /// Waits until every record sent so far is acknowledged or failed.
    pub fn flush(&self, timeout: Duration) -> Result<(), KafkaError> {
        self.producer.flush(timeout).map_err(|source| match source {
            RdKafkaError::Flush(RDKafkaErrorCode::OperationTimedOut) => KafkaError::Timeout { what: "flush", timeout },
            source => KafkaError::Delivery { topic: self.mentions.clone(), partition: -1, source },
        })
    }

    /// Hands a record to librdkafka; while its queue is full, waits for the
    /// oldest pending acknowledgement instead of buffering more.
    async fn enqueue(
        &self,
        topic: Topic,
        mut message: FutureRecord<'_, str, str>,
        pending: &mut VecDeque<(DeliveryFuture, Topic)>,
        acked: &mut Acked,
    ) -> Result<(), KafkaError> {
        loop {
            match self.producer.send_result(message) {
                Ok(delivery) => {
                    pending.push_back((delivery, topic));
                    return Ok(());
                }
                Err((RdKafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    message = back;
                    match pending.pop_front() {
                        Some(delivery) => self.settle_counted(delivery, acked).await?,
                        None => tokio::time::sleep(Duration::from_millis(5)).await,
                    }
                }
                Err((source, _)) => {
                    metrics::PRODUCE_ERRORS.with_label_values(&[self.name(topic)]).inc();
                    return Err(KafkaError::Delivery { topic: self.name(topic).to_string(), partition: -1, source });
                }
            }
        }
    }

    /// Waits for one acknowledgement and counts it.
    async fn settle_counted(
        &self,
        (delivery, topic): (DeliveryFuture, Topic),
        acked: &mut Acked,
    ) -> Result<(), KafkaError> {
        let name = self.name(topic);
        match delivery.await {
            Ok(Ok(_)) => {
                metrics::PRODUCED.with_label_values(&[name]).inc();
                match topic {
                    Topic::Mentions => acked.mentions += 1,
                    Topic::DeadLetter => acked.dead += 1,
                }
                Ok(())
            }
            Ok(Err((source, message))) => {
                metrics::PRODUCE_ERRORS.with_label_values(&[name]).inc();
                Err(KafkaError::Delivery { topic: name.to_string(), partition: message.partition(), source })
            }
            Err(_canceled) => Err(KafkaError::Closed { topic: name.to_string() }),
        }
    }

    fn name(&self, topic: Topic) -> &str {
        match topic {
            Topic::Mentions => &self.mentions,
            Topic::DeadLetter => &self.deadletter,
        }
    }
}

/// Messages handed to the producer whose acknowledgements are awaited (see
/// [`KafkaSink::send_later`] and [`KafkaSink::settle`]).
#[derive(Default)]
pub struct Pending {
    deliveries: VecDeque<(DeliveryFuture, String)>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").field("messages", &self.deliveries.len()).finish()
    }
}

impl Pending {
    /// Messages still awaiting their acknowledgement.
    pub fn len(&self) -> usize {
        self.deliveries.len()
    }

    /// Whether nothing awaits an acknowledgement.
    pub fn is_empty(&self) -> bool {
        self.deliveries.is_empty()
    }
}

/// Waits for one acknowledgement and counts it.
async fn settle_one(delivery: DeliveryFuture, topic: &str) -> Result<(), KafkaError> {
    match delivery.await {
        Ok(Ok(_)) => {
            metrics::PRODUCED.with_label_values(&[topic]).inc();
            Ok(())
        }
        Ok(Err((source, message))) => {
            metrics::PRODUCE_ERRORS.with_label_values(&[topic]).inc();
            Err(KafkaError::Delivery { topic: topic.to_string(), partition: message.partition(), source })
        }
        Err(_canceled) => Err(KafkaError::Closed { topic: topic.to_string() }),
    }
}

/// The topic a pending record goes to.
#[derive(Debug, Clone, Copy)]
enum Topic {
    Mentions,
    DeadLetter,
}
