//! `kind = "reddit"`: posts (t3) and comments (t1) from Reddit listings.
//!
//! Each listing (`/r/{sub}/new.json`, `/r/{sub}/comments.json`,
//! `/search.json?sort=new`) is polled newest first and paged back with
//! `after` until it reaches what was already read. The cursor of a listing is
//! the creation time of the newest item read and the fullnames read at that
//! second, so a restart neither skips nor repeats items. (A `before=fullname`
//! anchor is not used to resume: when that item is deleted, Reddit answers an
//! empty page forever.)
//!
//! With OAuth app credentials (client id and secret from the environment) the
//! source gets a token by the client-credentials grant and reads
//! `oauth.reddit.com`; without, it reads the public `www.reddit.com` JSON. It
//! waits when `X-Ratelimit-Remaining` runs out, until `X-Ratelimit-Reset`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use veille_bus::Record;
use veille_config::RedditSource as RedditConfig;
use veille_model::{DeadLetter, Origin};

use crate::driver::{self, Connector, Fault, Next, Position, Read};
use crate::http::{Backoff, Failure, Pacing};
use crate::payload::reddit::{Listing as ListingPage, Thing};
use crate::{Source, SourceContext, SourceEnd, SourceError};

/// Pages read back in one poll at most (Reddit lists 1,000 items at most).
const MAX_PAGES: usize = 10;

/// Polls subreddit and search listings.
#[derive(Debug)]
pub struct RedditSource {
    config: RedditConfig,
    credentials: Option<(String, String)>,
    client: reqwest::Client,
    base: String,
    token: Option<(String, Instant)>,
    /// No request before this instant (the rate-limit window is used up).
    not_before: Option<Instant>,
    listings: Vec<Listing>,
    anchors: Anchors,
}

/// Where a listing's reading stopped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Anchor {
    /// `created_utc` of the newest item read.
    created: f64,
    /// Fullnames read with that `created_utc`.
    names: Vec<String>,
}

#[derive(Debug, Clone)]
struct Listing {
    key: String,
    path: String,
    query: Vec<(&'static str, String)>,
}

#[derive(Debug, Deserialize)]
struct Token {
    access_token: String,
    #[serde(default = "default_expiry")]
    expires_in: u64,
}

fn default_expiry() -> u64 {
    3600
}

/// The listings `config` asks for.
fn listings(config: &RedditConfig) -> Vec<Listing> {
    let mut out = Vec::new();
    for sub in &config.subreddits {
        let sub = sub.trim_start_matches("r/");
        out.push(Listing { key: format!("r/{sub}/new"), path: format!("/r/{sub}/new.json"), query: vec![] });
        if config.comments {
            out.push(Listing {
                key: format!("r/{sub}/comments"),
                path: format!("/r/{sub}/comments.json"),
                query: vec![],
            });
        }
    }
    if let Some(q) = &config.search {
        out.push(Listing {
            key: format!("search:{q}"),
            path: "/search.json".into(),
            query: vec![("q", q.clone()), ("sort", "new".into())],
        });
    }
    out
}

impl RedditSource {
    /// A source for `config`; fails when a credential's environment variable is missing.
    pub fn new(config: RedditConfig) -> Result<Self, SourceError> {
        let credentials = match (&config.client_id_env, &config.client_secret_env) {
            (Some(id), Some(secret)) => Some((
                crate::http::secret(&config.name, "client_id_env", id)?,
                crate::http::secret(&config.name, "client_secret_env", secret)?,
            )),
            _ => None,
        };
        let default_base = if credentials.is_some() { "https://oauth.reddit.com" } else { "https://www.reddit.com" };
        let base = config.base_url.clone().unwrap_or_else(|| default_base.into()).trim_end_matches('/').to_string();
        let client = crate::http::client(&config.name, &config.user_agent)?;
        let listings = listings(&config);
        let (token, not_before, anchors) = (None, None, Anchors::default());
        Ok(RedditSource { config, credentials, client, base, token, not_before, listings, anchors })
    }

    /// A bearer token, fetched again when missing or about to expire.
    async fn token(&mut self) -> Result<Option<String>, Failure> {
        let Some((id, secret)) = &self.credentials else { return Ok(None) };
        if let Some((t, until)) = &self.token {
            if Instant::now() < *until {
                return Ok(Some(t.clone()));
            }
        }
        let resp = self
            .client
            .post(&self.config.token_url)
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(Failure::from_response(resp).await);
        }
        let token: Token = resp.json().await?;
        let life = Duration::from_secs(token.expires_in.saturating_sub(60).max(1));
        self.token = Some((token.access_token.clone(), Instant::now() + life));
        Ok(Some(token.access_token))
    }

