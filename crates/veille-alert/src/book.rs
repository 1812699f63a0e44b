//! The alert book: active alerts per group, their lifecycle, and history.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Duration, Utc};
use veille_config::alerts::AlertsConfig;
use veille_model::Mention;
use veille_signals::{Evidence, RuleKind, SignalEvent, Transition};

use crate::alert::{alert_id, incident_id, Ack, Alert, AlertNotice, AlertScope, AlertState, NoticeKind};
use crate::error::AckError;
use crate::explain::{self, Limits};
use crate::metrics::AlertMetrics;
use crate::sample::RecentMentions;

/// Recent mentions kept per watch to explain alerts.
const SAMPLES_PER_WATCH: usize = 256;

/// Alerts grouped per workspace × watch × rule.
type GroupKey = (String, String, RuleKind);

/// Active alerts (one per group), the resolved history, and the recent
/// mentions that explain them.
///
/// The book is driven by the caller's clock: `now` is wall time in live
/// mode, event time in a replay. It does no I/O; the notices it returns are
/// handed to a [`crate::DispatcherHandle`].
#[derive(Debug, Clone)]
pub struct AlertBook {
    renotify: Duration,
    pending: Duration,
    incident_window: Duration,
    history_size: usize,
    limits: Limits,
    external_url: Option<String>,
    active: BTreeMap<GroupKey, Alert>,
    history: VecDeque<Alert>,
    recent: RecentMentions,
    ignored: u64,
    metrics: Option<AlertMetrics>,
}

fn seconds(s: u64) -> Duration {
    Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000))
}

/// What keeps an alert of the group open: `@author` per key-node author,
/// `series` for the other rules.
fn condition(evidence: &Evidence) -> String {
    match evidence {
        Evidence::KeyNode { author, .. } => format!("@{author}"),
        _ => "series".to_string(),
    }
}

impl AlertBook {
    /// An empty book with the `[alerts]` settings.
    pub fn new(config: &AlertsConfig) -> Self {
        AlertBook {
            renotify: seconds(config.renotify_s),
            pending: seconds(config.pending_s),
            incident_window: seconds(config.incident_window_s),
            history_size: config.history_size.max(1),
            limits: Limits { top: config.top, examples: config.examples },
            external_url: config.external_url.clone(),
            active: BTreeMap::new(),
            history: VecDeque::new(),
            recent: RecentMentions::new(SAMPLES_PER_WATCH),
            ignored: 0,
            metrics: None,
        }
    }

