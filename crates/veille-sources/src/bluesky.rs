//! `kind = "bluesky"`: posts from a Bluesky Jetstream WebSocket.
//!
//! Jetstream turns the AT Protocol firehose into JSON events, each stamped
//! with `time_us`, a microsecond cursor. The source subscribes to
//! `app.bsky.feed.post` commits; its cursor is the `time_us` of the last event
//! it handled, and a (re)connection asks Jetstream to replay from there. Events
//! at or before the cursor are skipped, so a replay neither loses nor repeats
//! a post.

use std::time::Duration;

use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use veille_bus::Record;
use veille_config::BlueskySource as BlueskyConfig;
use veille_model::{DeadLetter, Origin};

use crate::http::{error_chain, pause, Backoff};
use crate::outbox::Outbox;
use crate::payload::bluesky::{Event, POST};
use crate::{metrics, Source, SourceContext, SourceEnd, SourceError};

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
            let event = match Event::parse(text.as_str()) {
                Ok(e) => e,
                Err(e) => {
                    let origin = Origin { source: name.into(), location: format!("after cursor {cursor:?}") };
                    let dead = DeadLetter::new(origin, e.to_string(), text.as_str());
                    outbox.add(Record::Dead(Box::new(dead)));
                    if outbox.flush_if_full().await.is_err() {
                        return Ended::Cancelled;
                    }
                    continue;
                }
            };
            let time_us = event.time_us();
            if cursor.is_some_and(|c| time_us <= c) {
                continue;
            }
            *cursor = Some(time_us);
            let location = format!("time_us {time_us}");
            match event.into_mention(workspace) {
                Ok(Some(m)) => outbox.push(Record::Mention(Box::new(m)), time_us.to_string()),
                Ok(None) => outbox.advance(time_us.to_string()),
                Err(reason) => {
                    let dead =
                        DeadLetter::new(Origin { source: name.into(), location }, reason.to_string(), text.as_str());
                    outbox.push(Record::Dead(Box::new(dead)), time_us.to_string());
                }
            }
            if outbox.flush_if_full().await.is_err() {
                return Ended::Cancelled;
            }
        }
    }
}