    /// GETs one listing page, respecting the rate-limit window.
    async fn page(&mut self, listing: &Listing, after: Option<&str>) -> Result<String, Failure> {
        if let Some(t) = self.not_before.take() {
            tokio::time::sleep_until(t).await;
        }
        let token = self.token().await?;
        let mut query = listing.query.clone();
        query.push(("limit", self.config.limit.to_string()));
        query.push(("raw_json", "1".into()));
        if let Some(a) = after {
            query.push(("after", a.to_string()));
        }
        let mut req = self.client.get(format!("{}{}", self.base, listing.path)).query(&query);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await?;
        let header =
            |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<f64>().ok());
        if let (Some(remaining), Some(reset)) = (header("x-ratelimit-remaining"), header("x-ratelimit-reset")) {
            if remaining < 1.0 {
                tracing::info!(source = %self.config.name, reset_s = reset, "rate-limit window used up; waiting");
                self.not_before = Some(Instant::now() + Duration::from_secs_f64(reset.max(0.0)));
            }
        }
        if resp.status() == reqwest::StatusCode::UNAUTHORIZED {
            self.token = None;
        }
        if resp.status() == reqwest::StatusCode::TOO_MANY_REQUESTS && crate::http::retry_after(resp.headers()).is_none()
        {
            let wait = header("x-ratelimit-reset").map(|s| Duration::from_secs_f64(s.max(0.0)));
            return Err(Failure::RateLimited(wait));
        }
        if !resp.status().is_success() {
            return Err(Failure::from_response(resp).await);
        }
        Ok(resp.text().await?)
    }

    /// Reads what is new in one listing.
    async fn poll(&mut self, listing: &Listing, read: &mut Read<Anchors>) -> Result<(), Fault> {
        let anchor = self.anchors.0.get(&listing.key).cloned();
        let mut fresh: Vec<Thing> = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let body = self.page(listing, after.as_deref()).await?;
            read.heard();
            let page = match ListingPage::parse(&body) {
                Ok(p) => p,
                Err(e) => {
                    let origin = Origin {
                        source: self.config.name.clone(),
                        location: format!("{} page after {after:?}", listing.path),
                    };
                    read.record(Record::Dead(Box::new(DeadLetter::new(origin, e.to_string(), body))));
                    return Err(Failure::Malformed("listing".into()).into());
                }
            };
            let (children, next) = page.into_parts();
            let count = children.len();
            let mut reached = false;
            for thing in children {
                let created = thing.created_utc().unwrap_or(f64::MAX);
                let fullname = thing.fullname();
                let is_new = match &anchor {
                    None => true,
                    Some(a) => created > a.created || (created == a.created && !a.names.iter().any(|n| n == fullname)),
                };
                if !is_new {
                    reached = true;
                    break;
                }
                fresh.push(thing);
            }
            after = next;
            if reached || anchor.is_none() || count < self.config.limit as usize || after.is_none() {
                break;
            }
        }
        // Oldest first, so the cursor only moves forward.
        for thing in fresh.into_iter().rev() {
            self.thing(listing, thing, read);
        }
        Ok(())
    }

    /// Reads one new item and moves its listing's anchor past it.
    fn thing(&mut self, listing: &Listing, thing: Thing, read: &mut Read<Anchors>) {
        let created = thing.created_utc().unwrap_or(0.0);
        let fullname = thing.fullname().to_string();
        let a = self.anchors.0.entry(listing.key.clone()).or_default();
        if created > a.created {
            *a = Anchor { created, names: vec![fullname.clone()] };
        } else if created == a.created {
            a.names.push(fullname.clone());
        }
        let raw = thing.raw();
        let record = match thing.into_mention(self.config.workspace.as_deref()) {
            Ok(m) => Record::Mention(Box::new(m)),
            Err(reason) => {
                let origin =
                    Origin { source: self.config.name.clone(), location: format!("{} {fullname}", listing.path) };
                Record::Dead(Box::new(DeadLetter::new(origin, reason.to_string(), raw)))
            }
        };
        read.record(record);
        read.at(self.anchors.clone());
    }
}

/// Where each listing's reading stopped, by listing key.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Anchors(BTreeMap<String, Anchor>);

impl Position for Anchors {
    const EXPECTED: &'static str = "a JSON map of listing to anchor";

    fn decode(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map(Anchors).map_err(|e| e.to_string())
    }

    fn encode(&self) -> String {
        // A map of strings to plain data always serializes.
        serde_json::to_string(&self.0).unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl Source for RedditSource {
    fn name(&self) -> &str {
        &self.config.name
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let name = self.config.name.clone();
        driver::drive(ctx, &name, Duration::ZERO, "listings", *self).await
    }
}

/// Where a round over the listings stands: the index of the next listing to poll.
pub(crate) struct Round(usize);

#[async_trait::async_trait]
impl Connector for RedditSource {
    type Session = Round;
    type Position = Anchors;

    fn pacing(&self) -> Pacing {
        Pacing::uniform(Backoff::exponential(self.config.backoff))
    }

    fn resume(&mut self, at: Anchors) {
        self.anchors = at;
    }

    /// A round starts over from the first listing (after a failure too).
    async fn connect(&mut self) -> Result<Round, Fault> {
        Ok(Round(0))
    }

    /// Polls the round's next listing; after the last, waits the poll interval.
    async fn next(&mut self, round: &mut Round, read: &mut Read<Anchors>) -> Result<Next, Fault> {
        let Some(listing) = self.listings.get(round.0).cloned() else {
            return Ok(Next::After(Duration::from_millis(self.config.poll_interval_ms)));
        };
        self.poll(&listing, read).await?;
        round.0 += 1;
        if round.0 < self.listings.len() {
            return Ok(Next::More);
        }
        round.0 = 0;
        Ok(Next::After(Duration::from_millis(self.config.poll_interval_ms)))
    }
}
