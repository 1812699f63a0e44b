//! Mastodon Status entities, from REST timeline pages and the streaming API.
//!
//! A status's HTML content becomes plain text; accounts are qualified as
//! `user@server` (local ones included) and ids as `server/id`, so statuses
//! of several servers never collide. A boost carries the boosted words and
//! points at the original with `repost_of`.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use veille_model::{Author, Mention, Platform, Reference};

use super::{finish, Malformed};
use crate::html;

/// Parses a REST timeline page: a JSON array of statuses, each left as JSON
/// for [`Status::from_value`] so one bad status does not refuse its page.
pub fn timeline_page(body: &str) -> Result<Vec<serde_json::Value>, Malformed> {
    serde_json::from_str(body).map_err(|e| Malformed::new(format!("not a JSON array of statuses: {e}")))
}

/// A Status entity (the fields veille reads).
#[derive(Debug, Deserialize)]
pub struct Status {
    id: String,
    created_at: String,
    uri: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    spoiler_text: String,
    #[serde(default)]
    language: Option<String>,
    account: Account,
    #[serde(default)]
    in_reply_to_id: Option<String>,
    #[serde(default)]
    in_reply_to_account_id: Option<String>,
    #[serde(default)]
    reblog: Option<Box<Status>>,
    #[serde(default)]
    mentions: Vec<Mentioned>,
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(default)]
    replies_count: u64,
    #[serde(default)]
    reblogs_count: u64,
    #[serde(default)]
    favourites_count: u64,
    #[serde(default)]
    quotes_count: u64,
    /// Mastodon 4.4+: `{"state": "accepted", "quoted_status": Status}`.
    #[serde(default)]
    quote: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Account {
    id: String,
    acct: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    followers_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Mentioned {
    id: String,
    acct: String,
}

#[derive(Debug, Deserialize)]
struct Tag {
    name: String,
}

/// `user@server` for every account, local ones included.
fn qualify(acct: &str, host: &str) -> String {
    if acct.contains('@') {
        acct.to_string()
    } else {
        format!("{acct}@{host}")
    }
}

impl Status {
    /// Reads a status from JSON; `Err` says why it is not a Status.
    pub fn from_value(value: serde_json::Value) -> Result<Status, Malformed> {
        serde_json::from_value(value).map_err(|e| Malformed::new(format!("not a Mastodon Status: {e}")))
    }

    /// The status's id on its server (a number in a string).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The mention of this status, read from server `host`, in `workspace` when given.
    pub fn into_mention(self, host: &str, workspace: Option<&str>) -> Result<Mention, Malformed> {
        map_status(self, host, workspace)
    }
}

/// Maps a status of server `host`; `Err` holds why it is refused.
fn map_status(s: Status, host: &str, workspace: Option<&str>) -> Result<Mention, Malformed> {
    let created_at = DateTime::parse_from_rfc3339(&s.created_at)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Malformed::new(format!("created_at: `{}` is not a timestamp: {e}", s.created_at)))?;
    let id = |native: &str| format!("{host}/{native}");
    let author = Author {
        id: Some(id(&s.account.id)),
        handle: qualify(&s.account.acct, host),
        display_name: Some(s.account.display_name.clone()).filter(|n| !n.is_empty()),
        followers: s.account.followers_count,
    };
    let source = s.reblog.as_deref().unwrap_or(&s);
    let mut m = Mention::new(Platform::Mastodon, id(&s.id), html::to_text(&source.content), created_at, author);
    if let Some(original) = &s.reblog {
        // A boost carries the boosted status: its words are what the boost spreads.
        m.repost_of = Some(Reference { id: id(&original.id), author: Some(qualify(&original.account.acct, host)) });
    }
    m.url = s.url.clone().or_else(|| Some(s.uri.clone())).filter(|u| u.starts_with("http"));
    m.lang = source.language.clone().map(Into::into);
    if !source.spoiler_text.trim().is_empty() {
        m.title = Some(source.spoiler_text.trim().to_string());
    }
    if let Some(parent) = &s.in_reply_to_id {
        let parent_author = s.in_reply_to_account_id.as_deref().and_then(|aid| {
            if aid == s.account.id {
                Some(qualify(&s.account.acct, host))
            } else {
                s.mentions.iter().find(|x| x.id == aid).map(|x| qualify(&x.acct, host))
            }
        });
        m.reply_to = Some(Reference { id: id(parent), author: parent_author });
    }
    if let Some(quoted) = s.quote.as_ref().and_then(|q| q.get("quoted_status").or(Some(q))).filter(|q| q.is_object()) {
        let qid = quoted.get("id").and_then(|v| v.as_str());
        let qacct = quoted.get("account").and_then(|a| a.get("acct")).and_then(|v| v.as_str());
        if let Some(qid) = qid {
            m.quote_of = Some(Reference { id: id(qid), author: qacct.map(|a| qualify(a, host)) });
        }
    }
    m.mentions = source.mentions.iter().map(|x| qualify(&x.acct, host)).collect();
    m.engagement.likes = s.favourites_count;
    m.engagement.reposts = s.reblogs_count;
    m.engagement.replies = s.replies_count;
    m.engagement.quotes = s.quotes_count;
    if !source.tags.is_empty() {
        m.attributes
            .insert("hashtags".into(), source.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(" "));
    }
    Ok(finish(m, workspace)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_maps_html_accounts_references_and_counts() {
        let json = r#"{"id":"103270115826048975","created_at":"2019-12-08T03:48:33.901Z","in_reply_to_id":"103270115826038975","in_reply_to_account_id":"14715","sensitive":false,"spoiler_text":"","visibility":"public","language":"en","uri":"https://mastodon.social/users/Gargron/statuses/103270115826048975","url":"https://mastodon.social/@Gargron/103270115826048975","replies_count":5,"reblogs_count":6,"favourites_count":11,"content":"<p><span class=\"h-card\"><a href=\"https://other.example/@ann\" class=\"u-url mention\">@<span>ann</span></a></span> Acme&#39;s new app is great</p>","reblog":null,"account":{"id":"1","username":"Gargron","acct":"Gargron","display_name":"Eugen","followers_count":322930},"mentions":[{"id":"14715","username":"ann","url":"https://other.example/@ann","acct":"ann@other.example"}],"tags":[{"name":"acme","url":"https://mastodon.social/tags/acme"}]}"#;
        let status = Status::from_value(serde_json::from_str(json).unwrap()).unwrap();
        let m = status.into_mention("mastodon.social", None).unwrap();
        assert_eq!(m.key().as_str(), "mastodon:mastodon.social/103270115826048975");
        assert_eq!(m.text, "@ann Acme's new app is great");
        assert_eq!(m.author.handle, "Gargron@mastodon.social");
        assert_eq!(m.author.followers, Some(322930));
        let r = m.reply_to.as_ref().unwrap();
        assert_eq!(
            (r.id.as_str(), r.author.as_deref()),
            ("mastodon.social/103270115826038975", Some("ann@other.example"))
        );
        assert_eq!(m.mentions, ["ann@other.example"]);
        assert_eq!((m.engagement.likes, m.engagement.reposts, m.engagement.replies), (11, 6, 5));
        assert_eq!(m.attributes.get("hashtags").map(String::as_str), Some("acme"));
    }
}
