//! Signal facts: what a processor tells the signals owners about each mention it indexes.
//!
//! A fact is the enriched mention without what judging it does not need: the text is cut to
//! the excerpt an alert shows (280 bytes), attributes and title are dropped. It carries the
//! mentions-topic partition it was read from, so a signals owner can merge the processors'
//! streams in event time. Facts are keyed by workspace: every fact of a workspace lands in one
//! partition of the signals topic, owned by one signals owner.

use serde::{Deserialize, Serialize};
use veille_model::Mention;

/// Longest text a fact carries, in bytes (what an alert's example shows).
pub(crate) const FACT_TEXT_BYTES: usize = 280;

/// The `veille-kind` header of a fact.
pub(crate) const FACT_KIND: &str = "fact";

/// One mention as the signals stage sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Fact {
    /// The mentions-topic partition the mention was read from.
    pub(crate) partition: i32,
    /// The mention, slimmed.
    pub(crate) mention: Mention,
}

impl Fact {
    /// The fact of `mention`, read from mentions partition `partition`.
    pub(crate) fn of(partition: i32, mention: &Mention) -> Fact {
        let mut m = mention.clone();
        m.attributes.clear();
        m.title = None;
        if m.text.len() > FACT_TEXT_BYTES {
            let mut end = FACT_TEXT_BYTES;
            while !m.text.is_char_boundary(end) {
                end -= 1;
            }
            m.text.truncate(end);
            m.text.push('…');
        }
        Fact { partition, mention: m }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fact_keeps_what_judging_needs_and_cuts_the_text_at_a_character() {
        let mut m = Mention::from_json(
            r#"{"platform":"x","native_id":"1","workspace":"w","text":"x","created_at":"2026-03-01T00:00:00Z",
                "author":{"handle":"a","followers":10},"attributes":{"k":"v"},"title":"t"}"#,
        )
        .unwrap();
        m.text = "é".repeat(200);
        let fact = Fact::of(3, &m);
        assert_eq!(fact.partition, 3);
        assert!(fact.mention.text.len() <= FACT_TEXT_BYTES + '…'.len_utf8());
        assert!(fact.mention.text.ends_with('…'));
        assert!(fact.mention.attributes.is_empty() && fact.mention.title.is_none());
        assert_eq!(fact.mention.author, m.author);
        let back: Fact = serde_json::from_str(&serde_json::to_string(&fact).unwrap()).unwrap();
        assert_eq!(back, fact);
        assert_eq!(back.mention.key(), m.key());
    }
}
