//! Receivers: each formats a notice its own way and sends it over HTTP.

mod alertmanager;
mod slack;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use veille_config::alerts::AlertsConfig;

use crate::alert::AlertNotice;
use crate::error::{DeliveryError, Error};

pub use alertmanager::AlertmanagerNotifier;
pub use slack::SlackNotifier;
pub use webhook::WebhookNotifier;

/// A receiver of alert notices.
///
/// `send` returns once the receiver took the notice (a 2xx answer) or
/// failed; the dispatcher retries transient failures and sets rejected
/// notices aside, so an implementation never retries by itself.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// The receiver's name: it names the outbox and labels the metrics.
    fn name(&self) -> &str;

    /// Delivers one notice.
    async fn send(&self, notice: &AlertNotice) -> Result<(), DeliveryError>;
}

/// The receivers `[alerts]` configures, in the order Alertmanager, webhook, Slack.
pub fn from_config(config: &AlertsConfig) -> Result<Vec<Arc<dyn Notifier>>, Error> {
    config.validate().map_err(|(key, reason)| Error::Config { key, reason })?;
    let hold = Duration::from_secs(config.renotify_s.saturating_mul(3));
    let mut out: Vec<Arc<dyn Notifier>> = Vec::new();
    for (i, r) in config.alertmanager.iter().enumerate() {
        let timeout = Duration::from_millis(r.timeout_ms);
        out.push(Arc::new(AlertmanagerNotifier::new(r.name_or(i), &r.url, timeout, hold)?));
    }
    for (i, r) in config.webhook.iter().enumerate() {
        let timeout = Duration::from_millis(r.timeout_ms);
        out.push(Arc::new(WebhookNotifier::new(r.name_or(i), &r.url, r.secret.as_bytes(), timeout)?));
    }
    for (i, r) in config.slack.iter().enumerate() {
        let timeout = Duration::from_millis(r.timeout_ms);
        out.push(Arc::new(SlackNotifier::new(r.name_or(i), &r.url, timeout)?));
    }
    Ok(out)
}

/// An HTTP client with the receiver's timeout.
pub(crate) fn client(receiver: &str, timeout: Duration) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("veille/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|source| Error::Client { receiver: receiver.to_string(), source })
}

/// Sends a prepared request and sorts the answer into success, transient
/// failure or rejection.
pub(crate) async fn deliver(request: reqwest::RequestBuilder) -> Result<(), DeliveryError> {
    let response = request.send().await.map_err(|e| DeliveryError::Unreachable(error_chain(&e)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let mut body = response.text().await.unwrap_or_default();
    if body.len() > 300 {
        let mut end = 300;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
    }
    let code = status.as_u16();
    if matches!(code, 408 | 425 | 429) || status.is_server_error() {
        Err(DeliveryError::Unavailable { status: code, body, retry_after })
    } else {
        Err(DeliveryError::Rejected { status: code, body })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
