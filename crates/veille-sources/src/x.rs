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
use futures::StreamExt;
use veille_bus::Record;
use veille_config::XSource as XConfig;
use veille_model::{DeadLetter, Origin};

use crate::http::{pause, Backoff, Failure};
use crate::outbox::Outbox;
use crate::stream::Lines;
use crate::{metrics, Source, SourceContext, SourceEnd, SourceError, MAX_LINE_BYTES};

mod post;

use post::{newer, RecentIds, Rules};

use crate::payload::x::StreamLine;
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

/// Why a stream connection ended.
enum Ended {
    Cancelled,
    /// The connection was up and dropped: reopen at once.
    Dropped(String),
}

impl XSource {
    /// A source for `config`; fails when the bearer token's environment variable is missing.
    pub fn new(config: XConfig) -> Result<Self, SourceError> {
        let token = crate::http::secret(&config.name, "token_env", &config.token_env)?;
        let client = crate::http::client(&config.name, crate::http::USER_AGENT)?;
        let stream_client = crate::http::stream_client(&config.name, crate::http::USER_AGENT)?;
        Ok(XSource { config, token, client, stream_client })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// Makes the stream's rules those of the configuration.
    async fn sync_rules(&self) -> Result<Result<(), Failure>, SourceError> {
        let rules_url = self.url("/2/tweets/search/stream/rules");
        let resp = match self.client.get(&rules_url).bearer_auth(&self.token).send().await {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => return Ok(Err(Failure::from_response(r).await)),
            Err(e) => return Ok(Err(e.into())),
        };
        let existing: Rules = match resp.json().await {
            Ok(r) => r,
            Err(e) => return Ok(Err(e.into())),
        };
        let stale: Vec<&str> = existing
            .data
            .iter()
            .filter(|r| !self.config.rules.iter().any(|c| c.value == r.value))
            .map(|r| r.id.as_str())
            .collect();
        let missing: Vec<serde_json::Value> = self
            .config
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
            let resp = match self.client.post(&rules_url).bearer_auth(&self.token).json(&body).send().await {
                Ok(r) => r,
                Err(e) => return Ok(Err(e.into())),
            };
            let status = resp.status();
            if status == reqwest::StatusCode::TOO_MANY_REQUESTS
                || status.is_server_error()
                || status == reqwest::StatusCode::UNAUTHORIZED
            {
                return Ok(Err(Failure::from_response(resp).await));
            }
            let answer: serde_json::Value = resp.json().await.unwrap_or_default();
            let invalid = answer.pointer("/meta/summary/invalid").and_then(|v| v.as_u64()).unwrap_or(0);
            if !status.is_success() || invalid > 0 {
                return Err(SourceError::Config {
                    source_name: self.config.name.clone(),
                    message: format!("X refused the rules ({status}): {}", answer.get("errors").unwrap_or(&answer)),
                });
            }
        }
        tracing::info!(source = %self.config.name, deleted = stale.len(), added = missing.len(), "filtered-stream rules in sync");
        Ok(Ok(()))
    }
}

#[async_trait::async_trait]
impl Source for XSource {
    fn name(&self) -> &str {
        &self.config.name
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let name = self.config.name.clone();
        let mut http_backoff = Backoff::exponential(self.config.backoff);
        let mut network_backoff = Backoff::linear(self.config.network_backoff);
        let mut rate_backoff = Backoff::exponential(veille_config::BackoffConfig {
            initial_ms: self.config.rate_limit_ms,
            max_ms: self.config.rate_limit_ms.saturating_mul(16),
        });
        if !self.config.rules.is_empty() {
            loop {
                let synced = tokio::select! {
                    s = self.sync_rules() => s?,
                    _ = ctx.cancel.cancelled() => return Ok(SourceEnd::Cancelled),
                };
                let Err(f) = synced else { break };
                let backoff = match f {
                    Failure::RateLimited(_) => &mut rate_backoff,
                    Failure::Network(_) => &mut network_backoff,
                    _ => &mut http_backoff,
                };
                let delay = f.record(&name, "stream rules", backoff);
                if !pause(delay, &ctx.cancel).await {
                    return Ok(SourceEnd::Cancelled);
                }
            }
        }
        let mut state =
            StreamState { recent: RecentIds::default(), floor: ctx.resume.clone(), last: ctx.resume.clone() };
        let mut outbox =
            Outbox::new(&name, ctx.out.clone(), ctx.batch_size, Duration::from_millis(self.config.flush_ms));
        let mut reconnected = ctx.resume.is_some();
        loop {
            let mut query: Vec<(&str, String)> = STREAM_FIELDS.iter().map(|(k, v)| (*k, v.to_string())).collect();
            if self.config.backfill_minutes > 0 && reconnected {
                query.push(("backfill_minutes", self.config.backfill_minutes.to_string()));
            }
            let req =
                self.stream_client.get(self.url("/2/tweets/search/stream")).bearer_auth(&self.token).query(&query);
            let resp = tokio::select! {
                r = req.send() => r,
                _ = ctx.cancel.cancelled() => return Ok(SourceEnd::Cancelled),
            };
            let failure = match resp {
                Ok(r) if r.status().is_success() => {
                    let ended = self
                        .read(
                            r,
                            &ctx,
                            &mut outbox,
                            &mut state,
                            &mut [&mut http_backoff, &mut network_backoff, &mut rate_backoff],
                        )
                        .await;
                    if outbox.flush().await.is_err() {
                        return Ok(SourceEnd::Cancelled);
                    }
                    match ended {
                        Ended::Cancelled => return Ok(SourceEnd::Cancelled),
                        Ended::Dropped(why) => {
                            metrics::error(&name, "stream");
                            // Reading reset the delays: this is the first, shortest network delay,
                            // so a stream that keeps dropping at once is not reopened in a busy loop.
                            let delay = network_backoff.next_delay();
                            tracing::warn!(source = %name, why, retry_in_ms = delay.as_millis() as u64, "filtered stream dropped; reconnecting");
                            reconnected = true;
                            if !pause(delay, &ctx.cancel).await {
                                return Ok(SourceEnd::Cancelled);
                            }
                            continue;
                        }
                    }
                }
                Ok(r) => {
                    let reset = r
                        .headers()
                        .get("x-rate-limit-reset")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<i64>().ok())
                        .map(|at| Duration::from_secs((at - Utc::now().timestamp()).max(0) as u64));
                    match Failure::from_response(r).await {
                        Failure::RateLimited(None) => Failure::RateLimited(reset),
                        f => f,
                    }
                }
                Err(e) => Failure::from(e),
            };
            let backoff = match failure {
                Failure::RateLimited(_) => &mut rate_backoff,
                Failure::Network(_) => &mut network_backoff,
                _ => &mut http_backoff,
            };
            let delay = failure.record(&name, "filtered stream", backoff);
            reconnected = true;
            if !pause(delay, &ctx.cancel).await {
                return Ok(SourceEnd::Cancelled);
            }
        }
    }
}

