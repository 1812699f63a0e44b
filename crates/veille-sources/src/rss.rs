//! `kind = "rss"`: entries of RSS and Atom feeds (news, blogs, Google Alerts).
//!
//! Every feed is polled on its own interval with a conditional GET
//! (`If-None-Match` from the last `ETag`, `If-Modified-Since` from the last
//! `Last-Modified`): a `304 Not Modified` costs the server nothing. Entries
//! already seen are skipped, so an entry is sent once however many polls list
//! it. The cursor holds, per feed, the validators and the hashes of the
//! entries seen, and travels with the batch holding the entries it covers.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use veille_bus::Record;
use veille_config::RssSource as RssConfig;
use veille_model::{Author, DeadLetter, Mention, Origin, Platform};

use crate::http::{Backoff, Failure};
use crate::outbox::Outbox;
use crate::{html, metrics, Source, SourceContext, SourceEnd, SourceError};

/// Entry hashes remembered per feed, at least (more when a feed lists more entries).
const SEEN_PER_FEED: usize = 1_000;
/// Bytes of a malformed feed kept in its dead letter.
const DEAD_FEED_BYTES: usize = 4_096;

/// Polls feeds and sends their new entries.
#[derive(Debug)]
pub struct RssSource {
    config: RssConfig,
    client: reqwest::Client,
}

/// What the cursor remembers of one feed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct FeedState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    modified: Option<String>,
    /// FNV-1a hashes (hex) of the ids of the entries seen, oldest first.
    #[serde(default)]
    seen: VecDeque<String>,
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

/// Maps one entry of `feed` fetched from `feed_url`; `Err` holds why it is refused.
fn map_entry(
    entry: &feed_rs::model::Entry,
    feed: &feed_rs::model::Feed,
    feed_url: &str,
    workspace: Option<&str>,
) -> Result<Mention, String> {
    let link =
        entry.links.iter().find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate")).map(|l| article_link(&l.href));
    let text = entry
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .or(entry.summary.as_ref().map(|s| s.content.as_str()))
        .map(html::to_text)
        .unwrap_or_default();
    let title = entry.title.as_ref().map(|t| html::to_text(&t.content)).filter(|t| !t.is_empty());
    let feed_title = feed.title.as_ref().map(|t| html::to_text(&t.content)).filter(|t| !t.is_empty());
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
    m.lang = entry.language.clone().or(feed.language.clone());
    if let Some(t) = feed_title {
        m.attributes.insert("feed".into(), t);
    }
    m.attributes.insert("feed_url".into(), feed_url.to_string());
    if let Some(ws) = workspace {
        m.workspace = ws.to_string();
    }
    m.normalize_and_validate().map_err(|e| e.to_string())?;
    Ok(m)
}

/// A feed's answer to a conditional GET.
enum Fetched {
    NotModified,
    Body { bytes: Vec<u8>, etag: Option<String>, modified: Option<String> },
}

impl RssSource {
    /// A source for `config`.
    pub fn new(config: RssConfig) -> Result<Self, SourceError> {
        let client = crate::http::client(&config.name, &config.user_agent)?;
        Ok(RssSource { config, client })
    }

    async fn fetch(&self, url: &str, state: &FeedState) -> Result<Fetched, Failure> {
        let mut req = self
            .client
            .get(url)
            .header("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8");
        if let Some(etag) = &state.etag {
            req = req.header("If-None-Match", etag);
        }
        if let Some(modified) = &state.modified {
            req = req.header("If-Modified-Since", modified);
        }
        let resp = req.send().await?;
        if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !resp.status().is_success() {
            return Err(Failure::from_response(resp).await);
        }
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (etag, modified) = (header("etag"), header("last-modified"));
        let bytes = resp.bytes().await?.to_vec();
        Ok(Fetched::Body { bytes, etag, modified })
    }

