//! `[alerts]`: alert lifecycle and the receivers notified.
//!
//! Signals decide when a rule fires and resolves (`[signals.rules]`, with
//! their own "for" duration and cooldown); alerts group those transitions per
//! workspace × watch × rule, re-notify while an alert keeps firing, and
//! deliver every notification to each receiver through an outbox persisted in
//! the data directory, retried with exponential backoff and jitter.
//!
//! ```toml
//! [alerts]
//! enabled = true
//! renotify_s = 3600              # re-send a firing, unacknowledged alert this often
//! pending_s = 0                  # hold a new alert this long before notifying (0: at once)
//! incident_window_s = 900        # alerts of a workspace starting or detected this close together share an incident
//! history_size = 1000            # resolved alerts kept for the API
//! outbox_max_bytes = 16777216    # undelivered notifications kept per receiver
//! backoff_min_ms = 500           # first retry delay
//! backoff_max_ms = 300000        # longest retry delay
//! top = 5                        # top terms and authors in an explanation
//! examples = 3                   # example mentions in an explanation
//!
//! # [[alerts.alertmanager]]
//! # name = "alertmanager"
//! # url = "http://127.0.0.1:9093"
//! # timeout_ms = 5000
//!
//! # [[alerts.webhook]]
//! # url = "https://hooks.example.com/veille"
//! # secret = "change me"
//!
//! # [[alerts.slack]]
//! # url = "https://hooks.slack.com/services/T000/B000/XXXX"
//! ```

use std::collections::BTreeSet;
use std::fmt;

use serde::Deserialize;

/// `[alerts]`: lifecycle settings and receivers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// Whether alerts are raised and delivered. Default true.
    pub enabled: bool,
    /// A firing alert nobody acknowledged is notified again this often, in seconds. Default 3,600.
    pub renotify_s: u64,
    /// A new alert stays pending this long (folding in further events of its
    /// group) before it is notified; one that resolves meanwhile is never
    /// notified. In seconds; default 0 (rules already wait their own `for_s`).
    pub pending_s: u64,
    /// A new alert joins the incident of the workspace's latest-starting
    /// active alert when their conditions started, or were detected, at most
    /// this far apart (event time, in seconds); otherwise it opens an
    /// incident of its own.
    /// Alerts of one
    /// incident carry its id (the `incident` label in Alertmanager), so that
    /// one crisis tripping several rules and watches pages once when
    /// receivers group by it. Default 900 (15 minutes); 0 gives every alert
    /// its own incident.
    pub incident_window_s: u64,
    /// Resolved alerts kept in memory for the API, newest first. Default 1,000.
    pub history_size: usize,
    /// Most bytes of undelivered notifications kept per receiver; beyond it
    /// new notifications are refused with an error and a metric. Default 16 MiB.
    pub outbox_max_bytes: u64,
    /// First retry delay after a failed delivery, in milliseconds. Default 500.
    pub backoff_min_ms: u64,
    /// Longest retry delay, in milliseconds. Default 300,000 (5 minutes).
    pub backoff_max_ms: u64,
    /// Base URL of this veille's API, used for links back to an alert
    /// (`generatorURL`). Default: none.
    pub external_url: Option<String>,
    /// Top terms and top authors listed in an alert's explanation. Default 5.
    pub top: usize,
    /// Example mentions listed in an alert's explanation. Default 3.
    pub examples: usize,
    /// Prometheus Alertmanager receivers (API v2).
    pub alertmanager: Vec<AlertmanagerReceiver>,
    /// Generic JSON webhooks signed with HMAC-SHA256.
    pub webhook: Vec<WebhookReceiver>,
    /// Slack incoming webhooks.
    pub slack: Vec<SlackReceiver>,
}

/// `[[alerts.alertmanager]]`: a Prometheus Alertmanager.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerReceiver {
    /// Receiver name (a-z, 0-9, `-`, `_`), unique across receivers; it names
    /// the outbox and the metrics. Default `alertmanager-<index>`.
    #[serde(default)]
    pub name: Option<String>,
    /// Base URL, e.g. `http://127.0.0.1:9093` (`/api/v2/alerts` is appended).
    pub url: String,
    /// Request timeout, in milliseconds. Default 5,000.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

