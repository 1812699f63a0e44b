//! Replays: mentions in event-time order through the signals and an alert
//! book, with no wall clock, so the same mentions always raise the same alerts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use veille_config::alerts::AlertsConfig;
use veille_config::signals::SignalsConfig;
use veille_model::Mention;
use veille_signals::{ClosedBucket, SignalEvent, SignalMonitor, SignalOutput};

use crate::alert::{Alert, AlertNotice, AlertScope, NoticeKind};
use crate::book::AlertBook;

/// Drives a [`SignalMonitor`] and an [`AlertBook`] on event time alone, as
/// `veille backtest` and `veille test` do: every mention is observed by both,
/// every rule transition is applied at its own event time, and the book's
/// clock (pending alerts, re-notification) moves once per minute of history.
#[derive(Debug)]
pub struct Replay {
    monitor: SignalMonitor,
    book: AlertBook,
    out: SignalOutput,
    last_tick: i64,
    keep_buckets: Option<u64>,
    events: Vec<SignalEvent>,
    buckets: Vec<ClosedBucket>,
    first_notified: BTreeMap<String, DateTime<Utc>>,
}

/// What a finished replay raised.
#[derive(Debug, Clone, Default)]
pub struct ReplayOutcome {
    /// Every alert, active or resolved, by start time.
    pub alerts: Vec<Alert>,
    /// Every rule transition the signals decided, in order.
    pub events: Vec<SignalEvent>,
    /// The closed buckets of the width asked for with [`Replay::keep_buckets`], in order.
    pub buckets: Vec<ClosedBucket>,
    /// Event time each alert (by id) was first notified as firing.
    pub first_notified: BTreeMap<String, DateTime<Utc>>,
}

impl Replay {
    /// A replay with the `[signals]` and `[alerts]` settings.
    pub fn new(signals: &SignalsConfig, alerts: &AlertsConfig) -> Result<Replay, veille_signals::Error> {
        Ok(Replay {
            monitor: SignalMonitor::new(signals)?,
            book: AlertBook::new(alerts),
            out: SignalOutput::default(),
            last_tick: i64::MIN,
            keep_buckets: None,
            events: Vec::new(),
            buckets: Vec::new(),
            first_notified: BTreeMap::new(),
        })
    }

    /// Keeps the closed buckets `width_s` wide (a long replay should not: they add up).
    pub fn keep_buckets(mut self, width_s: u64) -> Replay {
        self.keep_buckets = Some(width_s);
        self
    }

    /// Feeds one mention (tagged, scored); mentions come in event-time order.
    pub fn observe(&mut self, mention: &Mention) {
        let at = mention.created_at;
        self.book.observe(mention);
        self.monitor.observe(mention, &mut self.out);
        self.drain();
        if at.timestamp().div_euclid(60) != self.last_tick {
            self.last_tick = at.timestamp().div_euclid(60);
            let notices = self.book.tick(at);
            self.note(notices);
        }
    }

    /// Moves event time to `now` with no mention, as the live ticker does:
    /// buckets it completes are evaluated and closed, so silence is seen
    /// (the flat-line rule) when it happens, not when the next mention comes.
    pub fn advance_to(&mut self, now: DateTime<Utc>) {
        self.monitor.advance_to(now, &mut self.out);
        self.drain();
        if now.timestamp().div_euclid(60) != self.last_tick {
            self.last_tick = now.timestamp().div_euclid(60);
            let notices = self.book.tick(now);
            self.note(notices);
        }
    }

    /// Closes every open bucket and returns what the replay raised.
    pub fn finish(mut self) -> ReplayOutcome {
        self.monitor.flush(&mut self.out);
        self.drain();
        let mut alerts = self.book.list(AlertScope::All, None);
        alerts.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then_with(|| a.id.cmp(&b.id)));
        ReplayOutcome { alerts, events: self.events, buckets: self.buckets, first_notified: self.first_notified }
    }

    fn drain(&mut self) {
        for event in std::mem::take(&mut self.out.events) {
            let notice = self.book.apply(&event, event.at);
            self.note(notice);
            self.events.push(event);
        }
        match self.keep_buckets {
            Some(width) => self.buckets.extend(self.out.buckets.drain(..).filter(|b| b.width_s == width)),
            None => self.out.buckets.clear(),
        }
    }

    fn note(&mut self, notices: impl IntoIterator<Item = AlertNotice>) {
        for n in notices {
            if n.kind == NoticeKind::Firing {
                self.first_notified.entry(n.alert.id.clone()).or_insert(n.created_at);
            }
        }
    }
}
