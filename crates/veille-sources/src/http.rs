//! What every networked connector shares: retry delays with jitter,
//! `Retry-After`, how a failed response is classified, and secrets read from
//! the environment.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;
use veille_config::BackoffConfig;

use crate::{metrics, SourceError};

/// Connect timeout of every request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest silence while reading a polled response.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Retry delays: exponential (or linear) growth with jitter, reset after a success.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    linear: bool,
    attempt: u32,
}

impl Backoff {
    /// Doubling delays from `initial_ms` up to `max_ms`.
    pub(crate) fn exponential(config: BackoffConfig) -> Self {
        Backoff {
            initial: Duration::from_millis(config.initial_ms),
            max: Duration::from_millis(config.max_ms),
            linear: false,
            attempt: 0,
        }
    }

    /// Delays growing by `initial_ms` each time, up to `max_ms`.
    pub(crate) fn linear(config: BackoffConfig) -> Self {
        Backoff { linear: true, ..Backoff::exponential(config) }
    }

    /// The next delay: the nominal one for this attempt, jittered down to no less than half.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let nominal = if self.linear {
            self.initial.saturating_mul(self.attempt.saturating_add(1))
        } else {
            self.initial.saturating_mul(1u32 << self.attempt.min(20))
        }
        .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let half = nominal / 2;
        half + half.mul_f64(rand::rng().random_range(0.0..=1.0))
    }

    /// Starts over from the first delay (after a success).
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Why a request did not give a usable answer.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The connection failed or broke.
    Network(String),
    /// 429: the platform asks to slow down, maybe saying for how long.
    RateLimited(Option<Duration>),
    /// 5xx: the platform is in trouble, maybe saying when to come back.
    Server(StatusCode, Option<Duration>),
    /// 401 or 403: the credentials are missing, wrong or expired.
    Auth(StatusCode, String),
    /// Any other 4xx: the request is wrong.
    Client(StatusCode, String),
}

impl Failure {
    /// The failure a non-success response stands for.
    pub(crate) async fn from_response(resp: reqwest::Response) -> Failure {
        let status = resp.status();
        let wait = retry_after(resp.headers());
        match status {
            StatusCode::TOO_MANY_REQUESTS => Failure::RateLimited(wait),
            s if s.is_server_error() => Failure::Server(s, wait),
            s => {
                let body = resp.text().await.unwrap_or_default();
                let body: String = body.chars().take(300).collect();
                if s == StatusCode::UNAUTHORIZED || s == StatusCode::FORBIDDEN {
                    Failure::Auth(s, body)
                } else {
                    Failure::Client(s, body)
                }
            }
        }
    }

    /// The metric label of this failure.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Failure::Network(_) => "network",
            Failure::RateLimited(_) => "rate_limited",
            Failure::Server(..) => "server",
            Failure::Auth(..) => "auth",
            Failure::Client(..) => "client",
        }
    }

    /// Counts and logs the failure, then says how long to wait: what the platform asked
    /// for when it said so and that is longer, else the next backoff delay.
    pub(crate) fn record(&self, source: &str, what: &str, backoff: &mut Backoff) -> Duration {
        metrics::error(source, self.kind());
        let delay = backoff.next_delay();
        let delay = match self {
            Failure::RateLimited(Some(d)) | Failure::Server(_, Some(d)) => delay.max(*d),
            _ => delay,
        };
        tracing::warn!(source, what, error = %self, retry_in_ms = delay.as_millis() as u64, "request failed");
        delay
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Network(e) => write!(f, "network: {e}"),
            Failure::RateLimited(_) => f.write_str("429 Too Many Requests"),
            Failure::Server(s, _) => write!(f, "{s}"),
            Failure::Auth(s, body) | Failure::Client(s, body) => write!(f, "{s}: {body}"),
        }
    }
}

impl From<reqwest::Error> for Failure {
    fn from(e: reqwest::Error) -> Self {
        Failure::Network(error_chain(&e))
    }
}

/// An error and its causes on one line.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// The delay a `Retry-After` header asks for: seconds, or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((at - Utc::now()).to_std().unwrap_or_default())
}

/// Waits `delay` unless `cancel` fires first; false when cancelled.
pub(crate) async fn pause(delay: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(delay) => true,
        _ = cancel.cancelled() => false,
    }
}

/// The value of the environment variable `var`, which `key` of source `source` names.
pub(crate) fn secret(source: &str, key: &str, var: &str) -> Result<String, SourceError> {
    // The configuration refuses names that look like secrets; a long one is still cut short
    // here, in case it is a secret after all.
    let shown: String = if var.chars().count() > 32 {
        format!("{}…", var.chars().take(8).collect::<String>())
    } else {
        var.to_string()
    };
    let var_shown = shown.as_str();
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        Ok(_) => Err(SourceError::Config {
            source_name: source.into(),
            message: format!("environment variable `{var_shown}` (named by `{key}`) is empty"),
        }),
        Err(_) => Err(SourceError::Config {
            source_name: source.into(),
            message: format!("environment variable `{var_shown}` (named by `{key}`) is not set"),
        }),
    }
}

/// An HTTP client for polled requests (bounded reads).
pub(crate) fn client(source: &str, user_agent: &str) -> Result<reqwest::Client, SourceError> {
    build_client(source, user_agent, Some(READ_TIMEOUT))
}

/// An HTTP client for long-lived streams: the connector watches for stalls itself.
pub(crate) fn stream_client(source: &str, user_agent: &str) -> Result<reqwest::Client, SourceError> {
    build_client(source, user_agent, None)
}

fn build_client(source: &str, user_agent: &str, read: Option<Duration>) -> Result<reqwest::Client, SourceError> {
    let mut b = reqwest::Client::builder().user_agent(user_agent).connect_timeout(CONNECT_TIMEOUT);
    if let Some(read) = read {
        b = b.read_timeout(read);
    }
    b.build().map_err(|e| SourceError::Config { source_name: source.into(), message: error_chain(&e) })
}

/// The User-Agent of connectors that do not configure one.
pub(crate) const USER_AGENT: &str = concat!("veille/", env!("CARGO_PKG_VERSION"), " (social listening)");

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn exponential_delays_double_with_jitter_up_to_the_cap() {
        let mut b = Backoff::exponential(BackoffConfig { initial_ms: 100, max_ms: 1_000 });
        for nominal in [100u64, 200, 400, 800, 1_000, 1_000] {
            let d = b.next_delay().as_millis() as u64;
            assert!((nominal / 2..=nominal).contains(&d), "{d} for {nominal}");
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }

    #[test]
    fn linear_delays_grow_by_the_first_step() {
        let mut b = Backoff::linear(BackoffConfig { initial_ms: 250, max_ms: 1_000 });
        for nominal in [250u64, 500, 750, 1_000, 1_000] {
            let d = b.next_delay().as_millis() as u64;
            assert!((nominal / 2..=nominal).contains(&d), "{d} for {nominal}");
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let later = (Utc::now() + chrono::TimeDelta::seconds(30)).format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        h.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let d = retry_after(&h).unwrap();
        assert!(d > Duration::from_secs(25) && d <= Duration::from_secs(30), "{d:?}");
        h.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&h), Some(Duration::ZERO), "a date in the past means now");
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
