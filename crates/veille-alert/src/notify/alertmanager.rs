//! Prometheus Alertmanager, API v2: `POST /api/v2/alerts`.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{client, deliver, Notifier};
use crate::alert::{AlertNotice, NoticeKind};
use crate::error::{DeliveryError, Error};
use crate::explain::examples_text;

/// Posts each notice as one postable alert to an Alertmanager.
///
/// Labels: `alertname` (the rule in CamelCase), `workspace`, `watch`,
/// `severity`, `rule`, `incident` (group by `workspace` and `incident` to page
/// once per incident); annotations: `summary`, `description`, `examples`,
/// `alert_id`, `detection_delay_s`. A firing alert is sent with `endsAt` a hold time after the
/// send (three re-notify intervals), so Alertmanager keeps it firing between
/// re-notifications and lets it expire if veille stops; a resolved one with
/// `endsAt` at its resolution (never later than the send).
#[derive(Debug, Clone)]
pub struct AlertmanagerNotifier {
    name: String,
    endpoint: String,
    hold: Duration,
    http: reqwest::Client,
}

/// One alert as Alertmanager's API v2 takes it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PostableAlert {
    labels: BTreeMap<&'static str, String>,
    annotations: BTreeMap<&'static str, String>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    #[serde(rename = "generatorURL", skip_serializing_if = "Option::is_none")]
    generator_url: Option<String>,
}

impl AlertmanagerNotifier {
    /// A notifier for the Alertmanager at base URL `url` (e.g. `http://127.0.0.1:9093`).
    pub fn new(name: String, url: &str, timeout: Duration, hold: Duration) -> Result<Self, Error> {
        let http = client(&name, timeout)?;
        let endpoint = format!("{}/api/v2/alerts", url.trim_end_matches('/'));
        Ok(AlertmanagerNotifier { name, endpoint, hold, http })
    }

    /// The JSON body for `notice`, as sent at `now`.
    pub fn body(&self, notice: &AlertNotice, now: DateTime<Utc>) -> serde_json::Value {
        let a = &notice.alert;
        let mut labels = BTreeMap::from([
            ("alertname", camel(a.rule.as_str())),
            ("workspace", a.workspace.clone()),
            ("watch", a.watch.clone()),
            ("severity", a.severity.as_str().to_string()),
            ("rule", a.rule.as_str().to_string()),
        ]);
        // Labels identify an alert in Alertmanager: a notice written before
        // incidents existed keeps the labels its alert fired with.
        if !a.incident.is_empty() {
            labels.insert("incident", a.incident.clone());
        }
        let mut annotations = BTreeMap::from([
            ("summary", a.explanation.summary.clone()),
            ("description", a.explanation.description.clone()),
            ("alert_id", a.id.clone()),
            ("detection_delay_s", format!("{:.0}", a.detection_delay_s)),
        ]);
        let examples = examples_text(&a.explanation.examples);
        if !examples.is_empty() {
            annotations.insert("examples", examples.trim_end().to_string());
        }
        if let Some(ack) = &a.ack {
            annotations.insert("acknowledged_by", ack.by.clone());
        }
        let starts_at = a.starts_at.min(now);
        let ends_at = match notice.kind {
            NoticeKind::Resolved => a.ends_at.unwrap_or(now).min(now).max(starts_at),
            NoticeKind::Firing | NoticeKind::Renotify => {
                now + chrono::Duration::from_std(self.hold).unwrap_or(chrono::Duration::hours(3))
            }
        };
        let alert = PostableAlert { labels, annotations, starts_at, ends_at, generator_url: notice.link() };
        serde_json::json!([alert])
    }
}

#[async_trait]
impl Notifier for AlertmanagerNotifier {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, notice: &AlertNotice) -> Result<(), DeliveryError> {
        let body = self.body(notice, Utc::now());
        deliver(self.http.post(&self.endpoint).json(&body)).await
    }
}

/// `volume_spike` → `VolumeSpike`.
fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_become_alertnames() {
        assert_eq!(camel("volume_spike"), "VolumeSpike");
        assert_eq!(camel("key_node_negative"), "KeyNodeNegative");
    }
}
