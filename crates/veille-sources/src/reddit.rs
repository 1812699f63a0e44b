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

use chrono::DateTime;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use veille_bus::Record;
use veille_config::RedditSource as RedditConfig;
use veille_model::{Author, DeadLetter, Mention, Origin, Platform, Reference};

use crate::http::{pause, Backoff, Failure};
use crate::outbox::Outbox;
use crate::{metrics, Source, SourceContext, SourceEnd, SourceError};

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
struct ListingPage {
    data: ListingData,
}

#[derive(Debug, Deserialize)]
struct ListingData {
    #[serde(default)]
    after: Option<String>,
    children: Vec<Thing>,
}

#[derive(Debug, Deserialize)]
struct Thing {
    kind: String,
    data: serde_json::Value,
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

#[derive(Debug, Deserialize)]
struct Token {
    access_token: String,
    #[serde(default = "default_expiry")]
    expires_in: u64,
}

fn default_expiry() -> u64 {
    3600
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
    let _ = &item.id;
    if let Some(ws) = workspace {
        m.workspace = ws.to_string();
    }
    m.normalize_and_validate().map_err(|e| e.to_string())?;
    Ok(m)
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
        Ok(RedditSource { config, credentials, client, base, token: None, not_before: None })
    }

    fn listings(&self) -> Vec<Listing> {
        let mut out = Vec::new();
        for sub in &self.config.subreddits {
            let sub = sub.trim_start_matches("r/");
            out.push(Listing { key: format!("r/{sub}/new"), path: format!("/r/{sub}/new.json"), query: vec![] });
            if self.config.comments {
                out.push(Listing {
                    key: format!("r/{sub}/comments"),
                    path: format!("/r/{sub}/comments.json"),
                    query: vec![],
                });
            }
        }
        if let Some(q) = &self.config.search {
            out.push(Listing {
                key: format!("search:{q}"),
                path: "/search.json".into(),
                query: vec![("q", q.clone()), ("sort", "new".into())],
            });
        }
        out
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

    /// Reads what is new in one listing into the outbox.
    async fn poll(
        &mut self,
        listing: &Listing,
        anchors: &mut BTreeMap<String, Anchor>,
        outbox: &mut Outbox,
    ) -> Result<(), Failure> {
        let name = self.config.name.clone();
        let anchor = anchors.get(&listing.key).cloned();
        let mut fresh: Vec<Thing> = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let body = self.page(listing, after.as_deref()).await?;
            metrics::event(&name);
            let page: ListingPage = match serde_json::from_str(&body) {
                Ok(p) => p,
                Err(e) => {
                    let origin =
                        Origin { source: name.clone(), location: format!("{} page after {after:?}", listing.path) };
                    let dead = DeadLetter::new(origin, format!("not a Reddit listing: {e}"), body);
                    outbox.add(Record::Dead(Box::new(dead)));
                    return Err(Failure::Client(reqwest::StatusCode::OK, "malformed listing".into()));
                }
            };
            let count = page.data.children.len();
            let mut reached = false;
            for thing in page.data.children {
                let created = thing.data.get("created_utc").and_then(|c| c.as_f64()).unwrap_or(f64::MAX);
                let fullname = thing.data.get("name").and_then(|n| n.as_str()).unwrap_or_default();
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
            after = page.data.after;
            if reached || anchor.is_none() || count < self.config.limit as usize || after.is_none() {
                break;
            }
        }
        // Oldest first, so the cursor only moves forward.
        for thing in fresh.into_iter().rev() {
            let created = thing.data.get("created_utc").and_then(|c| c.as_f64()).unwrap_or(0.0);
            let fullname = thing.data.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_string();
            let a = anchors.entry(listing.key.clone()).or_default();
            if created > a.created {
                *a = Anchor { created, names: vec![fullname.clone()] };
            } else if created == a.created {
                a.names.push(fullname.clone());
            }
            let cursor = serde_json::to_string(&anchors).unwrap_or_default();
            let raw = thing.data.to_string();
            let record = match map_thing(&thing.kind, thing.data, self.config.workspace.as_deref()) {
                Ok(m) => Record::Mention(Box::new(m)),
                Err(reason) => {
                    let origin = Origin { source: name.clone(), location: format!("{} {fullname}", listing.path) };
                    Record::Dead(Box::new(DeadLetter::new(origin, reason, raw)))
                }
            };
            outbox.push(record, cursor);
            if outbox.flush_if_full().await.is_err() {
                return Ok(());
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Source for RedditSource {
    fn name(&self) -> &str {
        &self.config.name
    }

    async fn run(mut self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let name = self.config.name.clone();
        let mut anchors: BTreeMap<String, Anchor> = match &ctx.resume {
            Some(c) => serde_json::from_str(c).map_err(|e| SourceError::Cursor {
                source_name: name.clone(),
                cursor: c.clone(),
                message: format!("expected a JSON map of listing to anchor: {e}"),
            })?,
            None => BTreeMap::new(),
        };
        let mut outbox = Outbox::new(&name, ctx.out.clone(), ctx.batch_size, Duration::ZERO);
        let mut backoff = Backoff::exponential(self.config.backoff);
        let interval = Duration::from_millis(self.config.poll_interval_ms);
        let listings = self.listings();
        loop {
            let mut wait = interval;
            for listing in &listings {
                let polled = tokio::select! {
                    p = self.poll(listing, &mut anchors, &mut outbox) => p,
                    _ = ctx.cancel.cancelled() => {
                        let _ = outbox.flush().await;
                        return Ok(SourceEnd::Cancelled);
                    }
                };
                if outbox.flush().await.is_err() {
                    return Ok(SourceEnd::Cancelled);
                }
                match polled {
                    Ok(()) => backoff.reset(),
                    Err(f) => {
                        wait = f.record(&name, &listing.path, &mut backoff);
                        break;
                    }
                }
            }
            if !pause(wait, &ctx.cancel).await {
                return Ok(SourceEnd::Cancelled);
            }
        }
    }
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
