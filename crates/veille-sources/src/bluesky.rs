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
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use veille_bus::Record;
use veille_config::BlueskySource as BlueskyConfig;
use veille_model::{DeadLetter, Origin};

use crate::driver::{self, Connector, Fault, Next, Position, Read};
use crate::http::{error_chain, retry_after, Backoff, Failure, Pacing};
use crate::payload::bluesky::{Event, POST};
use crate::{Source, SourceContext, SourceEnd, SourceError};

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
}

#[async_trait::async_trait]
impl Source for BlueskySource {
    fn name(&self) -> &str {
        &self.config.name
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let name = self.config.name.clone();
        let linger = Duration::from_millis(self.config.flush_ms);
        driver::drive(ctx, &name, linger, "Jetstream", Jetstream { config: self.config, cursor: None }).await
    }
}

/// The `time_us` of the last event handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TimeUs(u64);

impl Position for TimeUs {
    const EXPECTED: &'static str = "a Jetstream time_us (microseconds)";

    fn decode(text: &str) -> Result<Self, String> {
        text.parse().map(TimeUs).map_err(|_| String::new())
    }

    fn encode(&self) -> String {
        self.0.to_string()
    }
}

/// One Jetstream subscription.
struct Jetstream {
    config: BlueskyConfig,
    cursor: Option<u64>,
}

impl Jetstream {
    /// The subscribe URL, replaying from the cursor when known.
    fn url(&self) -> Result<url::Url, SourceError> {
        let mut url = url::Url::parse(&self.config.url)
            .map_err(|e| SourceError::Config { source_name: self.config.name.clone(), message: format!("url: {e}") })?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("wantedCollections", POST);
            for did in &self.config.wanted_dids {
                q.append_pair("wantedDids", did);
            }
            if let Some(c) = self.cursor {
                q.append_pair("cursor", &c.to_string());
            }
        }
        Ok(url)
    }

    fn dead(&self, location: String, reason: String, original: &str) -> Record {
        let origin = Origin { source: self.config.name.clone(), location };
        Record::Dead(Box::new(DeadLetter::new(origin, reason, original)))
    }

    /// Handles one event's text.
    fn event(&mut self, text: &str, read: &mut Read<TimeUs>) {
        read.heard();
        let event = match Event::parse(text) {
            Ok(e) => e,
            Err(e) => {
                read.record(self.dead(format!("after cursor {:?}", self.cursor), e.to_string(), text));
                return;
            }
        };
        let time_us = event.time_us();
        if self.cursor.is_some_and(|c| time_us <= c) {
            return;
        }
        self.cursor = Some(time_us);
        match event.into_mention(self.config.workspace.as_deref()) {
            Ok(Some(m)) => read.record(Record::Mention(Box::new(m))),
            Ok(None) => {}
            Err(reason) => read.record(self.dead(format!("time_us {time_us}"), reason.to_string(), text)),
        }
        read.at(TimeUs(time_us));
    }
}

/// A refused handshake (429, 5xx) may say when to come back.
fn refusal(e: tungstenite::Error) -> Failure {
    if let tungstenite::Error::Http(resp) = &e {
        let wait = retry_after(resp.headers());
        if resp.status().as_u16() == 429 {
            return Failure::RateLimited(wait);
        }
        if let Ok(status) = reqwest::StatusCode::from_u16(resp.status().as_u16()) {
            return Failure::Server(status, wait);
        }
    }
    Failure::Network(error_chain(&e))
}

#[async_trait::async_trait]
impl Connector for Jetstream {
    type Session = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;
    type Position = TimeUs;

    fn pacing(&self) -> Pacing {
        Pacing::uniform(Backoff::exponential(self.config.backoff))
    }

    fn resume(&mut self, at: TimeUs) {
        self.cursor = Some(at.0);
    }

    async fn connect(&mut self) -> Result<Self::Session, Fault> {
        let url = self.url()?;
        tracing::info!(source = %self.config.name, cursor = ?self.cursor, "connecting to Jetstream");
        match tokio_tungstenite::connect_async(url.as_str()).await {
            Ok((ws, _)) => Ok(ws),
            Err(e) => Err(refusal(e).into()),
        }
    }

    async fn next(&mut self, ws: &mut Self::Session, read: &mut Read<TimeUs>) -> Result<Next, Fault> {
        let text = match ws.next().await {
            None | Some(Ok(Message::Close(_))) => return Err(Failure::Network("closed by the server".into()).into()),
            Some(Err(e)) => return Err(Failure::Network(error_chain(&e)).into()),
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Binary(b))) => {
                let reason = "binary frame: compressed events were not asked for".to_string();
                read.record(self.dead(format!("after cursor {:?}", self.cursor), reason, &String::from_utf8_lossy(&b)));
                return Ok(Next::More);
            }
            Some(Ok(_)) => return Ok(Next::More),
        };
        self.event(text.as_str(), read);
        Ok(Next::More)
    }

    async fn close(&mut self, mut ws: Self::Session) {
        let _ = ws.close(None).await;
    }
}
