//! `kind = "mastodon"`: statuses from a Mastodon server.
//!
//! Each followed timeline (the public one, or one per hashtag) is read on its
//! own: in `stream` mode from the streaming API (server-sent `update` events
//! carrying a Status), in `poll` mode from the REST timeline. Its cursor is the
//! id of the newest status handled. Before (re)streaming, the REST timeline is
//! read with `min_id` = cursor, page after page, so statuses posted while the
//! connection was down are caught up; the stream is opened before the catch-up
//! so nothing falls between the two, and statuses at or before the cursor are
//! skipped so nothing is sent twice. (`min_id` is used rather than `since_id`:
//! both return only newer statuses, but `since_id` returns the newest page and
//! would skip what lies between.)

use std::sync::Arc;
use std::time::Duration;

use veille_bus::Record;
use veille_config::{MastodonMode, MastodonSource as MastodonConfig};
use veille_model::{DeadLetter, Origin};

use crate::driver::{self, Connector, Fault, Next, Read};
use crate::http::{Backoff, Failure, Pacing};
use crate::payload::mastodon::{timeline_page, Status};
use crate::stream::EventStream;
use crate::{Source, SourceContext, SourceEnd, SourceError, MAX_LINE_BYTES};

/// Status ids are numbers in strings: compares them as numbers.
fn newer(id: &str, than: &str) -> bool {
    (id.len(), id) > (than.len(), than)
}

/// Statuses per REST page (Mastodon's maximum).
const PAGE: usize = 40;
/// Reconnect when a stream sent nothing, not even a heartbeat, for this long.
const STALL: Duration = Duration::from_secs(90);

/// Follows public or hashtag timelines of one Mastodon server.
#[derive(Debug, Clone)]
pub struct MastodonSource {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: MastodonConfig,
    token: Option<String>,
    host: String,
    base: String,
    client: reqwest::Client,
    stream_client: reqwest::Client,
}

/// One followed timeline.
#[derive(Debug, Clone)]
struct Timeline {
    /// Its key in the cursor: `public`, `public:local` or `tag:NAME`.
    key: String,
    rest: String,
    stream: String,
}

impl MastodonSource {
    /// A source for `config`; fails when the token's environment variable is missing.
    pub fn new(config: MastodonConfig) -> Result<Self, SourceError> {
        let token = match &config.token_env {
            Some(var) => Some(crate::http::secret(&config.name, "token_env", var)?),
            None => None,
        };
        let url = url::Url::parse(&config.instance)
            .map_err(|e| SourceError::Config { source_name: config.name.clone(), message: format!("instance: {e}") })?;
        let host = url.host_str().unwrap_or_default().to_string();
        let base = config.instance.trim_end_matches('/').to_string();
        let client = crate::http::client(&config.name, crate::http::USER_AGENT)?;
        let stream_client = crate::http::stream_client(&config.name, crate::http::USER_AGENT)?;
        Ok(MastodonSource { inner: Arc::new(Inner { config, token, host, base, client, stream_client }) })
    }

