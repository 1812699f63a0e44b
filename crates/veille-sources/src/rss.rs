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

use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use veille_bus::Record;
use veille_config::RssSource as RssConfig;
use veille_model::{DeadLetter, Origin};

use crate::http::{Backoff, Failure};
use crate::outbox::Outbox;
use crate::payload::rss::Feed;
use crate::{metrics, Source, SourceContext, SourceEnd, SourceError};

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
        let feed = match Feed::parse(bytes) {
            Ok(f) => f,
            Err(e) => {
                metrics::error(name, "malformed");
                let kept = &bytes[..bytes.len().min(DEAD_FEED_BYTES)];
                let origin = Origin { source: name.into(), location: format!("feed {url}") };
                let dead = DeadLetter::new(origin, e.to_string(), String::from_utf8_lossy(kept));
                outbox.add(Record::Dead(Box::new(dead)));
                return;
            }
        };
        // Oldest first, so the entries of one poll arrive in publication order.
        let entries = feed.entries();
        let keep = SEEN_PER_FEED.max(2 * entries.len());
        for entry in entries {
            let hash = entry.id_hash();
            let state = states.entry(url.to_string()).or_default();
            if state.seen.contains(&hash) {
                continue;
            }
            state.seen.push_back(hash);
            while state.seen.len() > keep {
                state.seen.pop_front();
            }
            let record = match entry.to_mention(url, self.config.workspace.as_deref()) {
                Ok(m) => Record::Mention(Box::new(m)),
                Err(reason) => {
                    let origin = Origin { source: name.into(), location: format!("feed {url} entry {}", entry.id()) };
                    Record::Dead(Box::new(DeadLetter::new(origin, reason.to_string(), entry.original())))
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
