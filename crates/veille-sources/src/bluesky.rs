//! `kind = "bluesky"`: posts from a Bluesky Jetstream WebSocket.
//!
//! Jetstream turns the AT Protocol firehose into JSON events, each stamped
//! with `time_us`, a microsecond cursor. The source subscribes to
//! `app.bsky.feed.post` commits; its cursor is the `time_us` of the last event
//! it handled, and a (re)connection asks Jetstream to replay from there. Events
//! at or before the cursor are skipped, so a replay neither loses nor repeats
//! a post.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Deserialize;
use tokio_tungstenite::tungstenite::Message;
use veille_bus::Record;
use veille_config::BlueskySource as BlueskyConfig;
use veille_model::{Author, DeadLetter, Mention, Origin, Platform, Reference};

use crate::http::{error_chain, pause, Backoff};
use crate::outbox::Outbox;
use crate::{metrics, Source, SourceContext, SourceEnd, SourceError};

/// The collection of Bluesky posts.
const POST: &str = "app.bsky.feed.post";

/// Reads posts from a Jetstream endpoint, resuming from its `time_us` cursor.
#[derive(Debug, Clone)]
pub struct BlueskySource {
    config: BlueskyConfig,
}

impl BlueskySource {
    /// A source for `config`.
    pub fn new(config: BlueskyConfig) -> Self {
        BlueskySource { config }
    }

    /// The subscribe URL, replaying from `cursor` when known.
    fn url(&self, cursor: Option<u64>) -> Result<url::Url, SourceError> {
        let mut url = url::Url::parse(&self.config.url)
            .map_err(|e| SourceError::Config { source_name: self.config.name.clone(), message: format!("url: {e}") })?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("wantedCollections", POST);
            for did in &self.config.wanted_dids {
                q.append_pair("wantedDids", did);
            }
            if let Some(c) = cursor {
                q.append_pair("cursor", &c.to_string());
            }
        }
        Ok(url)
    }
}