    /// Counts alerts that start firing in `metrics`.
    pub fn with_metrics(mut self, metrics: AlertMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Keeps a compact copy of a tagged mention, so alerts on its watches can
    /// show terms, authors and examples. Call it for every enriched mention.
    pub fn observe(&mut self, mention: &Mention) {
        self.recent.observe(mention);
    }

    /// Applies a signal transition; returns the notice to send, if any.
    ///
    /// A fire opens an alert for its group unless one is active (then it is
    /// folded in: de-duplication; a fire of higher severity escalates the
    /// active alert and notifies it again); a resolution closes it once every
    /// condition that fired it resolved. Events for groups with no active
    /// alert are ignored and counted ([`AlertBook::ignored_events`]).
    pub fn apply(&mut self, event: &SignalEvent, now: DateTime<Utc>) -> Option<AlertNotice> {
        match event.transition {
            Transition::Fired => self.fired(event, now),
            Transition::Resolved => self.resolved(event, now),
        }
    }

    /// A condition fired: folded into its group's active alert, or a new alert.
    fn fired(&mut self, event: &SignalEvent, now: DateTime<Utc>) -> Option<AlertNotice> {
        let key = (event.workspace.clone(), event.watch.clone(), event.rule);
        let cond = condition(&event.evidence);
        if let Some(alert) = self.active.get_mut(&key) {
            alert.events += 1;
            alert.open_conditions.insert(cond);
            alert.evidence = event.evidence.clone();
            if event.rule == RuleKind::KeyNodeNegative {
                alert.explanation = explain::explain(event, &self.recent, self.limits);
            }
            // A surge that grew to matter escalates its alert: one more notice, now paging.
            if event.severity > alert.severity {
                alert.severity = event.severity;
                alert.explanation = explain::explain(event, &self.recent, self.limits);
                if alert.state == AlertState::Firing {
                    return Some(notice(alert, NoticeKind::Firing, now, self.external_url.as_ref()));
                }
            }
            return None;
        }
        let alert = self.open(event, cond, now);
        let alert = self.active.entry(key).or_insert(alert);
        if self.pending > Duration::zero() {
            return None;
        }
        Some(fire(alert, now, self.external_url.as_ref(), self.metrics.as_ref()))
    }

    /// A new alert for a condition that fired, in its incident, pending until it is sent.
    fn open(&self, event: &SignalEvent, cond: String, now: DateTime<Utc>) -> Alert {
        let explanation = explain::explain(event, &self.recent, self.limits);
        let starts_at = event.started_at.min(event.at);
        let id = alert_id(&event.workspace, &event.watch, event.rule, starts_at);
        let incident = self
            .incident_at(&event.workspace, starts_at, event.decided_at)
            .unwrap_or_else(|| incident_id(&event.workspace, starts_at));
        let delay = (event.decided_at - starts_at).num_milliseconds().max(0) as f64 / 1000.0;
        Alert {
            id,
            incident,
            workspace: event.workspace.clone(),
            watch: event.watch.clone(),
            rule: event.rule,
            severity: event.severity,
            state: AlertState::Pending,
            starts_at,
            detected_at: event.decided_at,
            detection_delay_s: delay,
            ends_at: None,
            raised_at: now,
            resolved_at: None,
            events: 1,
            evidence: event.evidence.clone(),
            explanation,
            notifications: 0,
            last_notified: None,
            ack: None,
            open_conditions: BTreeSet::from([cond]),
        }
    }

    /// A condition resolved: the alert closes once every condition that fired it resolved.
    fn resolved(&mut self, event: &SignalEvent, now: DateTime<Utc>) -> Option<AlertNotice> {
        let key = (event.workspace.clone(), event.watch.clone(), event.rule);
        let cond = condition(&event.evidence);
        let Some(alert) = self.active.get_mut(&key) else {
            self.ignored += 1;
            return None;
        };
        if !alert.open_conditions.remove(&cond) {
            self.ignored += 1;
            return None;
        }
        alert.events += 1;
        if !alert.open_conditions.is_empty() {
            return None;
        }
        let mut alert = self.active.remove(&key)?;
        let was_pending = alert.state == AlertState::Pending;
        alert.state = AlertState::Resolved;
        alert.ends_at = Some(event.at.max(alert.starts_at));
        alert.resolved_at = Some(now);
        alert.evidence = event.evidence.clone();
        alert.explanation.summary = explain::summary(event);
        let notice = (!was_pending).then(|| notice(&mut alert, NoticeKind::Resolved, now, self.external_url.as_ref()));
        self.history.push_front(alert);
        self.history.truncate(self.history_size);
        notice
    }

    /// The incident a new alert of `workspace` whose condition started at
    /// `starts_at` and was detected at `detected_at` (event time) joins: that
    /// of the workspace's latest-starting active alert that started, or was
    /// detected, within the incident window of it (a burst of crisis words
    /// that simmered for half an hour before the volume jumped is still the
    /// same crisis). Event time, so that a replay groups as the live stream
    /// did, and a backlog caught up at once does not make one incident of
    /// days of alerts.
    fn incident_at(&self, workspace: &str, starts_at: DateTime<Utc>, detected_at: DateTime<Utc>) -> Option<String> {
        if self.incident_window <= Duration::zero() {
            return None;
        }
        let near = |a: &Alert| {
            (starts_at - a.starts_at).abs() <= self.incident_window
                || (detected_at - a.detected_at).abs() <= self.incident_window
        };
        self.active
            .values()
            .filter(|a| a.workspace == workspace && near(a))
            .max_by(|a, b| a.starts_at.cmp(&b.starts_at).then_with(|| b.id.cmp(&a.id)))
            .map(|a| a.incident_id().to_string())
    }

    /// Advances the clock: alerts pending long enough start firing, and
    /// firing alerts nobody acknowledged are notified again every
    /// `renotify_s`. Returns the notices to send, in a stable order.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<AlertNotice> {
        let mut out = Vec::new();
        for alert in self.active.values_mut() {
            match alert.state {
                AlertState::Pending if now >= alert.raised_at + self.pending => {
                    out.push(fire(alert, now, self.external_url.as_ref(), self.metrics.as_ref()));
                }
                AlertState::Firing
                    if alert.ack.is_none() && alert.last_notified.is_some_and(|last| now >= last + self.renotify) =>
                {
                    out.push(notice(alert, NoticeKind::Renotify, now, self.external_url.as_ref()));
                }
                _ => {}
            }
        }
        out
    }

