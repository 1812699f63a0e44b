//! `[bus.kafka]`: the Kafka transport used when `bus.kind = "kafka"`.
//!
//! ```toml
//! [bus]
//! kind = "kafka"
//!
//! [bus.kafka]
//! brokers = ["kafka-0.kafka:9092", "kafka-1.kafka:9092"]
//! group_id = "veille-process"     # every processor of one deployment joins this group
//! signals_group_id = "veille-signals"   # every signals owner (`veille signals`) joins this one
//! compression = "lz4"             # none | gzip | snappy | lz4 | zstd
//! partitions = 12                 # when veille creates the topics; the most processors that can share the work
//! replication_factor = 3          # when veille creates the topics
//! ack_timeout_ms = 30000          # a record not acknowledged by then fails its batch
//!
//! [bus.kafka.topics]
//! mentions = "veille.mentions.raw"   # mentions from the ingest workers, keyed by mention key
//! signals = "veille.signals"         # compact signal facts from the processors, keyed by workspace
//! alerts = "veille.alerts"           # the alerts' states, from the signals owners (compacted)
//! keynodes = "veille.keynodes"       # each workspace's key nodes, from the signals owners (compacted)
//! deadletter = "veille.deadletter"
//!
//! [bus.kafka.properties]          # extra librdkafka settings, passed as they are
//! "linger.ms" = "20"
//! ```
//!
//! veille sets the settings its guarantees rest on (idempotent producer,
//! `acks=all`, offsets stored and committed only by veille); `properties`
//! may not override them.

use std::collections::BTreeMap;

use serde::Deserialize;

/// librdkafka settings that veille sets itself because its delivery guarantees depend on them.
pub const RESERVED_PROPERTIES: &[&str] = &[
    "bootstrap.servers",
    "metadata.broker.list",
    "group.id",
    "enable.idempotence",
    "acks",
    "request.required.acks",
    "enable.auto.commit",
    "enable.auto.offset.store",
    "compression.codec",
    "compression.type",
    "transactional.id",
];

/// `[bus.kafka]`: brokers, topics, consumer group and producer settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap brokers, `host:port`. Default `["127.0.0.1:9092"]`.
    pub brokers: Vec<String>,
    /// Topic names, one per stage.
    pub topics: KafkaTopics,
    /// Consumer group the processors join. Default `veille-process`.
    pub group_id: String,
    /// Consumer group the signals owners join: each owns some workspaces (the partitions of
    /// the signals topic). Default `veille-signals`.
    pub signals_group_id: String,
    /// Compression of produced batches. Default `lz4`.
    pub compression: Compression,
    /// Partitions of each topic when veille creates it. Default 12.
    pub partitions: u32,
    /// Replicas of each partition when veille creates a topic. Default 1.
    pub replication_factor: u16,
    /// How long the producer keeps retrying a record before its batch fails, in ms. Default 30,000.
    pub ack_timeout_ms: u64,
    /// Extra librdkafka settings (`"linger.ms" = "20"`), applied to producers and consumers.
    pub properties: BTreeMap<String, String>,
}

/// `[bus.kafka.topics]`: one topic per stage.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaTopics {
    /// Mentions from the ingest workers, keyed by mention key. Default `veille.mentions.raw`.
    pub mentions: String,
    /// Compact signal facts (what buckets, detectors and the key-node graph need of each
    /// mention, not its text), from the processors, keyed by workspace. Default `veille.signals`.
    pub signals: String,
    /// The state of every alert, from the signals owners, keyed by alert id (compacted): what
    /// every API server shows. Default `veille.alerts`.
    pub alerts: String,
    /// Each workspace's key nodes and communities, from the signals owners, keyed by workspace
    /// (compacted): what processors stamp mentions with and API servers show.
    /// Default `veille.keynodes`.
    pub keynodes: String,
    /// Records refused as mentions, with their reason. Default `veille.deadletter`.
    pub deadletter: String,
}

