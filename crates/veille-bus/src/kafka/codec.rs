//! What a record looks like on a topic, and back.
//!
//! A mention is its JSON ([`Mention::to_json`]) keyed by its mention key; a
//! dead letter is its JSON keyed by its source's name. Both carry the source
//! name in the [`SOURCE_HEADER`](super::SOURCE_HEADER) header.

use veille_model::{DeadLetter, Mention, Origin};

use crate::Record;

/// Which stage topic a record goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Mentions,
    DeadLetter,
}

/// A record ready to produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Encoded {
    pub(crate) stage: Stage,
    pub(crate) key: String,
    pub(crate) payload: String,
}

/// Encodes a record; dead letters whose JSON cannot be written keep their reason and original.
pub(crate) fn encode(record: &Record) -> Encoded {
    match record {
        Record::Mention(m) => {
            Encoded { stage: Stage::Mentions, key: m.key().as_str().to_string(), payload: m.to_json() }
        }
        Record::Dead(d) => Encoded {
            stage: Stage::DeadLetter,
            key: d.origin.source.clone(),
            // A dead letter is strings and a timestamp: it always serialises.
            payload: serde_json::to_string(d).unwrap_or_else(|_| d.original.clone()),
        },
    }
}

/// Where a consumed message was.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Position<'a> {
    pub(crate) topic: &'a str,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
}

/// Decodes a message of the mentions topic; anything that is not a valid
/// mention becomes a dead letter naming where it was found.
pub(crate) fn decode(at: Position<'_>, source: Option<&[u8]>, payload: Option<&[u8]>) -> Record {
    let location = format!("topic {} partition {} offset {}", at.topic, at.partition, at.offset);
    let source =
        source.map(|s| String::from_utf8_lossy(s).into_owned()).unwrap_or_else(|| format!("kafka:{}", at.topic));
    let dead = |reason: String, original: String| {
        Record::Dead(Box::new(DeadLetter::new(
            Origin { source: source.clone(), location: location.clone() },
            reason,
            original,
        )))
    };
    let Some(payload) = payload else {
        return dead(format!("{location}: message has no value"), String::new());
    };
    match std::str::from_utf8(payload) {
        Err(e) => dead(format!("{location}: value is not UTF-8: {e}"), String::from_utf8_lossy(payload).into_owned()),
        Ok(json) => match Mention::from_json(json) {
            Ok(mention) => Record::Mention(Box::new(mention)),
            Err(e) => dead(format!("{location}: not a mention: {e}"), json.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MENTION: &str = r#"{"platform":"x","native_id":"42","text":"I love @acme",
        "created_at":"2026-01-02T03:04:05Z","author":{"handle":"ann"}}"#;
    const AT: Position<'static> = Position { topic: "veille.mentions.raw", partition: 2, offset: 17 };

    #[test]
    fn a_mention_round_trips_keyed_by_its_mention_key() {
        let mention = Mention::from_json(MENTION).unwrap();
        let encoded = encode(&Record::Mention(Box::new(mention.clone())));
        assert_eq!(encoded.stage, Stage::Mentions);
        assert_eq!(encoded.key, "x:42");
        let back = decode(AT, Some(b"replay"), Some(encoded.payload.as_bytes()));
        assert_eq!(back, Record::Mention(Box::new(mention)));
    }

    #[test]
    fn dead_letters_go_to_the_dead_letter_stage_keyed_by_source() {
        let dead = DeadLetter::new(Origin { source: "replay".into(), location: "line 3".into() }, "bad", "{");
        let encoded = encode(&Record::Dead(Box::new(dead.clone())));
        assert_eq!(encoded.stage, Stage::DeadLetter);
        assert_eq!(encoded.key, "replay");
        assert_eq!(serde_json::from_str::<DeadLetter>(&encoded.payload).unwrap(), dead);
    }

    #[test]
    fn a_malformed_message_becomes_a_dead_letter_naming_topic_partition_and_offset() {
        let Record::Dead(dead) = decode(AT, Some(b"replay"), Some(b"{\"platform\":\"x\"")) else {
            panic!("a malformed value must become a dead letter");
        };
        assert_eq!(dead.origin.source, "replay");
        assert_eq!(dead.origin.location, "topic veille.mentions.raw partition 2 offset 17");
        assert!(
            dead.reason.starts_with("topic veille.mentions.raw partition 2 offset 17: not a mention"),
            "{}",
            dead.reason
        );
        assert_eq!(dead.original, "{\"platform\":\"x\"");
    }

    #[test]
    fn empty_and_binary_values_are_dead_letters_too() {
        let Record::Dead(dead) = decode(AT, None, None) else { panic!("no value must become a dead letter") };
        assert!(dead.reason.contains("no value"), "{}", dead.reason);
        assert_eq!(dead.origin.source, "kafka:veille.mentions.raw");
        let Record::Dead(dead) = decode(AT, None, Some(&[0xff, 0xfe])) else {
            panic!("binary must become a dead letter")
        };
        assert!(dead.reason.contains("not UTF-8"), "{}", dead.reason);
    }
}
