//! `kind = "x"`: the X API v2 filtered stream.
//!
//! On start the source makes the stream's rules match the configuration
//! (`GET`/`POST /2/tweets/search/stream/rules`), then reads
//! `GET /2/tweets/search/stream` with `expansions=author_id,referenced_tweets.id`
//! and `public_metrics`: one JSON object per line, blank lines as keep-alives.
//!
//! Reconnection follows X's documentation: an established connection that
//! drops is reopened almost at once (after the first network delay, 250 ms by
//! default); then network errors back off linearly (250 ms steps up to 16 s), HTTP errors exponentially (from 5 s up to 320 s) and
//! 429s exponentially from one minute, unless `Retry-After` or
//! `x-rate-limit-reset` says when. A stream silent for longer than `stall_ms`
//! is reopened.
//!
//! The filtered stream has no cursor of its own. With `backfill_minutes`, X
//! replays the posts of the last minutes after a reconnect; the source skips
//! the ones it already sent (it remembers recent post ids, and after a restart
//! skips ids up to its cursor, the newest post id it sent).

use std::time::Duration;

use chrono::Utc;
use veille_bus::Record;
use veille_config::{BackoffConfig, XSource as XConfig};
use veille_model::{DeadLetter, Origin};

use crate::driver::{self, Connector, Fault, Next, Position, Read};
use crate::http::{error_chain, Backoff, ErrorKind, Failure, Pacing};
use crate::payload::x::StreamLine;
use crate::stream::Lines;
use crate::{Source, SourceContext, SourceEnd, SourceError, MAX_LINE_BYTES};

mod post;

use post::{newer, RecentIds, Rules};

/// Fields asked of the stream.
const STREAM_FIELDS: [(&str, &str); 3] = [
    (
        "tweet.fields",
        "created_at,lang,public_metrics,referenced_tweets,entities,author_id,in_reply_to_user_id,conversation_id",
    ),
    ("expansions", "author_id,referenced_tweets.id,referenced_tweets.id.author_id,entities.mentions.username"),
    ("user.fields", "username,name,public_metrics"),
];

/// Reads the X filtered stream with the configured rules.
#[derive(Debug)]
pub struct XSource {
    config: XConfig,
    token: String,
    client: reqwest::Client,
    stream_client: reqwest::Client,
}

impl XSource {
    /// A source for `config`; fails when the bearer token's environment variable is missing.
    pub fn new(config: XConfig) -> Result<Self, SourceError> {
        let token = crate::http::secret(&config.name, "token_env", &config.token_env)?;
        let client = crate::http::client(&config.name, crate::http::USER_AGENT)?;
        let stream_client = crate::http::stream_client(&config.name, crate::http::USER_AGENT)?;
        Ok(XSource { config, token, client, stream_client })
    }
}

#[async_trait::async_trait]
impl Source for XSource {
    fn name(&self) -> &str {
        &self.config.name
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let name = self.config.name.clone();
        let linger = Duration::from_millis(self.config.flush_ms);
        let stream = FilteredStream {
            source: *self,
            synced: false,
            reconnected: false,
            recent: RecentIds::default(),
            floor: None,
            last: None,
        };
        driver::drive(ctx, &name, linger, "filtered stream", stream).await
    }
}

/// The newest post id sent.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PostId(String);

impl Position for PostId {
    const EXPECTED: &'static str = "an X post id";

    fn decode(text: &str) -> Result<Self, String> {
        Ok(PostId(text.to_string()))
    }

    fn encode(&self) -> String {
        self.0.clone()
    }
}

/// The filtered stream, and what its reading keeps across connections.
struct FilteredStream {
    source: XSource,
    /// The rules were made those of the configuration.
    synced: bool,
    /// The next connection follows an earlier one (or a restart): ask for backfill.
    reconnected: bool,
    recent: RecentIds,
    /// After a restart, ids up to this one were sent before.
    floor: Option<String>,
    /// The newest id sent: the cursor.
    last: Option<String>,
}

/// One open stream.
struct Session {
    resp: reqwest::Response,
    lines: Lines,
    line_no: u64,
}