/// How produced batches are compressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// No compression.
    None,
    /// gzip: small, slow.
    Gzip,
    /// Snappy: fast, larger.
    Snappy,
    /// LZ4: fast with a fair ratio.
    #[default]
    Lz4,
    /// Zstandard: the best ratio for its speed.
    Zstd,
}

impl Compression {
    /// The librdkafka name of the codec (`compression.codec`).
    pub fn codec(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            brokers: vec!["127.0.0.1:9092".to_string()],
            topics: KafkaTopics::default(),
            group_id: "veille-process".to_string(),
            signals_group_id: "veille-signals".to_string(),
            compression: Compression::default(),
            partitions: 12,
            replication_factor: 1,
            ack_timeout_ms: 30_000,
            properties: BTreeMap::new(),
        }
    }
}

impl Default for KafkaTopics {
    fn default() -> Self {
        KafkaTopics {
            mentions: "veille.mentions.raw".to_string(),
            signals: "veille.signals".to_string(),
            alerts: "veille.alerts".to_string(),
            keynodes: "veille.keynodes".to_string(),
            deadletter: "veille.deadletter".to_string(),
        }
    }
}

impl KafkaConfig {
    /// Checks every value; on error returns the key (relative to `bus.kafka`) and the reason.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.brokers.is_empty() {
            return Err(("brokers".into(), "needs at least one `host:port`".into()));
        }
        for (i, broker) in self.brokers.iter().enumerate() {
            check_broker(broker).map_err(|reason| (format!("brokers[{i}]"), reason))?;
        }
        if self.group_id.trim().is_empty() {
            return Err(("group_id".into(), "is empty".into()));
        }
        if self.signals_group_id.trim().is_empty() {
            return Err(("signals_group_id".into(), "is empty".into()));
        }
        if self.signals_group_id == self.group_id {
            return Err((
                "signals_group_id".into(),
                format!(
                    "`{}` is also `group_id`: processors and signals owners need groups of their own",
                    self.group_id
                ),
            ));
        }
        let topics = [
            ("topics.mentions", &self.topics.mentions),
            ("topics.signals", &self.topics.signals),
            ("topics.alerts", &self.topics.alerts),
            ("topics.keynodes", &self.topics.keynodes),
            ("topics.deadletter", &self.topics.deadletter),
        ];
        for (i, (key, name)) in topics.iter().enumerate() {
            check_topic(name).map_err(|reason| (key.to_string(), reason))?;
            if let Some((other, _)) = topics[..i].iter().find(|(_, n)| n == name) {
                return Err((key.to_string(), format!("`{name}` is also `{other}`: each stage needs its own topic")));
            }
        }
        if self.partitions == 0 || self.partitions > 10_000 {
            return Err(("partitions".into(), "must be between 1 and 10,000".into()));
        }
        if self.replication_factor == 0 {
            return Err(("replication_factor".into(), "must be at least 1".into()));
        }
        if self.ack_timeout_ms == 0 {
            return Err(("ack_timeout_ms".into(), "must be at least 1".into()));
        }
        for (key, value) in &self.properties {
            if RESERVED_PROPERTIES.contains(&key.as_str()) {
                return Err((
                    format!("properties.\"{key}\""),
                    "is set by veille itself (delivery guarantees depend on it); use the matching `bus.kafka` key if there is one".into(),
                ));
            }
            if key.trim().is_empty() || value.is_empty() {
                return Err((format!("properties.\"{key}\""), "needs a non-empty name and value".into()));
            }
        }
        Ok(())
    }
}

fn check_broker(broker: &str) -> Result<(), String> {
    let bad = || format!("`{broker}` is not a `host:port` address");
    let (host, port) = broker.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || host.contains(char::is_whitespace) || port.parse::<u16>().map_or(true, |p| p == 0) {
        return Err(bad());
    }
    Ok(())
}

