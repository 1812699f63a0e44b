//! Reddit listing pages: posts (t3) and comments (t1).
//!
//! A listing (`/r/{sub}/new.json`, `/r/{sub}/comments.json`, `/search.json`)
//! lists things newest first, each `{"kind": ..., "data": {...}}`, with an
//! `after` fullname to page back. A comment replies to its parent and, when
//! the parent is the post, names the post's author.

use chrono::DateTime;
use serde::Deserialize;
use veille_model::{Author, Mention, Platform, Reference};

use super::{finish, Malformed};

/// One listing page.
#[derive(Debug, Deserialize)]
pub struct Listing {
    data: ListingData,
}

impl Listing {
    /// Parses a listing page; `Err` says why it is not one.
    pub fn parse(body: &str) -> Result<Listing, Malformed> {
        serde_json::from_str(body).map_err(|e| Malformed::new(format!("not a Reddit listing: {e}")))
    }

    /// The things of the page, newest first, and the fullname to page back from.
    pub fn into_parts(self) -> (Vec<Thing>, Option<String>) {
        (self.data.children, self.data.after)
    }
}

#[derive(Debug, Deserialize)]
struct ListingData {
    #[serde(default)]
    after: Option<String>,
    children: Vec<Thing>,
}

/// One thing of a listing, kept as JSON until it is mapped, so a bad one refuses only itself.
#[derive(Debug, Deserialize)]
pub struct Thing {
    kind: String,
    data: serde_json::Value,
}

impl Thing {
    /// Its `created_utc`, seconds since the epoch, when it has one.
    pub fn created_utc(&self) -> Option<f64> {
        self.data.get("created_utc").and_then(|c| c.as_f64())
    }

    /// Its fullname (`t3_...`, `t1_...`), empty when it has none.
    pub fn fullname(&self) -> &str {
        self.data.get("name").and_then(|n| n.as_str()).unwrap_or_default()
    }

    /// Its data as the JSON Reddit sent, for a dead letter.
    pub fn raw(&self) -> String {
        self.data.to_string()
    }

    /// The mention of this post or comment, in `workspace` when given.
    pub fn into_mention(self, workspace: Option<&str>) -> Result<Mention, Malformed> {
        map_thing(&self.kind, self.data, workspace).map_err(Malformed::new)
    }
}

/// A post or comment (the fields veille reads).
#[derive(Debug, Deserialize)]
struct Item {
    id: String,
    name: String,
    author: String,
    created_utc: f64,
    #[serde(default)]
    author_fullname: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    selftext: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    permalink: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    is_self: Option<bool>,
    #[serde(default)]
    score: i64,
    #[serde(default)]
    num_comments: u64,
    #[serde(default)]
    subreddit: Option<String>,
    #[serde(default)]
    parent_id: Option<String>,
    #[serde(default)]
    link_id: Option<String>,
    #[serde(default)]
    link_author: Option<String>,
    #[serde(default)]
    link_title: Option<String>,
    #[serde(default)]
    crosspost_parent: Option<String>,
}

/// `u/name` and `/u/name` in a text, without the prefix.
fn user_mentions(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find("u/").map(|i| i + from) {
        from = i + 2;
        let boundary = i == 0 || matches!(bytes[i - 1], b' ' | b'\n' | b'\t' | b'/' | b'(' | b'[');
        let name: String =
            text[i + 2..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
        if boundary && (3..=20).contains(&name.len()) && !found.contains(&name) {
            found.push(name);
        }
    }
    found
}

/// Maps a t3 or t1 thing; `Err` holds why it is refused.
fn map_thing(kind: &str, data: serde_json::Value, workspace: Option<&str>) -> Result<Mention, String> {
    if kind != "t3" && kind != "t1" {
        return Err(format!("kind `{kind}` is neither a post (t3) nor a comment (t1)"));
    }
    let item: Item = serde_json::from_value(data).map_err(|e| format!("{kind}: {e}"))?;
    let created_at = DateTime::from_timestamp(item.created_utc as i64, 0)
        .ok_or_else(|| format!("created_utc: {} is not a time", item.created_utc))?;
    let text = if kind == "t3" { item.selftext.clone() } else { item.body.clone() }.unwrap_or_default();
    let author =
        Author { id: item.author_fullname.clone(), handle: item.author.clone(), display_name: None, followers: None };
    let mut m = Mention::new(Platform::Reddit, item.name.clone(), text.trim(), created_at, author);
    m.mentions = user_mentions(&m.text);
    m.url = item.permalink.as_ref().map(|p| format!("https://www.reddit.com{p}"));
    m.engagement.likes = item.score.max(0) as u64;
    if let Some(sub) = &item.subreddit {
        m.attributes.insert("subreddit".into(), sub.clone());
    }
    if kind == "t3" {
        m.title = item.title.clone().filter(|t| !t.trim().is_empty());
        m.engagement.replies = item.num_comments;
        if item.is_self == Some(false) {
            if let Some(link) = &item.url {
                m.attributes.insert("link".into(), link.clone());
            }
        }
        m.repost_of = item.crosspost_parent.clone().map(|id| Reference { id, author: None });
    } else {
        let parent = item.parent_id.clone().ok_or("t1: parent_id is missing")?;
        let author = (item.parent_id == item.link_id).then(|| item.link_author.clone()).flatten();
        m.reply_to = Some(Reference { id: parent, author });
        if let Some(title) = &item.link_title {
            m.attributes.insert("link_title".into(), title.clone());
        }
    }
    // `id` is read only to require it: a thing without one is not a post or comment.
    let _ = &item.id;
    finish(m, workspace).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_replies_to_its_post_and_names_its_author() {
        let data = serde_json::json!({"id":"kx1","name":"t1_kx1","author":"ann","author_fullname":"t2_ann","created_utc":1700000000.0,"body":"Acme support was great, thanks u/acme_help","parent_id":"t3_p1","link_id":"t3_p1","link_author":"bob","link_title":"Acme?","permalink":"/r/acme/comments/p1/acme/kx1/","score":3,"subreddit":"acme"});
        let m = map_thing("t1", data, None).unwrap();
        assert_eq!(m.key().as_str(), "reddit:t1_kx1");
        let r = m.reply_to.as_ref().unwrap();
        assert_eq!((r.id.as_str(), r.author.as_deref()), ("t3_p1", Some("bob")));
        assert_eq!(m.mentions, ["acme_help"]);
        assert_eq!(m.url.as_deref(), Some("https://www.reddit.com/r/acme/comments/p1/acme/kx1/"));
    }

    #[test]
    fn a_link_post_keeps_its_title_and_link() {
        let data = serde_json::json!({"id":"p2","name":"t3_p2","author":"bob","created_utc":1700000100.0,"title":"Acme recall","selftext":"","is_self":false,"url":"https://news.example/acme","num_comments":12,"score":40,"permalink":"/r/acme/comments/p2/acme_recall/"});
        let m = map_thing("t3", data, Some("acme")).unwrap();
        assert_eq!(m.title.as_deref(), Some("Acme recall"));
        assert_eq!(m.attributes.get("link").map(String::as_str), Some("https://news.example/acme"));
        assert_eq!((m.engagement.likes, m.engagement.replies), (40, 12));
        assert!(map_thing("t5", serde_json::json!({}), None).is_err());
    }
}