/// What the stream reader keeps across connections.
struct StreamState {
    recent: RecentIds,
    /// After a restart, ids up to this one were sent before.
    floor: Option<String>,
    /// The newest id sent: the cursor.
    last: Option<String>,
}

impl XSource {
    /// Reads one open stream until it ends.
    async fn read(
        &self,
        resp: reqwest::Response,
        ctx: &SourceContext,
        outbox: &mut Outbox,
        state: &mut StreamState,
        backoffs: &mut [&mut Backoff; 3],
    ) -> Ended {
        let name = self.config.name.as_str();
        let stall = Duration::from_millis(self.config.stall_ms);
        let mut body = resp.bytes_stream();
        let mut lines = Lines::new(MAX_LINE_BYTES);
        let mut line_no: u64 = 0;
        loop {
            let chunk = tokio::select! {
                c = tokio::time::timeout(stall, body.next()) => c,
                _ = tokio::time::sleep_until(outbox.deadline()) => {
                    if outbox.flush().await.is_err() { return Ended::Cancelled; }
                    continue;
                }
                _ = ctx.cancel.cancelled() => return Ended::Cancelled,
            };
            let chunk = match chunk {
                Err(_) => return Ended::Dropped(format!("nothing received for {} ms", stall.as_millis())),
                Ok(None) => return Ended::Dropped("closed by the server".into()),
                Ok(Some(Err(e))) => return Ended::Dropped(crate::http::error_chain(&e)),
                Ok(Some(Ok(c))) => c,
            };
            for b in backoffs.iter_mut() {
                b.reset();
            }
            for line in lines.feed(&chunk) {
                line_no += 1;
                if line.bytes.iter().all(u8::is_ascii_whitespace) && !line.too_long {
                    continue; // keep-alive
                }
                metrics::event(name);
                let location = format!("stream line {line_no}");
                let text = String::from_utf8_lossy(&line.bytes);
                let dead = |reason: String| {
                    Record::Dead(Box::new(DeadLetter::new(
                        Origin { source: name.into(), location: location.clone() },
                        reason,
                        text.as_ref(),
                    )))
                };
                if line.too_long {
                    outbox.add(dead(format!("longer than the limit of {MAX_LINE_BYTES} bytes")));
                    continue;
                }
                let item = match StreamLine::parse(&text) {
                    Ok(StreamLine::Post(p)) => p,
                    Ok(StreamLine::Errors(errors)) => {
                        metrics::error(name, "stream");
                        tracing::warn!(source = %name, %errors, "filtered stream reported errors");
                        continue;
                    }
                    Err(e) => {
                        outbox.add(dead(e.to_string()));
                        continue;
                    }
                };
                let id = item.id().to_string();
                if state.floor.as_deref().is_some_and(|f| !newer(&id, f)) || !state.recent.insert(&id) {
                    continue;
                }
                if state.last.as_deref().is_none_or(|l| newer(&id, l)) {
                    state.last = Some(id.clone());
                }
                let cursor = state.last.clone().unwrap_or_default();
                match item.into_mention(self.config.workspace.as_deref()) {
                    Ok(m) => outbox.push(Record::Mention(Box::new(m)), cursor),
                    Err(reason) => outbox.push(dead(format!("post {id}: {reason}")), cursor),
                }
            }
            if outbox.flush_if_full().await.is_err() {
                return Ended::Cancelled;
            }
        }
    }
}
