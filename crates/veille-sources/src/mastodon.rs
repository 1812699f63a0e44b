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

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc;
use veille_bus::Record;
use veille_config::{MastodonMode, MastodonSource as MastodonConfig};
use veille_model::{DeadLetter, Origin};

use crate::http::{pause, Backoff, Failure};
use crate::outbox::Outbox;
use crate::stream::EventStream;
use crate::{metrics, Source, SourceContext, SourceEnd, SourceError, MAX_LINE_BYTES};

use crate::payload::mastodon::{timeline_page, Status};

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

/// What a timeline reader hands to the batching loop.
struct Item {
    timeline: usize,
    /// The status id the timeline's cursor moves to; `None` leaves it.
    id: Option<String>,
    record: Option<Record>,
}

/// The reading of one timeline stopped because the pipeline is stopping.
struct Stopped;

#[async_trait::async_trait]
impl Source for MastodonSource {
    fn name(&self) -> &str {
        &self.inner.config.name
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let name = self.inner.config.name.clone();
        let timelines = self.timelines();
        let mut cursors: BTreeMap<String, String> = match &ctx.resume {
            Some(c) => serde_json::from_str(c).map_err(|e| SourceError::Cursor {
                source_name: name.clone(),
                cursor: c.clone(),
                message: format!("expected a JSON map of timeline to status id: {e}"),
            })?,
            None => BTreeMap::new(),
        };
        let (tx, mut rx) = mpsc::channel::<Item>(ctx.batch_size.max(16));
        let stop = ctx.cancel.child_token();
        let mut readers = tokio::task::JoinSet::new();
        for (i, t) in timelines.iter().enumerate() {
            let reader = Reader {
                inner: self.inner.clone(),
                timeline: t.clone(),
                index: i,
                last: cursors.get(&t.key).cloned(),
                tx: tx.clone(),
                cancel: stop.clone(),
            };
            readers.spawn(reader.run());
        }
        drop(tx);
        let linger = Duration::from_millis(self.inner.config.flush_ms);
        let mut outbox = Outbox::new(&name, ctx.out.clone(), ctx.batch_size, linger);
        let end = loop {
            tokio::select! {
                item = rx.recv() => {
                    let Some(item) = item else { break SourceEnd::Cancelled };
                    if let Some(id) = item.id {
                        cursors.insert(timelines[item.timeline].key.clone(), id);
                    }
                    let cursor = serde_json::to_string(&cursors).unwrap_or_default();
                    match item.record {
                        Some(r) => outbox.push(r, cursor),
                        None => outbox.advance(cursor),
                    }
                    if outbox.flush_if_full().await.is_err() {
                        break SourceEnd::Cancelled;
                    }
                }
                _ = tokio::time::sleep_until(outbox.deadline()) => {
                    if outbox.flush().await.is_err() {
                        break SourceEnd::Cancelled;
                    }
                }
                _ = ctx.cancel.cancelled() => break SourceEnd::Cancelled,
            }
        };
        stop.cancel();
        while readers.join_next().await.is_some() {}
        // Items read before the stop are sent with their cursor.
        while let Ok(item) = rx.try_recv() {
            if let Some(id) = item.id {
                cursors.insert(timelines[item.timeline].key.clone(), id);
            }
            let cursor = serde_json::to_string(&cursors).unwrap_or_default();
            match item.record {
                Some(r) => outbox.push(r, cursor),
                None => outbox.advance(cursor),
            }
        }
        let _ = outbox.flush().await;
        Ok(end)
    }
}

/// Reads one timeline until cancelled.
struct Reader {
    inner: Arc<Inner>,
    timeline: Timeline,
    index: usize,
    last: Option<String>,
    tx: mpsc::Sender<Item>,
    cancel: tokio_util::sync::CancellationToken,
}

impl Reader {
    fn name(&self) -> &str {
        &self.inner.config.name
    }

    async fn run(mut self) {
        let mut backoff = Backoff::exponential(self.inner.config.backoff);
        let interval = Duration::from_millis(self.inner.config.poll_interval_ms);
        loop {
            let stream = match self.inner.config.mode {
                MastodonMode::Stream => match self.open_stream().await {
                    Ok(r) => Some(r),
                    Err(f) => {
                        let delay = f.record(self.name(), &self.timeline.stream, &mut backoff);
                        if !pause(delay, &self.cancel).await {
                            return;
                        }
                        continue;
                    }
                },
                MastodonMode::Poll => None,
            };
            match self.catch_up().await {
                Ok(Ok(())) => backoff.reset(),
                Ok(Err(f)) => {
                    let delay = f.record(self.name(), &self.timeline.rest, &mut backoff);
                    if !pause(delay, &self.cancel).await {
                        return;
                    }
                    continue;
                }
                Err(Stopped) => return,
            }
            let wait = match stream {
                Some(resp) => match self.read_stream(resp).await {
                    Ok(why) => {
                        metrics::error(self.name(), "stream");
                        let delay = backoff.next_delay();
                        tracing::warn!(source = %self.name(), timeline = %self.timeline.key, why, retry_in_ms = delay.as_millis() as u64, "stream ended");
                        delay
                    }
                    Err(Stopped) => return,
                },
                None => interval,
            };
            if !pause(wait, &self.cancel).await {
                return;
            }
        }
    }

