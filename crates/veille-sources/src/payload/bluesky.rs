//! Bluesky Jetstream events: one JSON object per WebSocket text frame.
//!
//! Jetstream turns the AT Protocol firehose into JSON events stamped with
//! `time_us`, a microsecond cursor. Commits creating `app.bsky.feed.post`
//! records become mentions; deletions, other collections and identity or
//! account events are skipped.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use veille_model::{Author, Mention, Platform, Reference};

use super::{finish, Malformed};

/// The collection of Bluesky posts.
pub const POST: &str = "app.bsky.feed.post";

/// One Jetstream event (the fields veille reads).
#[derive(Debug, Deserialize)]
pub struct Event {
    did: String,
    time_us: u64,
    kind: String,
    #[serde(default)]
    commit: Option<Commit>,
}

#[derive(Debug, Deserialize)]
struct Commit {
    operation: String,
    collection: String,
    rkey: String,
    #[serde(default)]
    record: Option<serde_json::Value>,
    #[serde(default)]
    cid: Option<String>,
}

/// An `app.bsky.feed.post` record.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Post {
    #[serde(default)]
    text: String,
    created_at: String,
    #[serde(default)]
    langs: Vec<String>,
    #[serde(default)]
    reply: Option<Reply>,
    #[serde(default)]
    embed: Option<serde_json::Value>,
    #[serde(default)]
    facets: Vec<Facet>,
}

#[derive(Debug, Deserialize)]
struct Reply {
    parent: StrongRef,
}

#[derive(Debug, Deserialize)]
struct StrongRef {
    uri: String,
}

#[derive(Debug, Deserialize)]
struct Facet {
    #[serde(default)]
    features: Vec<serde_json::Value>,
}

/// The DID of an `at://did/collection/rkey` URI.
fn uri_author(uri: &str) -> Option<String> {
    uri.strip_prefix("at://")?.split('/').next().filter(|d| d.starts_with("did:")).map(str::to_string)
}

/// The post quoted by an embed (`app.bsky.embed.record` or `recordWithMedia`).
fn quoted_uri(embed: &serde_json::Value) -> Option<String> {
    let record = match embed.get("$type")?.as_str()? {
        "app.bsky.embed.record" => embed.get("record")?,
        "app.bsky.embed.recordWithMedia" => embed.get("record")?.get("record")?,
        _ => return None,
    };
    let uri = record.get("uri")?.as_str()?;
    uri.contains(&format!("/{POST}/")).then(|| uri.to_string())
}

impl Event {
    /// Parses one text frame; `Err` says why it is not a Jetstream event.
    pub fn parse(text: &str) -> Result<Event, Malformed> {
        serde_json::from_str(text).map_err(|e| Malformed::new(format!("not a Jetstream event: {e}")))
    }

    /// The event's cursor: microseconds since the epoch, increasing along the stream.
    pub fn time_us(&self) -> u64 {
        self.time_us
    }

    /// The post this event creates, in `workspace` when given; `Ok(None)` when
    /// there is nothing to listen to (a deletion, another collection, an
    /// identity change, a post with neither words nor a quote).
    pub fn into_mention(self, workspace: Option<&str>) -> Result<Option<Mention>, Malformed> {
        map_event(self, workspace)
    }
}

