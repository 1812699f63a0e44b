//! `kind = "rss"`: entries of RSS and Atom feeds (news, blogs, Google Alerts).
//!
//! Every feed is polled on its own interval with a conditional GET
//! (`If-None-Match` from the last `ETag`, `If-Modified-Since` from the last
//! `Last-Modified`): a `304 Not Modified` costs the server nothing. Entries
//! already seen are skipped, so an entry is sent once however many polls list
//! it. The cursor holds, per feed, the validators and the hashes of the
//! entries seen, and travels with the batch holding the entries it covers.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use veille_bus::Record;
use veille_config::RssSource as RssConfig;
use veille_model::{DeadLetter, Origin};

use crate::driver::{self, Connector, Fault, Next, Read};
use crate::http::{Backoff, ErrorKind, Failure, Pacing};
use crate::payload::rss::Feed;
use crate::{Source, SourceContext, SourceEnd, SourceError};

/// Entry hashes remembered per feed, at least (more when a feed lists more entries).
const SEEN_PER_FEED: usize = 1_000;
/// Bytes of a malformed feed kept in its dead letter.
const DEAD_FEED_BYTES: usize = 4_096;

/// Polls feeds and sends their new entries.
#[derive(Debug)]
pub struct RssSource {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
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
        Ok(RssSource { shared: Arc::new(Shared { config, client }) })
    }
}

#[async_trait::async_trait]
impl Source for RssSource {
    fn name(&self) -> &str {
        &self.shared.config.name
    }

    /// Each feed is a lane of its own: its own interval, backoff and state.
    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let config = &self.shared.config;
        let lanes = config
            .feeds
            .iter()
            .map(|f| {
                let interval = Duration::from_millis(f.interval_ms.unwrap_or(config.interval_ms));
                let reader = FeedReader {
                    shared: self.shared.clone(),
                    url: f.url.clone(),
                    interval,
                    state: FeedState::default(),
                };
                (f.url.clone(), reader)
            })
            .collect();
        driver::drive_lanes(ctx, &config.name, Duration::ZERO, "a JSON map of feed URL to state", lanes).await
    }
}

/// Polls one feed; its position is the feed's state.
struct FeedReader {
    shared: Arc<Shared>,
    url: String,
    interval: Duration,
    state: FeedState,
}

impl FeedReader {
    async fn fetch(&self) -> Result<Fetched, Failure> {
        let mut req = self
            .shared
            .client
            .get(&self.url)
            .header("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8");
        if let Some(etag) = &self.state.etag {
            req = req.header("If-None-Match", etag);
        }
        if let Some(modified) = &self.state.modified {
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

    /// Reads one fetched feed, updating its state.
    fn read(&mut self, bytes: &[u8], read: &mut Read<FeedState>) {
        let (name, url) = (self.shared.config.name.as_str(), self.url.as_str());
        let feed = match Feed::parse(bytes) {
            Ok(f) => f,
            Err(e) => {
                read.fault(ErrorKind::Malformed, format!("feed {url}: {e}"));
                let kept = &bytes[..bytes.len().min(DEAD_FEED_BYTES)];
                let origin = Origin { source: name.into(), location: format!("feed {url}") };
                let dead = DeadLetter::new(origin, e.to_string(), String::from_utf8_lossy(kept));
                read.record(Record::Dead(Box::new(dead)));
                return;
            }
        };
        // Oldest first, so the entries of one poll arrive in publication order.
        let entries = feed.entries();
        let keep = SEEN_PER_FEED.max(2 * entries.len());
        for entry in entries {
            let hash = entry.id_hash();
            if self.state.seen.contains(&hash) {
                continue;
            }
            self.state.seen.push_back(hash);
            while self.state.seen.len() > keep {
                self.state.seen.pop_front();
            }
            let record = match entry.to_mention(url, self.shared.config.workspace.as_deref()) {
                Ok(m) => Record::Mention(Box::new(m)),
                Err(reason) => {
                    let origin = Origin { source: name.into(), location: format!("feed {url} entry {}", entry.id()) };
                    Record::Dead(Box::new(DeadLetter::new(origin, reason.to_string(), entry.original())))
                }
            };
            read.record(record);
            read.at(self.state.clone());
        }
    }
}

#[async_trait::async_trait]
impl Connector for FeedReader {
    /// Polling needs no session.
    type Session = ();
    type Position = FeedState;

    fn pacing(&self) -> Pacing {
        Pacing::uniform(Backoff::exponential(self.shared.config.backoff))
    }

    fn resume(&mut self, at: FeedState) {
        self.state = at;
    }

    async fn connect(&mut self) -> Result<(), Fault> {
        Ok(())
    }

    /// One conditional GET, then the feed's interval.
    async fn next(&mut self, _: &mut (), read: &mut Read<FeedState>) -> Result<Next, Fault> {
        match self.fetch().await? {
            Fetched::NotModified => read.heard(),
            Fetched::Body { bytes, etag, modified } => {
                read.heard();
                self.read(&bytes, read);
                if self.state.etag != etag || self.state.modified != modified {
                    self.state.etag = etag;
                    self.state.modified = modified;
                    read.at(self.state.clone());
                }
            }
        }
        Ok(Next::After(self.interval))
    }
}