/// One Jetstream event (the fields veille reads).
#[derive(Debug, Deserialize)]
struct Event {
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

/// What one event means for the source.
enum Outcome {
    /// A post to send.
    Post(Box<Mention>),
    /// Nothing to listen to (a deletion, an identity change, a post without text).
    Skip,
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

/// Maps one event; `Err` holds why it is malformed.
fn map_event(e: Event, workspace: Option<&str>) -> Result<Outcome, String> {
    let Some(commit) = e.commit.filter(|_| e.kind == "commit") else {
        return Ok(Outcome::Skip);
    };
    if commit.collection != POST || commit.operation == "delete" {
        return Ok(Outcome::Skip);
    }
    let record = commit.record.ok_or("commit.record is missing")?;
    let post: Post = serde_json::from_value(record).map_err(|e| format!("commit.record: {e}"))?;
    let created_at = DateTime::parse_from_rfc3339(&post.created_at)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|err| format!("commit.record.createdAt: `{}` is not a timestamp: {err}", post.created_at))?;
    let uri = format!("at://{}/{POST}/{}", e.did, commit.rkey);
    let author = Author { id: Some(e.did.clone()), handle: e.did.clone(), display_name: None, followers: None };
    let mut m = Mention::new(Platform::Bluesky, uri.clone(), post.text.trim(), created_at, author);
    m.lang = post.langs.first().cloned();
    m.url = Some(format!("https://bsky.app/profile/{}/post/{}", e.did, commit.rkey));
    let reference = |uri: String| Reference { author: uri_author(&uri), id: uri };
    m.reply_to = post.reply.map(|r| reference(r.parent.uri));
    let quoted = post.embed.as_ref().and_then(quoted_uri).map(reference);
    if m.text.is_empty() {
        // A quote without words is a repost; a post with only pictures says nothing to listen to.
        match quoted {
            Some(q) => m.repost_of = Some(q),
            None => return Ok(Outcome::Skip),
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
    if let Some(ws) = workspace {
        m.workspace = ws.to_string();
    }
    m.normalize_and_validate().map_err(|e| e.to_string())?;
    Ok(Outcome::Post(Box::new(m)))
}

/// Why a connection ended.
enum Ended {
    Cancelled,
    Closed,
    Broken(String),
}

#[async_trait::async_trait]
impl Source for BlueskySource {
    fn name(&self) -> &str {
        &self.config.name
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let name = self.config.name.clone();
        let mut cursor = match &ctx.resume {
            Some(c) => Some(c.parse::<u64>().map_err(|_| SourceError::Cursor {
                source_name: name.clone(),
                cursor: c.clone(),
                message: "expected a Jetstream time_us (microseconds)".into(),
            })?),
            None => None,
        };
        let mut outbox =
            Outbox::new(&name, ctx.out.clone(), ctx.batch_size, Duration::from_millis(self.config.flush_ms));
        let mut backoff = Backoff::exponential(self.config.backoff);
        loop {
            let url = self.url(cursor)?;
            tracing::info!(source = %name, cursor = ?cursor, "connecting to Jetstream");
            let connected = tokio::select! {
                c = tokio_tungstenite::connect_async(url.as_str()) => c,
                _ = ctx.cancel.cancelled() => return Ok(SourceEnd::Cancelled),
            };
            // A refused handshake (429, 5xx) may say when to come back.
            let mut refused: Option<(&'static str, Option<Duration>)> = None;
            let ended = match connected {
                Ok((ws, _)) => self.read(ws, &ctx, &mut outbox, &mut cursor, &mut backoff).await,
                Err(e) => {
                    if let tokio_tungstenite::tungstenite::Error::Http(resp) = &e {
                        let kind = if resp.status().as_u16() == 429 { "rate_limited" } else { "server" };
                        refused = Some((kind, crate::http::retry_after(resp.headers())));
                    }
                    Ended::Broken(error_chain(&e))
                }
            };
            if outbox.flush().await.is_err() {
                return Ok(SourceEnd::Cancelled);
            }
            let why = match ended {
                Ended::Cancelled => return Ok(SourceEnd::Cancelled),
                Ended::Closed => "closed by the server".to_string(),
                Ended::Broken(e) => e,
            };
            metrics::error(&name, refused.map_or("network", |(kind, _)| kind));
            let delay = backoff.next_delay();
            // What the server asked for when it said so and that is longer, as for HTTP sources.
            let delay = refused.and_then(|(_, wait)| wait).map_or(delay, |wait| delay.max(wait));
            tracing::warn!(source = %name, error = %why, retry_in_ms = delay.as_millis() as u64, "Jetstream connection lost");
            if !pause(delay, &ctx.cancel).await {
                return Ok(SourceEnd::Cancelled);
            }
        }
    }
}

impl BlueskySource {
    /// Reads one connection until it ends.
    async fn read<S>(
        &self,
        mut ws: tokio_tungstenite::WebSocketStream<S>,
        ctx: &SourceContext,
        outbox: &mut Outbox,
        cursor: &mut Option<u64>,
        backoff: &mut Backoff,
    ) -> Ended
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let name = self.config.name.as_str();
        let workspace = self.config.workspace.as_deref();
        loop {
            let msg = tokio::select! {
                m = ws.next() => m,
                _ = tokio::time::sleep_until(outbox.deadline()) => {
                    if outbox.flush().await.is_err() { return Ended::Cancelled; }
                    continue;
                }
                _ = ctx.cancel.cancelled() => {
                    let _ = ws.close(None).await;
                    return Ended::Cancelled;
                }
            };
            let text = match msg {
                None => return Ended::Closed,
                Some(Err(e)) => return Ended::Broken(error_chain(&e)),
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(Message::Close(_))) => return Ended::Closed,
                Some(Ok(Message::Binary(b))) => {
                    let origin = Origin { source: name.into(), location: format!("after cursor {cursor:?}") };
                    let dead = DeadLetter::new(
                        origin,
                        "binary frame: compressed events were not asked for",
                        String::from_utf8_lossy(&b),
                    );
                    outbox.add(Record::Dead(Box::new(dead)));
                    continue;
                }
                Some(Ok(_)) => continue,
            };
            backoff.reset();
            metrics::event(name);
            let event: Event = match serde_json::from_str(text.as_str()) {
                Ok(e) => e,
                Err(e) => {
                    let origin = Origin { source: name.into(), location: format!("after cursor {cursor:?}") };
                    let dead = DeadLetter::new(origin, format!("not a Jetstream event: {e}"), text.as_str());
                    outbox.add(Record::Dead(Box::new(dead)));
                    if outbox.flush_if_full().await.is_err() {
                        return Ended::Cancelled;
                    }
                    continue;
                }
            };
            let time_us = event.time_us;
            if cursor.is_some_and(|c| time_us <= c) {
                continue;
            }
            *cursor = Some(time_us);
            let location = format!("time_us {time_us}");
            match map_event(event, workspace) {
                Ok(Outcome::Post(m)) => outbox.push(Record::Mention(m), time_us.to_string()),
                Ok(Outcome::Skip) => outbox.advance(time_us.to_string()),
                Err(reason) => {
                    let dead = DeadLetter::new(Origin { source: name.into(), location }, reason, text.as_str());
                    outbox.push(Record::Dead(Box::new(dead)), time_us.to_string());
                }
            }
            if outbox.flush_if_full().await.is_err() {
                return Ended::Cancelled;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> Event {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_reply_quoting_a_post_maps_its_references_mentions_and_language() {
        let e = event(
            r#"{"did":"did:plc:alice","time_us":1725911162329308,"kind":"commit","commit":{"rev":"3l3qo2vutsw2b","operation":"create","collection":"app.bsky.feed.post","rkey":"3l3qo2vuowo2b","record":{"$type":"app.bsky.feed.post","createdAt":"2024-09-09T19:46:02.102Z","langs":["fr"],"text":"Merci @bob.bsky.social pour Acme","reply":{"parent":{"cid":"bafyp","uri":"at://did:plc:bob/app.bsky.feed.post/3parent"},"root":{"cid":"bafyr","uri":"at://did:plc:bob/app.bsky.feed.post/3root"}},"embed":{"$type":"app.bsky.embed.record","record":{"cid":"bafyq","uri":"at://did:plc:carol/app.bsky.feed.post/3quoted"}},"facets":[{"index":{"byteStart":6,"byteEnd":22},"features":[{"$type":"app.bsky.richtext.facet#mention","did":"did:plc:bob"}]}]},"cid":"bafyself"}}"#,
        );
        let Ok(Outcome::Post(m)) = map_event(e, Some("acme")) else { panic!("not a post") };
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
            assert!(matches!(map_event(event(skipped), None), Ok(Outcome::Skip)));
        }
        let bad = r#"{"did":"did:plc:a","time_us":4,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"app.bsky.feed.post","rkey":"k","record":{"text":"hi","createdAt":"yesterday"}}}"#;
        let Err(reason) = map_event(event(bad), None) else { panic!("accepted") };
        assert!(reason.contains("createdAt"), "{reason}");
    }
}
