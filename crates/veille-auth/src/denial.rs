//! Refused requests: why, counted and logged.

use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{register_int_counter_vec, IntCounterVec};

static DENIED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("veille_api_denied_total", "API requests refused, by reason", &["reason"])
        .unwrap_or_else(|e| panic!("metric registration: {e}"))
});

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenialReason {
    /// No key was presented (401).
    MissingKey,
    /// Something was presented that is not a veille key (401).
    MalformedKey,
    /// The key's id is unknown, or its secret is wrong (401).
    InvalidKey,
    /// The key was revoked (401).
    RevokedKey,
    /// The key's role may not do this (403).
    Role,
    /// The key does not reach the requested workspace (403).
    Workspace,
    /// The key sent more requests than its rate allows (429).
    RateLimited,
    /// The request asks for more than a limit allows: page size, query complexity (400).
    OverLimit,
    /// The request body is larger than allowed (413).
    BodyTooLarge,
    /// A query ran past its deadline and was cancelled (422).
    QueryTooSlow,
    /// A request without a query ran past its deadline (503).
    Timeout,
}

impl DenialReason {
    /// The `reason` label of `veille_api_denied_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            DenialReason::MissingKey => "missing_key",
            DenialReason::MalformedKey => "malformed_key",
            DenialReason::InvalidKey => "invalid_key",
            DenialReason::RevokedKey => "revoked_key",
            DenialReason::Role => "role",
            DenialReason::Workspace => "workspace",
            DenialReason::RateLimited => "rate_limited",
            DenialReason::OverLimit => "over_limit",
            DenialReason::BodyTooLarge => "body_too_large",
            DenialReason::QueryTooSlow => "query_too_slow",
            DenialReason::Timeout => "timeout",
        }
    }

    /// The HTTP status that answers this denial.
    pub fn status(self) -> u16 {
        match self {
            DenialReason::MissingKey
            | DenialReason::MalformedKey
            | DenialReason::InvalidKey
            | DenialReason::RevokedKey => 401,
            DenialReason::Role | DenialReason::Workspace => 403,
            DenialReason::RateLimited => 429,
            DenialReason::OverLimit => 400,
            DenialReason::BodyTooLarge => 413,
            DenialReason::QueryTooSlow => 422,
            DenialReason::Timeout => 503,
        }
    }
}

/// A refused request: the reason and a message for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// Why.
    pub reason: DenialReason,
    /// What the client is told (never a secret).
    pub message: String,
    /// The key's public id, when one was recognised.
    pub key_id: Option<String>,
    /// When to retry, for [`DenialReason::RateLimited`].
    pub retry_after: Option<Duration>,
}

impl Denial {
    /// A denial for `reason` with `message`.
    pub fn new(reason: DenialReason, message: impl Into<String>) -> Denial {
        Denial { reason, message: message.into(), key_id: None, retry_after: None }
    }

    /// The same denial, naming the key it concerns.
    pub fn for_key(mut self, id: &str) -> Denial {
        self.key_id = Some(id.to_string());
        self
    }

    /// Counts the denial in `veille_api_denied_total{reason}` and logs a structured warning.
    pub fn record(&self, method: &str, path: &str) {
        DENIED.with_label_values(&[self.reason.as_str()]).inc();
        tracing::warn!(
            reason = self.reason.as_str(),
            status = self.reason.status(),
            key = self.key_id.as_deref().unwrap_or("-"),
            method,
            path,
            message = %self.message,
            "request denied"
        );
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Denial {}

/// How many requests were denied for `reason` so far in this process.
pub fn denied_count(reason: DenialReason) -> u64 {
    DENIED.with_label_values(&[reason.as_str()]).get()
}
