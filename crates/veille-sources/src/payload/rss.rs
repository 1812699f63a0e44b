//! RSS and Atom documents (news, blogs, Google Alerts), parsed by `feed-rs`.
//!
//! An entry's text is its content, else its summary, as plain text (Atom
//! text marked `type="text"` is kept as written; everything else, RSS
//! included, is read as HTML, markup removed and entities decoded); its
//! author is the entry's, else the feed's, else the feed's title or host.
//! Its native id is its link (Google Alerts redirects unwrapped) when that
//! makes a valid id, else a stable hash of the entry id.

use chrono::Utc;
use veille_model::{Author, Mention, Platform};

use super::{finish, Malformed};
use crate::html;

/// A parsed feed.
#[derive(Debug)]
pub struct Feed(feed_rs::model::Feed);

impl Feed {
    /// Parses an RSS or Atom document; `Err` says why it is neither.
    pub fn parse(bytes: &[u8]) -> Result<Feed, Malformed> {
        feed_rs::parser::parse(bytes).map(Feed).map_err(|e| Malformed::new(format!("not an RSS or Atom feed: {e}")))
    }

    /// The feed's entries, oldest first (by publication, else update time).
    pub fn entries(&self) -> Vec<Entry<'_>> {
        let mut entries: Vec<Entry<'_>> = self.0.entries.iter().map(|entry| Entry { entry, feed: &self.0 }).collect();
        entries.sort_by_key(|e| e.entry.published.or(e.entry.updated));
        entries
    }
}

/// One entry of a [`Feed`].
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    entry: &'a feed_rs::model::Entry,
    feed: &'a feed_rs::model::Feed,
}

impl Entry<'_> {
    /// The entry's id as the feed gives it (or as `feed-rs` made it up when the feed gives none).
    pub fn id(&self) -> &str {
        &self.entry.id
    }

    /// A stable 16-hex-digit hash of the id, to remember the entry by.
    pub fn id_hash(&self) -> String {
        format!("{:016x}", fnv1a(&self.entry.id))
    }

    /// What a dead letter keeps of a refused entry: its title, else its id.
    pub fn original(&self) -> String {
        self.entry.title.as_ref().map(|t| t.content.clone()).unwrap_or_else(|| self.entry.id.clone())
    }

    /// The mention of this entry of the feed fetched from `feed_url`, in `workspace` when given.
    pub fn to_mention(&self, feed_url: &str, workspace: Option<&str>) -> Result<Mention, Malformed> {
        map_entry(self.entry, self.feed, feed_url, workspace).map_err(Malformed::new)
    }
}

/// A 64-bit FNV-1a hash: stable across versions and platforms, unlike std's hasher.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The article a link points to: Google Alerts wraps it in a redirect.
fn article_link(link: &str) -> String {
    if let Ok(u) = url::Url::parse(link) {
        if u.host_str().is_some_and(|h| h.ends_with("google.com")) && u.path() == "/url" {
            if let Some((_, target)) = u.query_pairs().find(|(k, _)| k == "url" || k == "q") {
                return target.into_owned();
            }
        }
    }
    link.to_string()
}

/// The native id of an entry: its link when it makes a valid id, else a hash of its id.
fn native_id(link: Option<&str>, entry_id: &str) -> String {
    match link {
        Some(l) if l.len() <= 200 && !l.chars().any(char::is_whitespace) => l.to_string(),
        _ => format!("entry-{:016x}", fnv1a(entry_id)),
    }
}

/// The words of a feed's text: Atom says whether it is plain text or markup, so its plain
/// text is kept as written; RSS does not (its titles and descriptions often carry escaped
/// markup whatever they are meant to be), so everything else is read as HTML.
/// `ty` and `subty` are the text's media type and subtype.
fn read<N: PartialEq<&'static str>>(atom: bool, ty: N, subty: N, text: &str) -> String {
    if atom && ty == "text" && subty == "plain" {
        html::tidy(text)
    } else {
        html::to_text(text)
    }
}

/// Maps one entry of `feed` fetched from `feed_url`; `Err` holds why it is refused.
fn map_entry(
    entry: &feed_rs::model::Entry,
    feed: &feed_rs::model::Feed,
    feed_url: &str,
    workspace: Option<&str>,
) -> Result<Mention, String> {
    let link =
        entry.links.iter().find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate")).map(|l| article_link(&l.href));
    let atom = feed.feed_type == feed_rs::model::FeedType::Atom;
    let text_of = |t: &feed_rs::model::Text| read(atom, t.content_type.ty(), t.content_type.subty(), &t.content);
    let text = entry
        .content
        .as_ref()
        .and_then(|c| Some(read(atom, c.content_type.ty(), c.content_type.subty(), c.body.as_deref()?)))
        .or(entry.summary.as_ref().map(text_of))
        .unwrap_or_default();
    let title = entry.title.as_ref().map(text_of).filter(|t| !t.is_empty());
    let feed_title = feed.title.as_ref().map(text_of).filter(|t| !t.is_empty());
    let host = url::Url::parse(feed_url).ok().and_then(|u| u.host_str().map(str::to_string));
    let author_name = entry
        .authors
        .first()
        .or(feed.authors.first())
        .and_then(|p| p.name.as_deref())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .or(feed_title.clone())
        .or(host)
        .unwrap_or_else(|| feed_url.to_string());
    let created_at = entry.published.or(entry.updated).unwrap_or_else(Utc::now);
    let author = Author { id: None, handle: author_name, display_name: None, followers: None };
    let mut m = Mention::new(Platform::Rss, native_id(link.as_deref(), &entry.id), text, created_at, author);
    m.title = title;
    m.url = link.filter(|l| l.starts_with("http"));
    m.lang = entry.language.clone().or(feed.language.clone()).map(Into::into);
    if let Some(t) = feed_title {
        m.attributes.insert("feed".into(), t);
    }
    m.attributes.insert("feed_url".into(), feed_url.to_string());
    finish(m, workspace).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_alerts_links_point_to_the_article() {
        let link =
            "https://www.google.com/url?rct=j&sa=t&url=https://news.example/acme-recall&ct=ga&cd=CAIyGg&usg=AOvVaw";
        assert_eq!(article_link(link), "https://news.example/acme-recall");
        assert_eq!(article_link("https://blog.example/post"), "https://blog.example/post");
    }

    #[test]
    fn entry_ids_are_links_or_stable_hashes() {
        assert_eq!(native_id(Some("https://a.example/1"), "x"), "https://a.example/1");
        assert_eq!(native_id(None, "tag:a.example,2026:1"), native_id(None, "tag:a.example,2026:1"));
        assert_ne!(native_id(None, "a"), native_id(None, "b"));
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
    }
}
