//! An alert, its state, and the notices sent about it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use veille_config::signals::Severity;
use veille_signals::{Evidence, RuleKind};

use crate::explain::Explanation;

/// Where an alert is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// Raised, held for `alerts.pending_s` before anyone is notified.
    Pending,
    /// Notified; the rule's condition still holds.
    Firing,
    /// The condition stopped holding (as the signals reported it).
    Resolved,
}

/// Who acknowledged an alert, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// The person (or system) acknowledging.
    pub by: String,
    /// When (wall time).
    pub at: DateTime<Utc>,
}

/// One alert: a rule firing for one watch of one workspace, from the first
/// fire to the resolution. Several signal events of the same group fold
/// into one alert while it is active.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable id, derived from the group and the start time.
    pub id: String,
    /// The incident the alert belongs to, named by [`incident_id`] from the workspace and the
    /// start of the alert that opened it (before, the opening alert's own id).
    /// Active alerts of a workspace whose conditions started within
    /// `alerts.incident_window_s` of each other (event time) share an
    /// incident, so that one crisis tripping several rules and watches can
    /// page once (empty in notices written before incidents existed).
    #[serde(default)]
    pub incident: String,
    /// The workspace.
    pub workspace: String,
    /// The watch.
    pub watch: String,
    /// The rule.
    pub rule: RuleKind,
    /// The rule's severity.
    pub severity: Severity,
    /// Pending, firing or resolved.
    pub state: AlertState,
    /// Event time the condition started: the first bucket of the surge for
    /// the volume detector's rules, else the bucket that fired.
    pub starts_at: DateTime<Utc>,
    /// Event time up to which data was seen when the rule fired.
    pub detected_at: DateTime<Utc>,
    /// Detection delay: from the start of the condition to the data that
    /// fired the rule (`detected_at - starts_at`), in seconds of event time.
    #[serde(default)]
    pub detection_delay_s: f64,
    /// Event time the condition stopped holding, once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    /// Wall time the alert was raised.
    pub raised_at: DateTime<Utc>,
    /// Wall time it resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Signal events folded into the alert.
    pub events: u32,
    /// The figures of the latest fire (or of the resolution, once resolved).
    pub evidence: Evidence,
    /// What the alert is about, for people.
    pub explanation: Explanation,
    /// Notices sent so far.
    pub notifications: u32,
    /// Wall time of the last notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_notified: Option<DateTime<Utc>>,
    /// The acknowledgement, once acknowledged (stops re-notification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<Ack>,
    /// Conditions still holding: `@author` per key-node author, `series` for other rules.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub open_conditions: BTreeSet<String>,
}

impl Alert {
    /// The incident's id: `incident`, or the alert's own id for an alert
    /// written before incidents existed (it was an incident of its own).
    pub fn incident_id(&self) -> &str {
        if self.incident.is_empty() {
            &self.id
        } else {
            &self.incident
        }
    }
}

/// Why a notice is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeKind {
    /// The alert starts firing.
    Firing,
    /// The alert is still firing and nobody acknowledged it.
    Renotify,
    /// The alert resolved.
    Resolved,
}

impl NoticeKind {
    /// The stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Firing => "firing",
            NoticeKind::Renotify => "renotify",
            NoticeKind::Resolved => "resolved",
        }
    }
}

/// One notification to send to every receiver: a snapshot of the alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertNotice {
    /// Why it is sent.
    pub kind: NoticeKind,
    /// Rank of this notice among the alert's notices, from 0.
    pub sequence: u32,
    /// Wall time the notice was made.
    pub created_at: DateTime<Utc>,
    /// Base URL of the API, for a link back to the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_url: Option<String>,
    /// The alert as it was then.
    pub alert: Alert,
}

impl AlertNotice {
    /// Unique id of this notice, so receivers can drop a redelivery.
    pub fn delivery_id(&self) -> String {
        format!("{}-{}", self.alert.id, self.sequence)
    }

    /// Link to the alert in the API, when the external URL is configured.
    pub fn link(&self) -> Option<String> {
        self.external_url.as_ref().map(|base| format!("{}/api/v1/alerts/{}", base.trim_end_matches('/'), self.alert.id))
    }
}

/// The id of the incident a workspace's alert starting at `starts_at` opens: derived from the
/// workspace and that start alone, not from which of several alerts starting together opened it,
/// so that every run of the same stream (one machine, or owners that replay it after a restart)
/// names the incident alike whatever order simultaneous alerts were decided in.
pub fn incident_id(workspace: &str, starts_at: DateTime<Utc>) -> String {
    let mut h = Sha256::new();
    for part in [workspace, "incident"] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.update(starts_at.timestamp().to_le_bytes());
    h.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The id of the alert of `group` that started at `starts_at`: the first 16
/// hex digits of a SHA-256 over them, so it is the same on every run.
pub fn alert_id(workspace: &str, watch: &str, rule: RuleKind, starts_at: DateTime<Utc>) -> String {
    let mut h = Sha256::new();
    for part in [workspace, watch, rule.as_str()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.update(starts_at.timestamp().to_le_bytes());
    h.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Which alerts a listing returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertScope {
    /// Pending and firing alerts.
    #[default]
    Active,
    /// Resolved alerts, newest first.
    History,
    /// Both, active first.
    All,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ids_are_stable_and_differ_per_group_and_start() {
        let t = Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap();
        let id = alert_id("default", "acme", RuleKind::VolumeSpike, t);
        assert_eq!(id.len(), 16);
        assert_eq!(id, alert_id("default", "acme", RuleKind::VolumeSpike, t));
        assert_ne!(id, alert_id("default", "acme", RuleKind::CrisisBurst, t));
        assert_ne!(id, alert_id("default", "acmex", RuleKind::VolumeSpike, t));
        assert_ne!(id, alert_id("default", "acme", RuleKind::VolumeSpike, t + chrono::Duration::minutes(1)));
        // Separators keep ("ab", "c") and ("a", "bc") apart.
        assert_ne!(alert_id("ab", "c", RuleKind::FlatLine, t), alert_id("a", "bc", RuleKind::FlatLine, t));
    }
}
