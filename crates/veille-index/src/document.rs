//! Mention ⇄ tantivy document.

use tantivy::schema::OwnedValue;
use tantivy::{DateTime, TantivyDocument};
use veille_model::Mention;

use crate::schema::Fields;

/// The kind of post, as indexed in the `kind` field.
fn kind(m: &Mention) -> &'static str {
    if m.repost_of.is_some() {
        "repost"
    } else if m.quote_of.is_some() {
        "quote"
    } else if m.reply_to.is_some() {
        "reply"
    } else {
        "post"
    }
}

/// Hashtags in `text`, without `#`: a `#` at a word start followed by letters, digits or `_`.
pub(crate) fn hashtags(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    let mut prev: Option<char> = None;
    std::iter::from_fn(move || loop {
        let i = rest.find('#')?;
        let before = rest[..i].chars().next_back().or(prev);
        let tail = &rest[i + 1..];
        let len: usize = tail.chars().take_while(|c| c.is_alphanumeric() || *c == '_').map(char::len_utf8).sum();
        prev = Some('#');
        rest = &tail[len..];
        if len > 0 && !before.is_some_and(|c| c.is_alphanumeric() || c == '&') {
            return Some(&tail[..len]);
        }
    })
}

/// The document of `m`, indexed at `seq` (see [`Fields::seq`]).
pub(crate) fn to_document(f: &Fields, m: &Mention, seq: u64) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_text(f.uid, m.store_key());
    doc.add_u64(f.seq, seq);
    doc.add_text(f.key, m.key().as_str());
    doc.add_text(f.workspace, &m.workspace);
    doc.add_text(f.platform, m.platform().as_str());
    if !m.author.handle.is_empty() {
        doc.add_text(f.author, &m.author.handle);
    }
    if let Some(id) = &m.author.id {
        doc.add_text(f.author_id, id);
    }
    if let Some(lang) = &m.lang {
        doc.add_text(f.lang, lang);
    }
    doc.add_text(f.kind, kind(m));
    doc.add_date(f.created_at, DateTime::from_timestamp_micros(m.created_at.timestamp_micros()));
    if let Some(t) = m.ingested_at {
        doc.add_date(f.ingested_at, DateTime::from_timestamp_micros(t.timestamp_micros()));
    }
    if let Some(title) = &m.title {
        doc.add_text(f.title, title);
    }
    // Stemmed readings (`text_en`, `text_fr`) are answered from this one copy at search time.
    doc.add_text(f.text, &m.text);
    for handle in &m.mentions {
        doc.add_text(f.mentions, handle);
    }
    for tag in hashtags(&m.text) {
        doc.add_text(f.hashtags, tag);
    }
    doc.add_u64(f.followers, m.author.followers.unwrap_or(0));
    doc.add_u64(f.likes, m.engagement.likes);
    doc.add_u64(f.reposts, m.engagement.reposts);
    doc.add_u64(f.replies, m.engagement.replies);
    doc.add_u64(f.quotes, m.engagement.quotes);
    doc.add_u64(f.engagement, m.engagement.total());
    // Each kind once, however many watches of that kind matched.
    let mut kinds = 0u8;
    for t in &m.tags {
        doc.add_text(f.watch, &t.watch);
        let bit = 1u8 << (t.kind as u8);
        if kinds & bit == 0 {
            kinds |= bit;
            doc.add_text(f.watch_kind, t.kind.as_str());
        }
    }
    if let Some(s) = &m.scores.sentiment {
        doc.add_text(f.sentiment, s.label.as_str());
        doc.add_f64(f.sentiment_score, s.compound);
    }
    if let Some(k) = m.scores.key_node {
        doc.add_f64(f.key_node, k);
    }
    if !m.attributes.is_empty() {
        let object = m.attributes.iter().map(|(k, v)| (k.clone(), OwnedValue::Str(v.clone()))).collect();
        doc.add_object(f.attrs, object);
    }
    doc.add_text(f.source, m.to_json());
    doc
}

#[cfg(test)]
mod tests {
    use super::hashtags;

    #[test]
    fn hashtags_start_a_word_and_stop_at_punctuation() {
        let tags: Vec<_> = hashtags("#Boycott now! fly#not &#39; #été_2026, ## #").collect();
        assert_eq!(tags, vec!["Boycott", "été_2026"]);
    }
}
