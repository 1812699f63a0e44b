//! Alerts: the lifecycle of what signals detect, explained and delivered.
//!
//! # Model
//!
//! [`veille_signals`] decides when a rule *fires* and *resolves* for a watch
//! (each rule already waits its own "for" duration and cooldown). An
//! [`AlertBook`] turns those [`SignalEvent`](veille_signals::SignalEvent)s
//! into [`Alert`]s:
//!
//! * **Grouping and de-duplication.** One alert per workspace × watch × rule
//!   while it is active. A fire for a group that already has an active alert
//!   is folded into it; a resolution for a group with none is ignored. A
//!   key-node alert stays open until every author that fired it resolved.
//! * **Incidents.** A new alert joins the incident of its workspace's
//!   latest-starting active alert when their conditions started within
//!   `alerts.incident_window_s` of each other (event time); otherwise it
//!   opens one, named after its workspace and start ([`incident_id`]), so
//!   that alerts starting together name their incident alike whichever of
//!   them was decided first.
//!   Receivers that group by incident (Alertmanager's `group_by`) page once
//!   for one crisis that trips several rules and watches.
//! * **Lifecycle.** `pending → firing → resolved`. A new alert is pending
//!   for `alerts.pending_s` (0 by default: it fires at once), during which
//!   further events of its group are folded in; one that resolves while
//!   pending is never notified. A firing alert nobody acknowledged is
//!   notified again every `alerts.renotify_s`; [`AlertBook::ack`] stops that.
//!   Resolved alerts go to a bounded history.
//! * **Ids** are stable: derived from the group and the start (event time),
//!   so the same data always yields the same ids ([`alert_id`]).
//! * **Explanations.** The book keeps the last mentions of every watch
//!   ([`AlertBook::observe`]); an alert carries the series figures against the
//!   baseline (from the signals' evidence), the top terms, the top authors with
//!   their influence, example mentions with links, and platforms, rendered as
//!   a one-line summary and a description ([`Explanation`]).
//!
//! The book does no I/O and follows the caller's clock, so a replay
//! (backtesting, watch tests) drives it with event time and gets the same
//! alerts: [`Replay`] does exactly that.
//!
//! # Delivery
//!
//! Each [`AlertNotice`] the book returns goes to a [`DispatcherHandle`]:
//! [`DispatcherHandle::enqueue`] appends it to every receiver's outbox under
//! `<data dir>/alerts/outbox/<receiver>/` and fsyncs before returning (no
//! network on the caller's path). One task per receiver sends its outbox in
//! order, retrying failures with exponential backoff and jitter for as long
//! as it takes; after a restart the undelivered notices are sent first. A
//! receiver that refuses a notice for good (a 4xx answer) gets it set aside
//! in `rejected.ndjson` beside its outbox. A full outbox refuses new notices
//! with an error and a metric: nothing is dropped silently. Delivery is at
//! least once: a notice whose answer was lost is sent again, with the same
//! delivery id so receivers can drop it.
//!
//! Receivers ([`Notifier`]): Prometheus Alertmanager API v2
//! ([`AlertmanagerNotifier`]), a JSON webhook signed with HMAC-SHA256
//! ([`WebhookNotifier`], [`webhook::verify`]) and Slack incoming webhooks
//! ([`SlackNotifier`]).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use veille_alert::{AlertBook, AlertScope, AlertState, NoticeKind};
//! use veille_config::{alerts::AlertsConfig, signals::Severity};
//! use veille_signals::{Evidence, Novelty, RuleKind, SignalEvent, Transition};
//!
//! let mut book = AlertBook::new(&AlertsConfig::default());
//! let at = Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap();
//! let mut event = SignalEvent {
//!     workspace: "default".into(),
//!     watch: "acme".into(),
//!     rule: RuleKind::VolumeSpike,
//!     transition: Transition::Fired,
//!     severity: Severity::Critical,
//!     at,
//!     started_at: at,
//!     decided_at: at + chrono::Duration::minutes(1),
//!     provisional: true,
//!     evidence: Evidence::Spike {
//!         value: 412.0, baseline: 18.0, z: 9.5, score: 4.2,
//!         threshold: 1.8, extra_volume: 394.0, window_s: 10800,
//!         novelty: Some(Novelty::Spike), window_observed: 412.0, window_expected: 18.0,
//!         daily_volume: 900.0,
//!     },
//! };
//! let fired = book.apply(&event, at).unwrap();
//! assert_eq!(fired.kind, NoticeKind::Firing);
//! assert!(fired.alert.explanation.summary.contains("412 mentions"));
//! assert!(book.apply(&event, at).is_none(), "the same group fires once");
//!
//! event.transition = Transition::Resolved;
//! let resolved = book.apply(&event, at + chrono::Duration::minutes(20)).unwrap();
//! assert_eq!(resolved.kind, NoticeKind::Resolved);
//! assert_eq!(resolved.alert.id, fired.alert.id);
//! assert_eq!(book.list(AlertScope::History, Some("default"))[0].state, AlertState::Resolved);
//! ```

mod alert;
mod book;
mod dispatch;
mod error;
mod explain;
mod metrics;
mod notify;
mod outbox;
mod replay;
mod sample;
mod store;

pub use alert::{alert_id, incident_id, Ack, Alert, AlertNotice, AlertScope, AlertState, NoticeKind};
pub use book::AlertBook;
pub use dispatch::{Backoff, Dispatcher, DispatcherHandle};
pub use error::{AckError, DeliveryError, EnqueueError, Error, OutboxError};
pub use explain::{AuthorActivity, Example, Explanation, PlatformCount, TermCount};
pub use metrics::AlertMetrics;
pub use notify::{
    from_config as notifiers_from_config, webhook, AlertmanagerNotifier, Notifier, SlackNotifier, WebhookNotifier,
};
pub use replay::{Replay, ReplayOutcome};
pub use store::{select, AlertStore};
