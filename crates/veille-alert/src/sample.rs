//! Recent mentions per watch, kept so an alert can show what people said.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use veille_model::{Mention, MentionKey, Platform, SentimentLabel, WatchKind};

/// Longest excerpt of a mention's text kept, in bytes.
const EXCERPT_BYTES: usize = 280;

/// What is kept of one mention.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sampled {
    pub(crate) key: MentionKey,
    pub(crate) url: Option<String>,
    pub(crate) platform: Platform,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) author: String,
    pub(crate) followers: Option<u64>,
    pub(crate) key_node: Option<f64>,
    /// Whole-text sentiment compound, when scored.
    pub(crate) compound: Option<f64>,
    pub(crate) negative: bool,
    /// Term hits: (watch, watch kind, term).
    pub(crate) hits: Vec<(String, WatchKind, String)>,
    pub(crate) excerpt: String,
}

/// The last mentions of every workspace × watch, up to a number per watch.
#[derive(Debug, Clone)]
pub(crate) struct RecentMentions {
    per_watch: HashMap<String, HashMap<String, VecDeque<Arc<Sampled>>>>,
    capacity: usize,
}

impl RecentMentions {
    pub(crate) fn new(capacity: usize) -> Self {
        RecentMentions { per_watch: HashMap::new(), capacity: capacity.max(1) }
    }

    /// Keeps a compact copy of `mention` under each watch it is tagged with.
    pub(crate) fn observe(&mut self, mention: &Mention) {
        if mention.tags.is_empty() {
            return;
        }
        let sentiment = mention.scores.sentiment.as_ref();
        let sampled = Arc::new(Sampled {
            key: mention.key().clone(),
            url: mention.url.clone(),
            platform: mention.platform(),
            created_at: mention.created_at,
            author: mention.author.handle.clone(),
            followers: mention.author.followers,
            key_node: mention.scores.key_node,
            compound: sentiment.map(|s| s.compound),
            negative: sentiment.is_some_and(|s| s.label == SentimentLabel::Negative),
            hits: mention
                .tags
                .iter()
                .flat_map(|t| t.hits.iter().map(move |h| (t.watch.clone(), t.kind, h.term.clone())))
                .collect(),
            excerpt: excerpt(&mention.text),
        });
        let watches = self.per_watch.entry(mention.workspace.clone()).or_default();
        for (i, tag) in mention.tags.iter().enumerate() {
            if mention.tags[..i].iter().any(|t| t.watch == tag.watch) {
                continue;
            }
            let ring = watches.entry(tag.watch.clone()).or_default();
            if ring.len() == self.capacity {
                ring.pop_front();
            }
            ring.push_back(Arc::clone(&sampled));
        }
    }

    /// Mentions of the watch created within `[from, to]`, oldest first.
    pub(crate) fn window(&self, workspace: &str, watch: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<&Sampled> {
        self.per_watch
            .get(workspace)
            .and_then(|w| w.get(watch))
            .map(|ring| ring.iter().filter(|s| s.created_at >= from && s.created_at <= to).map(|s| &**s).collect())
            .unwrap_or_default()
    }

    /// The kept mention with `key` under the watch, if still kept.
    pub(crate) fn find(&self, workspace: &str, watch: &str, key: &MentionKey) -> Option<&Sampled> {
        self.per_watch.get(workspace)?.get(watch)?.iter().rev().find(|s| &s.key == key).map(|s| &**s)
    }
}

/// The start of `text` on one line (whitespace runs as one space), cut at a
/// character boundary.
fn excerpt(text: &str) -> String {
    let mut end = text.len().min(EXCERPT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end + '…'.len_utf8());
    for word in text[..end].split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if end < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use veille_model::{Author, WatchMatch};

    fn mention(id: u32, watches: &[&str]) -> Mention {
        let at = Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap() + chrono::Duration::seconds(i64::from(id));
        let mut m = Mention::new(Platform::X, id.to_string(), "été\nchaud ".repeat(40), at, Author::default());
        for w in watches {
            m.tags.push(WatchMatch { watch: w.to_string(), kind: WatchKind::Brand, hits: vec![] });
        }
        m
    }

    #[test]
    fn keeps_the_last_mentions_of_each_watch_up_to_capacity() {
        let mut r = RecentMentions::new(3);
        for id in 0..5 {
            r.observe(&mention(id, &["acme", "acme"]));
        }
        r.observe(&mention(9, &["globex"]));
        let all = |w| r.window("default", w, DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        let keys: Vec<_> = all("acme").iter().map(|s| s.key.to_string()).collect();
        assert_eq!(keys, ["x:2", "x:3", "x:4"], "a watch tagged twice counts once");
        assert_eq!(all("globex").len(), 1);
        assert!(r.find("default", "acme", &MentionKey::new(Platform::X, "3")).is_some());
        assert!(r.find("default", "acme", &MentionKey::new(Platform::X, "0")).is_none());
    }

    #[test]
    fn excerpts_are_one_line_and_cut_at_a_character() {
        let e = excerpt(&"é".repeat(200));
        assert!(e.ends_with('…'));
        assert!(e.len() <= EXCERPT_BYTES + '…'.len_utf8());
        assert_eq!(excerpt("a\n b\tc"), "a b c");
    }
}