    fn timelines(&self) -> Vec<Timeline> {
        let c = &self.inner.config;
        if c.hashtags.is_empty() {
            let local = if c.local { "?local=true" } else { "" };
            return vec![Timeline {
                key: if c.local { "public:local" } else { "public" }.into(),
                rest: format!("/api/v1/timelines/public{local}"),
                stream: if c.local { "/api/v1/streaming/public/local" } else { "/api/v1/streaming/public" }.into(),
            }];
        }
        c.hashtags
            .iter()
            .map(|t| {
                let tag = t.trim_start_matches('#');
                Timeline {
                    key: format!("tag:{tag}"),
                    rest: format!("/api/v1/timelines/tag/{tag}"),
                    stream: format!("/api/v1/streaming/hashtag?tag={tag}"),
                }
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl Source for MastodonSource {
    fn name(&self) -> &str {
        &self.inner.config.name
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let name = self.inner.config.name.clone();
        let linger = Duration::from_millis(self.inner.config.flush_ms);
        let lanes = self
            .timelines()
            .into_iter()
            .map(|t| (t.key.clone(), Reader { inner: self.inner.clone(), timeline: t, last: None }))
            .collect();
        driver::drive_lanes(ctx, &name, linger, "a JSON map of timeline to status id", lanes).await
    }
}

/// Reads one timeline; its position is the newest status id handled.
struct Reader {
    inner: Arc<Inner>,
    timeline: Timeline,
    last: Option<String>,
}

/// A timeline being read: the REST catch-up first, then the stream (or the next poll).
struct Session {
    /// The open stream (`stream` mode), with its event parser.
    stream: Option<(reqwest::Response, EventStream)>,
    caught_up: bool,
}

impl Reader {
    fn name(&self) -> &str {
        &self.inner.config.name
    }

    fn request(&self, client: &reqwest::Client, path: &str, query: &[(&str, String)]) -> reqwest::RequestBuilder {
        let mut req = client.get(format!("{}{path}", self.inner.base)).query(query);
        if let Some(token) = &self.inner.token {
            req = req.bearer_auth(token);
        }
        req
    }

    fn dead(&self, location: String, reason: String, original: &str) -> Record {
        let origin = Origin { source: self.name().into(), location };
        Record::Dead(Box::new(DeadLetter::new(origin, reason, original)))
    }

    /// Reads a status unless it is at or before the cursor.
    fn status(&mut self, value: serde_json::Value, location: &str, read: &mut Read<String>) {
        let raw = value.to_string();
        let status = match Status::from_value(value) {
            Ok(s) => s,
            Err(e) => return read.record(self.dead(location.into(), e.to_string(), &raw)),
        };
        if self.last.as_deref().is_some_and(|last| !newer(status.id(), last)) {
            return;
        }
        let id = status.id().to_string();
        self.last = Some(id.clone());
        match status.into_mention(&self.inner.host, self.inner.config.workspace.as_deref()) {
            Ok(m) => read.record(Record::Mention(Box::new(m))),
            Err(reason) => read.record(self.dead(format!("{location}, status {id}"), reason.to_string(), &raw)),
        }
        read.at(id);
    }

    /// Reads one REST page from the cursor; true when nothing newer is left.
    async fn catch_up_page(&mut self, read: &mut Read<String>) -> Result<bool, Fault> {
        let mut query = vec![("limit", PAGE.to_string())];
        if let Some(last) = &self.last {
            query.push(("min_id", last.clone()));
        }
        let resp = self.request(&self.inner.client, &self.timeline.rest, &query).send().await?;
        if !resp.status().is_success() {
            return Err(Failure::from_response(resp).await.into());
        }
        let body = resp.text().await?;
        read.heard();
        let location = format!("{} page after {}", self.timeline.rest, self.last.as_deref().unwrap_or("the newest"));
        let mut page = match timeline_page(&body) {
            Ok(p) => p,
            Err(e) => {
                read.record(self.dead(location, e.to_string(), &body));
                return Err(Failure::Malformed("timeline page".into()).into());
            }
        };
        let first_page = self.last.is_none();
        let full = page.len() >= PAGE;
        // Timelines list the newest first; read the oldest first so the cursor only moves forward.
        page.sort_by_key(|v| {
            let id = v.get("id").and_then(|i| i.as_str()).unwrap_or_default().to_string();
            (id.len(), id)
        });
        for v in page {
            self.status(v, &location, read);
        }
        Ok(!full || first_page)
    }

    /// Reads one chunk of server-sent events.
    async fn stream_chunk(&mut self, session: &mut Session, read: &mut Read<String>) -> Result<(), Fault> {
        let Some((resp, events)) = session.stream.as_mut() else { return Ok(()) };
        let chunk = match tokio::time::timeout(STALL, resp.chunk()).await {
            Err(_) => return Err(Failure::Stream("no data nor heartbeat for 90 s".into()).into()),
            Ok(Ok(None)) => return Err(Failure::Stream("closed by the server".into()).into()),
            Ok(Err(_)) => return Err(Failure::Stream("connection broken".into()).into()),
            Ok(Ok(Some(c))) => c,
        };
        for ev in events.feed(&chunk) {
            read.heard();
            if ev.event != "update" && ev.event != "status.update" {
                continue;
            }
            let location = format!("{} event {}", self.timeline.stream, ev.event);
            if ev.too_long {
                let reason = format!("event longer than the limit of {MAX_LINE_BYTES} bytes");
                read.record(self.dead(location, reason, &ev.data));
                continue;
            }
            match serde_json::from_str::<serde_json::Value>(&ev.data) {
                Ok(v) => self.status(v, &location, read),
                Err(e) => read.record(self.dead(location, format!("not a JSON Status: {e}"), &ev.data)),
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Connector for Reader {
    type Session = Session;
    type Position = String;

    fn pacing(&self) -> Pacing {
        Pacing::uniform(Backoff::exponential(self.inner.config.backoff))
    }

    fn resume(&mut self, at: String) {
        self.last = Some(at);
    }

    /// Opens the stream before the catch-up, so nothing falls between the two.
    async fn connect(&mut self) -> Result<Session, Fault> {
        if self.inner.config.mode == MastodonMode::Poll {
            return Ok(Session { stream: None, caught_up: false });
        }
        let req = self.request(&self.inner.stream_client, &self.timeline.stream, &[]);
        let resp = req.header("Accept", "text/event-stream").send().await?;
        if !resp.status().is_success() {
            return Err(Failure::from_response(resp).await.into());
        }
        Ok(Session { stream: Some((resp, EventStream::new(MAX_LINE_BYTES))), caught_up: false })
    }

    async fn next(&mut self, session: &mut Session, read: &mut Read<String>) -> Result<Next, Fault> {
        if !session.caught_up {
            session.caught_up = self.catch_up_page(read).await?;
            if session.caught_up && session.stream.is_none() {
                // Polling: the next poll catches up again after the interval.
                session.caught_up = false;
                return Ok(Next::After(Duration::from_millis(self.inner.config.poll_interval_ms)));
            }
            return Ok(Next::More);
        }
        self.stream_chunk(session, read).await?;
        Ok(Next::More)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_ids_compare_as_numbers() {
        assert!(newer("103270115826048976", "103270115826048975"));
        assert!(newer("1000", "999"));
        assert!(!newer("999", "1000"));
        assert!(!newer("5", "5"));
    }
}
