//! Recent mentions per watch, kept so an alert can show what people said.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
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
    /// The start of the text, at most [`EXCERPT_BYTES`], as written.
    head: Box<str>,
    /// Whether the text went on after `head`.
    cut: bool,
}

impl Sampled {
    /// The start of the text, as written.
    pub(crate) fn head(&self) -> &str {
        &self.head
    }

    /// The start of the text on one line (whitespace runs as one space), with `…` when cut.
    pub(crate) fn excerpt(&self) -> String {
        let mut out = String::with_capacity(self.head.len() + '…'.len_utf8());
        for word in self.head.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        if self.cut {
            out.push('…');
        }
        out
    }
}

/// The last mentions of every workspace × watch, up to a number per watch.
#[derive(Debug, Clone)]
pub(crate) struct RecentMentions {
    per_watch: FxHashMap<String, FxHashMap<String, VecDeque<Arc<Sampled>>>>,
    capacity: usize,
}

impl RecentMentions {
    pub(crate) fn new(capacity: usize) -> Self {
        RecentMentions { per_watch: FxHashMap::default(), capacity: capacity.max(1) }
    }

    /// Keeps a compact copy of `mention` under each watch it is tagged with.
    pub(crate) fn observe(&mut self, mention: &Mention) {
        if mention.tags.is_empty() {
            return;
        }
        let sentiment = mention.scores.sentiment.as_ref();
        let (head, cut) = head(&mention.text);
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
            head: head.into(),
            cut,
        });
        // Names are copied the first time they are seen only.
        if !self.per_watch.contains_key(&mention.workspace) {
            self.per_watch.insert(mention.workspace.clone(), FxHashMap::default());
        }
        let Some(watches) = self.per_watch.get_mut(&mention.workspace) else { return };
        for (i, tag) in mention.tags.iter().enumerate() {
            if mention.tags[..i].iter().any(|t| t.watch == tag.watch) {
                continue;
            }
            if !watches.contains_key(&tag.watch) {
                watches.insert(tag.watch.clone(), VecDeque::new());
            }
            let Some(ring) = watches.get_mut(&tag.watch) else { continue };
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

/// The start of `text`, at most [`EXCERPT_BYTES`] cut at a character boundary, and whether
/// the text goes on after it.
fn head(text: &str) -> (&str, bool) {
    let mut end = text.len().min(EXCERPT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], end < text.len())
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
        let excerpt = |text: &str| {
            let mut r = RecentMentions::new(1);
            let mut m = mention(0, &["acme"]);
            m.text = text.to_string();
            r.observe(&m);
            r.window("default", "acme", DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC)[0].excerpt()
        };
        let e = excerpt(&"é".repeat(200));
        assert!(e.ends_with('…'));
        assert!(e.len() <= EXCERPT_BYTES + '…'.len_utf8());
        assert_eq!(excerpt("a\n b\tc"), "a b c");
        assert_eq!(excerpt(&"a ".repeat(140)).len(), 279, "280 bytes ending in a space are not cut");
    }
}
