//! Slack incoming webhooks: a `text` fallback and Block Kit `blocks`.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;

use super::{client, deliver, Notifier};
use crate::alert::{AlertNotice, NoticeKind};
use crate::error::{DeliveryError, Error};

/// Longest header text Slack accepts.
const HEADER_CHARS: usize = 150;
/// Longest section text Slack accepts.
const SECTION_CHARS: usize = 3000;

/// Posts each notice to a Slack incoming webhook.
#[derive(Clone)]
pub struct SlackNotifier {
    name: String,
    url: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for SlackNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackNotifier").field("name", &self.name).finish_non_exhaustive()
    }
}

impl SlackNotifier {
    /// A notifier posting to the incoming-webhook `url`.
    pub fn new(name: String, url: &str, timeout: Duration) -> Result<Self, Error> {
        let http = client(&name, timeout)?;
        Ok(SlackNotifier { name, url: url.to_string(), http })
    }

    /// The JSON message for `notice`.
    pub fn message(notice: &AlertNotice) -> serde_json::Value {
        let a = &notice.alert;
        let icon = match notice.kind {
            NoticeKind::Resolved => ":white_check_mark:",
            NoticeKind::Firing | NoticeKind::Renotify => match a.severity.as_str() {
                "critical" => ":rotating_light:",
                "warning" => ":warning:",
                _ => ":information_source:",
            },
        };
        let again = if notice.kind == NoticeKind::Renotify { " (still firing)" } else { "" };
        let text = format!("{icon} {}{again}", a.explanation.summary);
        let mut context = format!("alert `{}` · {} · started {}", a.id, notice.kind.as_str(), a.starts_at.to_rfc3339());
        if !a.incident.is_empty() {
            context.push_str(&format!(" · incident `{}`", a.incident));
        }
        if let Some(link) = notice.link() {
            context.push_str(&format!(" · <{link}|details>"));
        }
        json!({
            "text": text,
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": clip(&text, HEADER_CHARS), "emoji": true}},
                {"type": "section", "text": {"type": "mrkdwn", "text": clip(&escape(&a.explanation.description), SECTION_CHARS)}},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]}
            ]
        })
    }
}

#[async_trait]
impl Notifier for SlackNotifier {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, notice: &AlertNotice) -> Result<(), DeliveryError> {
        deliver(self.http.post(&self.url).json(&Self::message(notice))).await
    }
}

/// Slack's mrkdwn control characters, escaped as its documentation asks.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn clip(s: &str, chars: usize) -> String {
    if s.chars().count() <= chars {
        return s.to_string();
    }
    let mut out: String = s.chars().take(chars - 1).collect();
    out.push('…');
    out
}