/// `[[alerts.webhook]]`: a generic JSON webhook.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookReceiver {
    /// Receiver name, as for Alertmanager. Default `webhook-<index>`.
    #[serde(default)]
    pub name: Option<String>,
    /// The URL notifications are POSTed to.
    pub url: String,
    /// Shared secret the body is signed with (`X-Veille-Signature`).
    pub secret: String,
    /// Request timeout, in milliseconds. Default 5,000.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

impl fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookReceiver")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// `[[alerts.slack]]`: a Slack incoming webhook.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackReceiver {
    /// Receiver name, as for Alertmanager. Default `slack-<index>`.
    #[serde(default)]
    pub name: Option<String>,
    /// The incoming-webhook URL (it embeds a secret: keep the file private).
    pub url: String,
    /// Request timeout, in milliseconds. Default 5,000.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

impl fmt::Debug for SlackReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackReceiver")
            .field("name", &self.name)
            .field("url", &"<redacted>")
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            enabled: true,
            renotify_s: 3600,
            pending_s: 0,
            incident_window_s: 900,
            history_size: 1000,
            outbox_max_bytes: 16 * 1024 * 1024,
            backoff_min_ms: 500,
            backoff_max_ms: 300_000,
            external_url: None,
            top: 5,
            examples: 3,
            alertmanager: Vec::new(),
            webhook: Vec::new(),
            slack: Vec::new(),
        }
    }
}

impl AlertmanagerReceiver {
    /// The receiver's name: the configured one, else `alertmanager-<index>`.
    pub fn name_or(&self, index: usize) -> String {
        self.name.clone().unwrap_or_else(|| format!("alertmanager-{index}"))
    }
}

impl WebhookReceiver {
    /// The receiver's name: the configured one, else `webhook-<index>`.
    pub fn name_or(&self, index: usize) -> String {
        self.name.clone().unwrap_or_else(|| format!("webhook-{index}"))
    }
}

impl SlackReceiver {
    /// The receiver's name: the configured one, else `slack-<index>`.
    pub fn name_or(&self, index: usize) -> String {
        self.name.clone().unwrap_or_else(|| format!("slack-{index}"))
    }
}