/// Maps one event; `Err` holds why it is malformed.
fn map_event(e: Event, workspace: Option<&str>) -> Result<Option<Mention>, Malformed> {
    let Some(commit) = e.commit.filter(|_| e.kind == "commit") else {
        return Ok(None);
    };
    if commit.collection != POST || commit.operation == "delete" {
        return Ok(None);
    }
    let record = commit.record.ok_or_else(|| Malformed::new("commit.record is missing"))?;
    let post: Post = serde_json::from_value(record).map_err(|e| Malformed::new(format!("commit.record: {e}")))?;
    let created_at = DateTime::parse_from_rfc3339(&post.created_at).map(|t| t.with_timezone(&Utc)).map_err(|err| {
        Malformed::new(format!("commit.record.createdAt: `{}` is not a timestamp: {err}", post.created_at))
    })?;
    let uri = format!("at://{}/{POST}/{}", e.did, commit.rkey);
    let author = Author { id: Some(e.did.clone()), handle: e.did.clone(), display_name: None, followers: None };
    let mut m = Mention::new(Platform::Bluesky, uri.clone(), post.text.trim(), created_at, author);
    m.lang = post.langs.first().cloned().map(Into::into);
    m.url = Some(format!("https://bsky.app/profile/{}/post/{}", e.did, commit.rkey));
    let reference = |uri: String| Reference { author: uri_author(&uri), id: uri };
    m.reply_to = post.reply.map(|r| reference(r.parent.uri));
    let quoted = post.embed.as_ref().and_then(quoted_uri).map(reference);
    if m.text.is_empty() {
        // A quote without words is a repost; a post with only pictures says nothing to listen to.
        match quoted {
            Some(q) => m.repost_of = Some(q),
            None => return Ok(None),
        }
    } else {
        m.quote_of = quoted;
    }
    let mut links = Vec::new();
    for feature in post.facets.iter().flat_map(|f| &f.features) {
        match feature.get("$type").and_then(|t| t.as_str()) {
            Some("app.bsky.richtext.facet#mention") => {
                if let Some(did) = feature.get("did").and_then(|d| d.as_str()) {
                    if !m.mentions.iter().any(|h| h == did) {
                        m.mentions.push(did.to_string());
                    }
                }
            }
            Some("app.bsky.richtext.facet#link") => {
                if let Some(uri) = feature.get("uri").and_then(|d| d.as_str()) {
                    links.push(uri.to_string());
                }
            }
            _ => {}
        }
    }
    if !links.is_empty() {
        m.attributes.insert("links".into(), links.join(" "));
    }
    if let Some(cid) = commit.cid {
        m.attributes.insert("cid".into(), cid);
    }
    Ok(Some(finish(m, workspace)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> Event {
        Event::parse(json).unwrap()
    }

    #[test]
    fn a_reply_quoting_a_post_maps_its_references_mentions_and_language() {
        let e = event(
            r#"{"did":"did:plc:alice","time_us":1725911162329308,"kind":"commit","commit":{"rev":"3l3qo2vutsw2b","operation":"create","collection":"app.bsky.feed.post","rkey":"3l3qo2vuowo2b","record":{"$type":"app.bsky.feed.post","createdAt":"2024-09-09T19:46:02.102Z","langs":["fr"],"text":"Merci @bob.bsky.social pour Acme","reply":{"parent":{"cid":"bafyp","uri":"at://did:plc:bob/app.bsky.feed.post/3parent"},"root":{"cid":"bafyr","uri":"at://did:plc:bob/app.bsky.feed.post/3root"}},"embed":{"$type":"app.bsky.embed.record","record":{"cid":"bafyq","uri":"at://did:plc:carol/app.bsky.feed.post/3quoted"}},"facets":[{"index":{"byteStart":6,"byteEnd":22},"features":[{"$type":"app.bsky.richtext.facet#mention","did":"did:plc:bob"}]}]},"cid":"bafyself"}}"#,
        );
        let Ok(Some(m)) = e.into_mention(Some("acme")) else { panic!("not a post") };
        assert_eq!(m.key().as_str(), "bluesky:at://did:plc:alice/app.bsky.feed.post/3l3qo2vuowo2b");
        assert_eq!(m.lang.as_deref(), Some("fr"));
        assert_eq!(m.workspace, "acme");
        let reply = m.reply_to.as_ref().unwrap();
        assert_eq!(
            (reply.id.as_str(), reply.author.as_deref()),
            ("at://did:plc:bob/app.bsky.feed.post/3parent", Some("did:plc:bob"))
        );
        assert_eq!(m.quote_of.as_ref().unwrap().author.as_deref(), Some("did:plc:carol"));
        assert_eq!(m.mentions, ["did:plc:bob"]);
        assert_eq!(m.url.as_deref(), Some("https://bsky.app/profile/did:plc:alice/post/3l3qo2vuowo2b"));
    }

    #[test]
    fn deletions_likes_and_identity_events_are_skipped_but_bad_posts_are_not() {
        for skipped in [
            r#"{"did":"did:plc:a","time_us":1,"kind":"commit","commit":{"rev":"r","operation":"delete","collection":"app.bsky.feed.post","rkey":"k"}}"#,
            r#"{"did":"did:plc:a","time_us":2,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"app.bsky.feed.like","rkey":"k","record":{}}}"#,
            r#"{"did":"did:plc:a","time_us":3,"kind":"identity","identity":{"did":"did:plc:a","handle":"a.bsky.social","seq":1,"time":"2024-09-09T19:46:02.102Z"}}"#,
        ] {
            assert!(matches!(event(skipped).into_mention(None), Ok(None)));
        }
        let bad = r#"{"did":"did:plc:a","time_us":4,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"app.bsky.feed.post","rkey":"k","record":{"text":"hi","createdAt":"yesterday"}}}"#;
        let Err(reason) = event(bad).into_mention(None) else { panic!("accepted") };
        assert!(reason.reason().contains("createdAt"), "{reason}");
    }
}