    /// Reads one fetched feed into the outbox, updating its state.
    fn read(&self, url: &str, bytes: &[u8], states: &mut BTreeMap<String, FeedState>, outbox: &mut Outbox) {
        let name = self.config.name.as_str();
        let feed = match feed_rs::parser::parse(bytes) {
            Ok(f) => f,
            Err(e) => {
                metrics::error(name, "malformed");
                let kept = &bytes[..bytes.len().min(DEAD_FEED_BYTES)];
                let origin = Origin { source: name.into(), location: format!("feed {url}") };
                let dead =
                    DeadLetter::new(origin, format!("not an RSS or Atom feed: {e}"), String::from_utf8_lossy(kept));
                outbox.add(Record::Dead(Box::new(dead)));
                return;
            }
        };
        let mut entries: Vec<&feed_rs::model::Entry> = feed.entries.iter().collect();
        // Oldest first, so the entries of one poll arrive in publication order.
        entries.sort_by_key(|e| e.published.or(e.updated));
        let keep = SEEN_PER_FEED.max(2 * entries.len());
        for entry in entries {
            let hash = format!("{:016x}", fnv1a(&entry.id));
            let state = states.entry(url.to_string()).or_default();
            if state.seen.contains(&hash) {
                continue;
            }
            state.seen.push_back(hash);
            while state.seen.len() > keep {
                state.seen.pop_front();
            }
            let record = match map_entry(entry, &feed, url, self.config.workspace.as_deref()) {
                Ok(m) => Record::Mention(Box::new(m)),
                Err(reason) => {
                    let origin = Origin { source: name.into(), location: format!("feed {url} entry {}", entry.id) };
                    let original = entry.title.as_ref().map(|t| t.content.clone()).unwrap_or_else(|| entry.id.clone());
                    Record::Dead(Box::new(DeadLetter::new(origin, reason, original)))
                }
            };
            outbox.push(record, serde_json::to_string(&states).unwrap_or_default());
        }
    }
}

#[async_trait::async_trait]
impl Source for RssSource {
    fn name(&self) -> &str {
        &self.config.name
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let name = self.config.name.clone();
        let mut states: BTreeMap<String, FeedState> = match &ctx.resume {
            Some(c) => serde_json::from_str(c).map_err(|e| SourceError::Cursor {
                source_name: name.clone(),
                cursor: c.clone(),
                message: format!("expected a JSON map of feed URL to state: {e}"),
            })?,
            None => BTreeMap::new(),
        };
        let feeds = &self.config.feeds;
        let interval = |i: usize| Duration::from_millis(feeds[i].interval_ms.unwrap_or(self.config.interval_ms));
        let mut due: Vec<Instant> = vec![Instant::now(); feeds.len()];
        let mut backoffs: Vec<Backoff> = feeds.iter().map(|_| Backoff::exponential(self.config.backoff)).collect();
        let mut outbox = Outbox::new(&name, ctx.out.clone(), ctx.batch_size, Duration::ZERO);
        loop {
            let Some(i) = (0..feeds.len()).min_by_key(|&i| due[i]) else {
                return Ok(SourceEnd::Exhausted);
            };
            tokio::select! {
                _ = tokio::time::sleep_until(due[i]) => {}
                _ = ctx.cancel.cancelled() => return Ok(SourceEnd::Cancelled),
            }
            let url = feeds[i].url.as_str();
            let state = states.get(url).cloned().unwrap_or_default();
            let fetched = tokio::select! {
                f = self.fetch(url, &state) => f,
                _ = ctx.cancel.cancelled() => return Ok(SourceEnd::Cancelled),
            };
            due[i] = Instant::now() + interval(i);
            match fetched {
                Ok(Fetched::NotModified) => {
                    metrics::event(&name);
                    backoffs[i].reset();
                }
                Ok(Fetched::Body { bytes, etag, modified }) => {
                    metrics::event(&name);
                    backoffs[i].reset();
                    self.read(url, &bytes, &mut states, &mut outbox);
                    let state = states.entry(url.to_string()).or_default();
                    if state.etag != etag || state.modified != modified {
                        state.etag = etag;
                        state.modified = modified;
                        outbox.advance(serde_json::to_string(&states).unwrap_or_default());
                    }
                }
                Err(f) => due[i] = Instant::now() + f.record(&name, url, &mut backoffs[i]),
            }
            if outbox.flush().await.is_err() {
                return Ok(SourceEnd::Cancelled);
            }
        }
    }
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