    fn request(&self, client: &reqwest::Client, path: &str, query: &[(&str, String)]) -> reqwest::RequestBuilder {
        let mut req = client.get(format!("{}{path}", self.inner.base)).query(query);
        if let Some(token) = &self.inner.token {
            req = req.bearer_auth(token);
        }
        req
    }

    async fn open_stream(&self) -> Result<reqwest::Response, Failure> {
        let req =
            self.request(&self.inner.stream_client, &self.timeline.stream, &[]).header("Accept", "text/event-stream");
        let resp = tokio::select! {
            r = req.send() => r?,
            _ = self.cancel.cancelled() => return Err(Failure::Network("cancelled".into())),
        };
        if !resp.status().is_success() {
            return Err(Failure::from_response(resp).await);
        }
        Ok(resp)
    }

    async fn send(&self, item: Item) -> Result<(), Stopped> {
        self.tx.send(item).await.map_err(|_| Stopped)
    }

    fn dead(&self, location: String, reason: String, original: &str) -> Item {
        let origin = Origin { source: self.name().into(), location };
        Item {
            timeline: self.index,
            id: None,
            record: Some(Record::Dead(Box::new(DeadLetter::new(origin, reason, original)))),
        }
    }

    /// Sends a status unless it is at or before the cursor.
    async fn status(&mut self, value: serde_json::Value, location: &str) -> Result<(), Stopped> {
        let raw = value.to_string();
        let status = match Status::from_value(value) {
            Ok(s) => s,
            Err(e) => return self.send(self.dead(location.into(), e.to_string(), &raw)).await,
        };
        if self.last.as_deref().is_some_and(|last| !newer(status.id(), last)) {
            return Ok(());
        }
        let id = status.id().to_string();
        self.last = Some(id.clone());
        let record = match status.into_mention(&self.inner.host, self.inner.config.workspace.as_deref()) {
            Ok(m) => Record::Mention(Box::new(m)),
            Err(reason) => Record::Dead(Box::new(DeadLetter::new(
                Origin { source: self.name().into(), location: format!("{location}, status {id}") },
                reason.to_string(),
                raw,
            ))),
        };
        self.send(Item { timeline: self.index, id: Some(id), record: Some(record) }).await
    }

    /// Reads the REST timeline from the cursor until it has nothing newer.
    async fn catch_up(&mut self) -> Result<Result<(), Failure>, Stopped> {
        loop {
            let mut query = vec![("limit", PAGE.to_string())];
            if let Some(last) = &self.last {
                query.push(("min_id", last.clone()));
            }
            let req = self.request(&self.inner.client, &self.timeline.rest, &query);
            let resp = tokio::select! {
                r = req.send() => r,
                _ = self.cancel.cancelled() => return Err(Stopped),
            };
            let resp = match resp {
                Ok(r) if r.status().is_success() => r,
                Ok(r) => return Ok(Err(Failure::from_response(r).await)),
                Err(e) => return Ok(Err(e.into())),
            };
            let body = match resp.text().await {
                Ok(b) => b,
                Err(e) => return Ok(Err(e.into())),
            };
            metrics::event(self.name());
            let location =
                format!("{} page after {}", self.timeline.rest, self.last.as_deref().unwrap_or("the newest"));
            let mut page = match timeline_page(&body) {
                Ok(p) => p,
                Err(e) => {
                    self.send(self.dead(location, e.to_string(), &body)).await?;
                    return Ok(Err(Failure::Client(reqwest::StatusCode::OK, "malformed timeline page".into())));
                }
            };
            let first_page = self.last.is_none();
            let full = page.len() >= PAGE;
            // Timelines list the newest first; send the oldest first so the cursor only moves forward.
            page.sort_by_key(|v| {
                let id = v.get("id").and_then(|i| i.as_str()).unwrap_or_default().to_string();
                (id.len(), id)
            });
            for v in page {
                self.status(v, &location).await?;
            }
            if !full || first_page {
                return Ok(Ok(()));
            }
        }
    }

    /// Reads server-sent events until the stream ends; `Ok` says why it ended.
    async fn read_stream(&mut self, resp: reqwest::Response) -> Result<&'static str, Stopped> {
        let mut body = resp.bytes_stream();
        let mut events = EventStream::new(MAX_LINE_BYTES);
        loop {
            let chunk = tokio::select! {
                c = tokio::time::timeout(STALL, body.next()) => c,
                _ = self.cancel.cancelled() => return Err(Stopped),
            };
            let chunk = match chunk {
                Err(_) => return Ok("no data nor heartbeat for 90 s"),
                Ok(None) => return Ok("closed by the server"),
                Ok(Some(Err(_))) => return Ok("connection broken"),
                Ok(Some(Ok(c))) => c,
            };
            for ev in events.feed(&chunk) {
                metrics::event(self.name());
                if ev.event != "update" && ev.event != "status.update" {
                    continue;
                }
                let location = format!("{} event {}", self.timeline.stream, ev.event);
                if ev.too_long {
                    let reason = format!("event longer than the limit of {MAX_LINE_BYTES} bytes");
                    self.send(self.dead(location, reason, &ev.data)).await?;
                    continue;
                }
                match serde_json::from_str::<serde_json::Value>(&ev.data) {
                    Ok(v) => self.status(v, &location).await?,
                    Err(e) => self.send(self.dead(location, format!("not a JSON Status: {e}"), &ev.data)).await?,
                }
            }
        }
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
