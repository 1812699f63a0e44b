//! What every networked connector shares: retry delays with jitter and the
//! policy choosing them, `Retry-After`, how a failed response is classified
//! (with a typed kind), and secrets read from the environment.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;
use veille_config::BackoffConfig;

use crate::SourceError;

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

/// What kind of failure a connector met: the `kind` label of `veille_source_errors_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// The connection failed or broke.
    Network,
    /// The platform asked to slow down (429).
    RateLimited,
    /// The platform is in trouble (5xx).
    Server,
    /// The request is wrong (a 4xx other than 401, 403 and 429).
    Client,
    /// The credentials are missing, wrong or expired (401, 403).
    Auth,
    /// A stream that was up ended, or reported errors of its own.
    Stream,
    /// The platform answered something that cannot be read (a page, a feed).
    Malformed,
}

impl ErrorKind {
    /// The metric label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            ErrorKind::Network => "network",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Client => "client",
            ErrorKind::Auth => "auth",
            ErrorKind::Stream => "stream",
            ErrorKind::Malformed => "malformed",
        }
    }
}

/// Why a request, a connection or a session did not give a usable answer.
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
    /// A stream that was up ended (closed, broken, or silent for too long).
    Stream(String),
    /// The answer cannot be read (its dead letter says why).
    Malformed(String),
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

    /// The kind of this failure, for metrics and for choosing a backoff.
    pub(crate) fn kind(&self) -> ErrorKind {
        match self {
            Failure::Network(_) => ErrorKind::Network,
            Failure::RateLimited(_) => ErrorKind::RateLimited,
            Failure::Server(..) => ErrorKind::Server,
            Failure::Auth(..) => ErrorKind::Auth,
            Failure::Client(..) => ErrorKind::Client,
            Failure::Stream(_) => ErrorKind::Stream,
            Failure::Malformed(_) => ErrorKind::Malformed,
        }
    }

    /// How long the platform asked to wait (`Retry-After`, or a rate-limit reset), when it said so.
    pub(crate) fn asked_wait(&self) -> Option<Duration> {
        match self {
            Failure::RateLimited(wait) | Failure::Server(_, wait) => *wait,
            _ => None,
        }
    }
}

/// A connector's retry policy: which backoff follows which kind of failure.
///
/// Most platforms use one exponential backoff for everything; X documents a
/// linear one for network errors and a slower one for 429s.
#[derive(Debug, Clone)]
pub(crate) struct Pacing {
    other: Backoff,
    network: Option<Backoff>,
    rate_limited: Option<Backoff>,
}

impl Pacing {
    /// One backoff for every kind of failure.
    pub(crate) fn uniform(backoff: Backoff) -> Self {
        Pacing { other: backoff, network: None, rate_limited: None }
    }

    /// Network failures and ended streams follow `backoff` instead.
    pub(crate) fn with_network(self, backoff: Backoff) -> Self {
        Pacing { network: Some(backoff), ..self }
    }

    /// 429s follow `backoff` instead.
    pub(crate) fn with_rate_limit(self, backoff: Backoff) -> Self {
        Pacing { rate_limited: Some(backoff), ..self }
    }

    /// How long to wait after `failure`: what the platform asked for when it said so and
    /// that is longer, else the next delay of the backoff its kind follows.
    pub(crate) fn delay(&mut self, failure: &Failure) -> Duration {
        let backoff = match failure.kind() {
            ErrorKind::Network | ErrorKind::Stream => self.network.as_mut(),
            ErrorKind::RateLimited => self.rate_limited.as_mut(),
            _ => None,
        };
        let delay = backoff.unwrap_or(&mut self.other).next_delay();
        failure.asked_wait().map_or(delay, |wait| delay.max(wait))
    }

    /// Starts every backoff over (the platform answered).
    pub(crate) fn reset(&mut self) {
        for b in [Some(&mut self.other), self.network.as_mut(), self.rate_limited.as_mut()].into_iter().flatten() {
            b.reset();
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Network(e) => write!(f, "network: {e}"),
            Failure::RateLimited(_) => f.write_str("429 Too Many Requests"),
            Failure::Server(s, _) => write!(f, "{s}"),
            Failure::Auth(s, body) | Failure::Client(s, body) => write!(f, "{s}: {body}"),
            Failure::Stream(why) => write!(f, "stream ended: {why}"),
            Failure::Malformed(what) => write!(f, "malformed answer: {what}"),
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
    fn pacing_picks_the_backoff_of_the_failure_kind_and_honours_the_asked_wait() {
        let slow = |ms| Backoff::exponential(BackoffConfig { initial_ms: ms, max_ms: ms * 16 });
        let mut pacing = Pacing::uniform(slow(1_000))
            .with_network(Backoff::linear(BackoffConfig { initial_ms: 10, max_ms: 100 }))
            .with_rate_limit(slow(60_000));
        let within = |d: Duration, nominal: u64| (nominal / 2..=nominal).contains(&(d.as_millis() as u64));
        assert!(within(pacing.delay(&Failure::Stream("closed".into())), 10), "a drop waits the network delay");
        assert!(within(pacing.delay(&Failure::Network("reset".into())), 20), "network delays grow linearly");
        assert!(within(pacing.delay(&Failure::RateLimited(None)), 60_000));
        assert!(within(pacing.delay(&Failure::Client(StatusCode::BAD_REQUEST, String::new())), 1_000));
        let asked = Failure::Server(StatusCode::SERVICE_UNAVAILABLE, Some(Duration::from_secs(30)));
        assert_eq!(pacing.delay(&asked), Duration::from_secs(30), "a longer Retry-After wins");
        pacing.reset();
        assert!(within(pacing.delay(&Failure::Network("reset".into())), 10), "a success starts over");
        let uniform = &mut Pacing::uniform(slow(100));
        assert!(within(uniform.delay(&Failure::Network("reset".into())), 100));
        assert!(within(uniform.delay(&Failure::RateLimited(None)), 200), "one backoff for every kind");
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