    /// Acknowledges an active alert: it stops being re-notified (it still
    /// resolves, and that is still notified). Acknowledging again replaces
    /// the acknowledgement.
    pub fn ack(&mut self, id: &str, by: &str, now: DateTime<Utc>) -> Result<Alert, AckError> {
        let by = by.trim();
        if by.is_empty() {
            return Err(AckError::Anonymous);
        }
        if let Some(alert) = self.active.values_mut().find(|a| a.id == id) {
            alert.ack = Some(Ack { by: by.to_string(), at: now });
            return Ok(alert.clone());
        }
        if self.history.iter().any(|a| a.id == id) {
            return Err(AckError::Resolved(id.to_string()));
        }
        Err(AckError::Unknown(id.to_string()))
    }

    /// The alert with `id`, active or in the history.
    pub fn get(&self, id: &str) -> Option<&Alert> {
        self.active.values().chain(self.history.iter()).find(|a| a.id == id)
    }

    /// Alerts in `scope`, of one workspace or all: active ones by start time
    /// (newest first), then the history (most recently resolved first).
    pub fn list(&self, scope: AlertScope, workspace: Option<&str>) -> Vec<Alert> {
        let in_ws = |a: &&Alert| workspace.is_none_or(|w| a.workspace == w);
        let mut out: Vec<Alert> = Vec::new();
        if matches!(scope, AlertScope::Active | AlertScope::All) {
            let mut active: Vec<Alert> = self.active.values().filter(in_ws).cloned().collect();
            active.sort_by(|a, b| b.starts_at.cmp(&a.starts_at).then_with(|| a.id.cmp(&b.id)));
            out.extend(active);
        }
        if matches!(scope, AlertScope::History | AlertScope::All) {
            out.extend(self.history.iter().filter(in_ws).cloned());
        }
        out
    }

    /// Resolutions that matched no active alert (duplicates, or fires from
    /// before a restart).
    pub fn ignored_events(&self) -> u64 {
        self.ignored
    }
}

/// Moves a pending alert to firing and makes its first notice.
fn fire(alert: &mut Alert, now: DateTime<Utc>, url: Option<&String>, metrics: Option<&AlertMetrics>) -> AlertNotice {
    alert.state = AlertState::Firing;
    if let Some(m) = metrics {
        m.fired.with_label_values(&[alert.rule.as_str()]).inc();
        m.delay.with_label_values(&[alert.rule.as_str()]).observe(alert.detection_delay_s);
    }
    notice(alert, NoticeKind::Firing, now, url)
}

fn notice(alert: &mut Alert, kind: NoticeKind, now: DateTime<Utc>, url: Option<&String>) -> AlertNotice {
    let sequence = alert.notifications;
    alert.notifications += 1;
    alert.last_notified = Some(now);
    AlertNotice { kind, sequence, created_at: now, external_url: url.cloned(), alert: alert.clone() }
}