impl FilteredStream {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.source.config.base_url.trim_end_matches('/'))
    }

    /// Makes the stream's rules those of the configuration.
    async fn sync_rules(&self) -> Result<(), Fault> {
        let (config, token) = (&self.source.config, &self.source.token);
        let rules_url = self.url("/2/tweets/search/stream/rules");
        let resp = self.source.client.get(&rules_url).bearer_auth(token).send().await?;
        if !resp.status().is_success() {
            return Err(Failure::from_response(resp).await.into());
        }
        let existing: Rules = resp.json().await?;
        let stale: Vec<&str> = existing
            .data
            .iter()
            .filter(|r| !config.rules.iter().any(|c| c.value == r.value))
            .map(|r| r.id.as_str())
            .collect();
        let missing: Vec<serde_json::Value> = config
            .rules
            .iter()
            .filter(|c| !existing.data.iter().any(|r| r.value == c.value))
            .map(|c| match &c.tag {
                Some(tag) => serde_json::json!({ "value": c.value, "tag": tag }),
                None => serde_json::json!({ "value": c.value }),
            })
            .collect();
        let mut changes = Vec::new();
        if !stale.is_empty() {
            changes.push(serde_json::json!({ "delete": { "ids": stale } }));
        }
        if !missing.is_empty() {
            changes.push(serde_json::json!({ "add": missing }));
        }
        for body in changes {
            let resp = self.source.client.post(&rules_url).bearer_auth(token).json(&body).send().await?;
            let status = resp.status();
            if status == reqwest::StatusCode::TOO_MANY_REQUESTS
                || status.is_server_error()
                || status == reqwest::StatusCode::UNAUTHORIZED
            {
                return Err(Failure::from_response(resp).await.into());
            }
            let answer: serde_json::Value = resp.json().await.unwrap_or_default();
            let invalid = answer.pointer("/meta/summary/invalid").and_then(|v| v.as_u64()).unwrap_or(0);
            if !status.is_success() || invalid > 0 {
                return Err(Fault::Fatal(SourceError::Config {
                    source_name: config.name.clone(),
                    message: format!("X refused the rules ({status}): {}", answer.get("errors").unwrap_or(&answer)),
                }));
            }
        }
        tracing::info!(source = %config.name, deleted = stale.len(), added = missing.len(), "filtered-stream rules in sync");
        Ok(())
    }

    /// Handles one line of the stream.
    fn line(&mut self, text: &str, too_long: bool, location: String, read: &mut Read<PostId>) {
        let name = self.source.config.name.as_str();
        let dead = |reason: String| {
            Record::Dead(Box::new(DeadLetter::new(
                Origin { source: name.into(), location: location.clone() },
                reason,
                text,
            )))
        };
        if too_long {
            read.record(dead(format!("longer than the limit of {MAX_LINE_BYTES} bytes")));
            return;
        }
        let item = match StreamLine::parse(text) {
            Ok(StreamLine::Post(p)) => p,
            Ok(StreamLine::Errors(errors)) => {
                read.fault(ErrorKind::Stream, format!("filtered stream reported errors: {errors}"));
                return;
            }
            Err(e) => {
                read.record(dead(e.to_string()));
                return;
            }
        };
        let id = item.id().to_string();
        if self.floor.as_deref().is_some_and(|f| !newer(&id, f)) || !self.recent.insert(&id) {
            return;
        }
        if self.last.as_deref().is_none_or(|l| newer(&id, l)) {
            self.last = Some(id.clone());
        }
        match item.into_mention(self.source.config.workspace.as_deref()) {
            Ok(m) => read.record(Record::Mention(Box::new(m))),
            Err(reason) => read.record(dead(format!("post {id}: {reason}"))),
        }
        read.at(PostId(self.last.clone().unwrap_or_default()));
    }
}

/// A refused stream request: a 429 without `Retry-After` waits for `x-rate-limit-reset`.
async fn refusal(resp: reqwest::Response) -> Failure {
    let reset = resp
        .headers()
        .get("x-rate-limit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .map(|at| Duration::from_secs((at - Utc::now().timestamp()).max(0) as u64));
    match Failure::from_response(resp).await {
        Failure::RateLimited(None) => Failure::RateLimited(reset),
        f => f,
    }
}

#[async_trait::async_trait]
impl Connector for FilteredStream {
    type Session = Session;
    type Position = PostId;

    /// X's documented policy: network errors and drops back off linearly, HTTP
    /// errors exponentially, 429s exponentially from `rate_limit_ms`.
    fn pacing(&self) -> Pacing {
        let c = &self.source.config;
        let rate = BackoffConfig { initial_ms: c.rate_limit_ms, max_ms: c.rate_limit_ms.saturating_mul(16) };
        Pacing::uniform(Backoff::exponential(c.backoff))
            .with_network(Backoff::linear(c.network_backoff))
            .with_rate_limit(Backoff::exponential(rate))
    }

    fn resume(&mut self, at: PostId) {
        self.floor = Some(at.0.clone());
        self.last = Some(at.0);
        self.reconnected = true;
    }

    async fn connect(&mut self) -> Result<Session, Fault> {
        if !self.synced && !self.source.config.rules.is_empty() {
            self.sync_rules().await?;
        }
        self.synced = true;
        let mut query: Vec<(&str, String)> = STREAM_FIELDS.iter().map(|(k, v)| (*k, v.to_string())).collect();
        if self.source.config.backfill_minutes > 0 && self.reconnected {
            query.push(("backfill_minutes", self.source.config.backfill_minutes.to_string()));
        }
        self.reconnected = true;
        let req = self.source.stream_client.get(self.url("/2/tweets/search/stream"));
        let resp = req.bearer_auth(&self.source.token).query(&query).send().await?;
        if !resp.status().is_success() {
            return Err(refusal(resp).await.into());
        }
        Ok(Session { resp, lines: Lines::new(MAX_LINE_BYTES), line_no: 0 })
    }

    async fn next(&mut self, session: &mut Session, read: &mut Read<PostId>) -> Result<Next, Fault> {
        let stall = Duration::from_millis(self.source.config.stall_ms);
        let chunk = match tokio::time::timeout(stall, session.resp.chunk()).await {
            Err(_) => return Err(Failure::Stream(format!("nothing received for {} ms", stall.as_millis())).into()),
            Ok(Ok(None)) => return Err(Failure::Stream("closed by the server".into()).into()),
            Ok(Err(e)) => return Err(Failure::Stream(error_chain(&e)).into()),
            Ok(Ok(Some(c))) => c,
        };
        for line in session.lines.feed(&chunk) {
            session.line_no += 1;
            if line.bytes.iter().all(u8::is_ascii_whitespace) && !line.too_long {
                continue; // keep-alive
            }
            read.heard();
            let text = String::from_utf8_lossy(&line.bytes);
            self.line(&text, line.too_long, format!("stream line {}", session.line_no), read);
        }
        Ok(Next::More)
    }
}