/// Kafka's rule for topic names: 1 to 249 characters of `a-z A-Z 0-9 . _ -`, not `.` or `..`.
fn check_topic(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 249
        && name != "."
        && name != ".."
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` must be 1 to 249 characters of a-z, A-Z, 0-9, `.`, `_` and `-`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> KafkaConfig {
        toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn defaults_name_the_stage_topics_and_groups_and_are_valid() {
        let cfg = KafkaConfig::default();
        assert_eq!(cfg.topics.mentions, "veille.mentions.raw");
        assert_eq!(cfg.topics.alerts, "veille.alerts");
        assert_eq!(cfg.topics.deadletter, "veille.deadletter");
        assert_eq!(cfg.topics.signals, "veille.signals");
        assert_eq!(cfg.topics.keynodes, "veille.keynodes");
        assert_eq!(cfg.signals_group_id, "veille-signals");
        assert_eq!(cfg.compression.codec(), "lz4");
        assert_eq!(cfg.validate(), Ok(()));
    }

    #[test]
    fn documented_example_is_the_defaults_but_for_what_it_sets_on_purpose() {
        let example = crate::documented_toml_example(include_str!("kafka.rs"));
        let cfg = crate::Config::from_toml_str(&example, "kafka.rs").unwrap();
        assert_eq!(cfg.bus.kind, crate::BusKind::Kafka);
        let expected = KafkaConfig {
            brokers: vec!["kafka-0.kafka:9092".into(), "kafka-1.kafka:9092".into()],
            replication_factor: 3,
            properties: BTreeMap::from([("linger.ms".to_string(), "20".to_string())]),
            ..KafkaConfig::default()
        };
        assert_eq!(cfg.bus.kafka, expected, "every other documented value is the default");
    }

    #[test]
    fn a_full_section_parses() {
        let cfg = parse(
            "brokers = [\"k0:9092\", \"k1:9093\"]\ngroup_id = \"g\"\ncompression = \"zstd\"\npartitions = 4\n\
             [topics]\nmentions = \"m\"\n[properties]\n\"linger.ms\" = \"5\"\n",
        );
        assert_eq!(cfg.brokers.len(), 2);
        assert_eq!(cfg.compression, Compression::Zstd);
        assert_eq!(cfg.topics.mentions, "m");
        assert_eq!(cfg.topics.alerts, "veille.alerts");
        assert_eq!(cfg.properties.get("linger.ms").map(String::as_str), Some("5"));
        assert_eq!(cfg.validate(), Ok(()));
    }

    #[test]
    fn invalid_values_name_their_key() {
        let mut cfg = parse("brokers = [\"k0:9092\", \"nowhere\"]");
        assert_eq!(cfg.validate().unwrap_err().0, "brokers[1]");
        cfg = parse("[topics]\nalerts = \"veille.mentions.raw\"");
        assert_eq!(cfg.validate().unwrap_err().0, "topics.alerts");
        cfg = parse("[topics]\ndeadletter = \"dead letters\"");
        assert_eq!(cfg.validate().unwrap_err().0, "topics.deadletter");
        cfg = parse("partitions = 0");
        assert_eq!(cfg.validate().unwrap_err().0, "partitions");
        cfg = parse("group_id = \" \"");
        assert_eq!(cfg.validate().unwrap_err().0, "group_id");
        cfg = parse("signals_group_id = \"veille-process\"");
        assert_eq!(cfg.validate().unwrap_err().0, "signals_group_id");
        cfg = parse("[topics]\nkeynodes = \"veille.signals\"");
        assert_eq!(cfg.validate().unwrap_err().0, "topics.keynodes");
    }

    #[test]
    fn properties_cannot_weaken_delivery_guarantees() {
        let cfg = parse("[properties]\n\"enable.auto.commit\" = \"true\"");
        let (key, reason) = cfg.validate().unwrap_err();
        assert_eq!(key, "properties.\"enable.auto.commit\"");
        assert!(reason.contains("set by veille"), "{reason}");
        let cfg = parse("[properties]\n\"acks\" = \"1\"");
        assert_eq!(cfg.validate().unwrap_err().0, "properties.\"acks\"");
    }

    #[test]
    fn unknown_compression_is_a_parse_error() {
        assert!(toml::from_str::<KafkaConfig>("compression = \"brotli\"").is_err());
    }
}