impl AlertsConfig {
    /// Checks values that types alone cannot: `(dotted key under alerts, reason)` on failure.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |key: String, reason: &str| Err((key, reason.to_string()));
        if self.renotify_s == 0 {
            return bad("renotify_s".into(), "must be at least 1 (second)");
        }
        if self.history_size == 0 {
            return bad("history_size".into(), "must be at least 1");
        }
        if self.outbox_max_bytes < 4096 {
            return bad("outbox_max_bytes".into(), "must be at least 4096 (bytes)");
        }
        if self.backoff_min_ms == 0 {
            return bad("backoff_min_ms".into(), "must be at least 1 (millisecond)");
        }
        if self.backoff_max_ms < self.backoff_min_ms {
            return bad("backoff_max_ms".into(), "must be at least backoff_min_ms");
        }
        if let Some(url) = &self.external_url {
            check_url(url).map_err(|r| ("external_url".to_string(), r))?;
        }
        if self.top == 0 {
            return bad("top".into(), "must be at least 1");
        }
        let mut names = BTreeSet::new();
        let receivers = self
            .alertmanager
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("alertmanager[{i}]"), r.name_or(i), &r.url, r.timeout_ms))
            .chain(
                self.webhook
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (format!("webhook[{i}]"), r.name_or(i), &r.url, r.timeout_ms)),
            )
            .chain(
                self.slack.iter().enumerate().map(|(i, r)| (format!("slack[{i}]"), r.name_or(i), &r.url, r.timeout_ms)),
            );
        for (key, name, url, timeout_ms) in receivers {
            check_name(&name).map_err(|r| (format!("{key}.name"), r))?;
            if !names.insert(name.clone()) {
                return Err((format!("{key}.name"), format!("`{name}` is used by another receiver")));
            }
            check_url(url).map_err(|r| (format!("{key}.url"), r))?;
            if timeout_ms == 0 {
                return Err((format!("{key}.timeout_ms"), "must be at least 1 (millisecond)".into()));
            }
        }
        for (i, w) in self.webhook.iter().enumerate() {
            if w.secret.is_empty() {
                return Err((format!("webhook[{i}].secret"), "is empty: the webhook must be signed".into()));
            }
        }
        Ok(())
    }
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` must be 1 to 64 characters of a-z, 0-9, `-` and `_`"))
    }
}

fn check_url(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') && !url.contains(char::is_whitespace) => Ok(()),
        _ => Err(format!("`{url}` is not an http:// or https:// URL")),
    }
}

fn default_timeout_ms() -> u64 {
    5000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AlertsConfig, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn documented_example_parses_to_the_defaults() {
        let example = crate::documented_toml_example(include_str!("alerts.rs"));
        #[derive(Deserialize)]
        struct Doc {
            alerts: AlertsConfig,
        }
        let parsed: Doc = toml::from_str(&example).unwrap();
        assert_eq!(parsed.alerts, AlertsConfig::default());
        assert_eq!(parse("").unwrap(), AlertsConfig::default());
        AlertsConfig::default().validate().unwrap();
    }

    #[test]
    fn receivers_parse_with_default_names_and_timeouts() {
        let cfg = parse(
            "[[alertmanager]]\nurl = \"http://127.0.0.1:9093\"\n\
             [[webhook]]\nurl = \"https://h.example/x\"\nsecret = \"s3\"\ntimeout_ms = 800\n\
             [[slack]]\nname = \"oncall\"\nurl = \"https://hooks.slack.com/services/T/B/X\"\n",
        )
        .unwrap();
        cfg.validate().unwrap();
        assert_eq!(cfg.alertmanager[0].name_or(0), "alertmanager-0");
        assert_eq!(cfg.alertmanager[0].timeout_ms, 5000);
        assert_eq!(cfg.webhook[0].timeout_ms, 800);
        assert_eq!(cfg.slack[0].name_or(0), "oncall");
        assert!(!format!("{:?}", cfg.webhook[0]).contains("s3"), "the secret never reaches logs");
    }

    #[test]
    fn bad_values_are_refused_with_their_key() {
        let e = parse("renotify = 3\n").unwrap_err();
        assert!(e.to_string().contains("renotify"), "{e}");
        let e = parse("[[webhook]]\nurl = \"http://x\"\n").unwrap_err();
        assert!(e.to_string().contains("secret"), "{e}");
        for (text, key) in [
            ("renotify_s = 0", "renotify_s"),
            ("history_size = 0", "history_size"),
            ("outbox_max_bytes = 10", "outbox_max_bytes"),
            ("backoff_min_ms = 10\nbackoff_max_ms = 5", "backoff_max_ms"),
            ("external_url = \"localhost:7700\"", "external_url"),
            ("[[alertmanager]]\nurl = \"ftp://x\"", "alertmanager[0].url"),
            ("[[alertmanager]]\nurl = \"http://a\"\ntimeout_ms = 0", "alertmanager[0].timeout_ms"),
            ("[[webhook]]\nurl = \"http://a\"\nsecret = \"\"", "webhook[0].secret"),
            ("[[slack]]\nname = \"On Call\"\nurl = \"https://a\"", "slack[0].name"),
            ("[[slack]]\nname = \"x\"\nurl = \"https://a\"\n[[webhook]]\nname = \"x\"\nurl = \"https://b\"\nsecret = \"k\"", "slack[0].name"),
        ] {
            let (k, reason) = parse(text).unwrap().validate().unwrap_err();
            assert_eq!(k, key, "{text}: {reason}");
        }
    }
}
