//! The alerting step: per-watch signals, the alert book, and durable delivery.
//!
//! Every enriched mention feeds the [`SignalMonitor`] (event-time buckets and
//! detectors) and the [`AlertBook`] (recent mentions that explain alerts). The
//! rule transitions the monitor decides become alert notices, which the
//! dispatcher stores in each receiver's outbox before delivering them: a
//! receiver that is down delays its notices, it never blocks the pipeline
//! and never loses them.
//!
//! Time: a stream whose event time is close to the wall clock is *live*; the
//! book then runs on the wall clock, and a ticker moves the watermark forward
//! every second so buckets close (and the flat-line rule sees silence) even
//! when nothing arrives. The ticker moves event time on by the wall-clock time
//! that passed since the last mention arrived, never past the wall clock: a
//! source catching up on its backlog (mentions arriving back to back, minutes
//! or hours old) keeps its buckets open until their mentions are in, while a
//! source that went silent sees its buckets close as the clock runs. A replay
//! of older mentions runs on event time only.
//!
//! Restart: before the sources start, [`Alerts::rebuild`] replays the last
//! `[signals] rebuild_s` of indexed history (stored tags and scores) through
//! the monitor, so every series has its baseline and warm-up back and a
//! restart neither goes blind nor judges on a cold baseline. What the replay
//! decides goes into the alert book silently: the run that indexed those
//! mentions decided the same and notified it (its outbox keeps what it could
//! not deliver).

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use chrono::{DateTime, Duration, Utc};
use veille_alert::{AlertBook, AlertMetrics, AlertNotice, AlertStore, Dispatcher, DispatcherHandle};
use veille_index::MentionIndex;
use veille_model::Mention;
use veille_signals::{SignalMonitor, SignalOutput};

use crate::ledger::Ledger;
use crate::{Enricher, PipelineError};

/// How far event time may be from the wall clock for a stream to count as live.
const LIVE_HORIZON: Duration = Duration::hours(1);

/// The alert metrics, registered once per process in the default registry.
fn alert_metrics() -> Result<AlertMetrics, PipelineError> {
    static METRICS: OnceLock<AlertMetrics> = OnceLock::new();
    if let Some(m) = METRICS.get() {
        return Ok(m.clone());
    }
    let m = AlertMetrics::register(prometheus::default_registry())?;
    Ok(METRICS.get_or_init(|| m).clone())
}

/// Signals and alerts, shared by the enrich stage, the ticker and the API.
#[derive(Clone)]
pub struct Alerts {
    inner: Arc<Mutex<State>>,
}

struct State {
    monitor: SignalMonitor,
    book: AlertBook,
    out: SignalOutput,
    dispatcher: Option<DispatcherHandle>,
    /// Newest event time seen.
    watermark: Option<DateTime<Utc>>,
    /// When (wall clock) the last mention arrived.
    last_arrival: Option<std::time::Instant>,
    /// Delivery ids already enqueued, by this process or a predecessor.
    ledger: Option<Ledger>,
}

impl Alerts {
    /// Signals shaped by `[signals]` and alerts by `[alerts]`; notices are held
    /// until `Alerts::deliver_to` connects the receivers.
    pub fn new(config: &veille_config::Config) -> Result<Self, PipelineError> {
        let monitor = SignalMonitor::new(&config.signals)?;
        let book = AlertBook::new(&config.alerts).with_metrics(alert_metrics()?);
        let state = State {
            monitor,
            book,
            out: SignalOutput::default(),
            dispatcher: None,
            watermark: None,
            last_arrival: None,
            ledger: None,
        };
        Ok(Alerts { inner: Arc::new(Mutex::new(state)) })
    }

    /// Starts the receivers `[alerts]` configures, with their outboxes under `data_dir`
    /// (on the current Tokio runtime). Notices waiting from an earlier run are sent first.
    pub(crate) fn deliver_to(
        &self,
        config: &veille_config::Config,
    ) -> Result<tokio::task::JoinHandle<()>, PipelineError> {
        let (handle, joined) = Dispatcher::start(&config.alerts, &config.data.dir, &alert_metrics()?)?;
        self.lock().dispatcher = Some(handle);
        Ok(joined)
    }

    /// Sends each notice once across restarts and owners: the delivery ids enqueued are kept
    /// in a ledger in `dir` (synced before the notice is enqueued), and a notice already in it
    /// is not sent again.
    pub fn notify_once(&self, dir: &std::path::Path) -> Result<(), PipelineError> {
        let ledger = Ledger::open(dir)
            .map_err(|error| PipelineError::SignalsState { path: dir.join(crate::ledger::LEDGER_FILE), error })?;
        self.lock().ledger = Some(ledger);
        Ok(())
    }

    /// Notices stored in the outboxes and not delivered yet, over all receivers.
    pub(crate) fn undelivered(&self) -> usize {
        let state = self.lock();
        state.dispatcher.as_ref().map_or(0, |d| d.receivers().iter().filter_map(|r| d.depth(r)).sum())
    }

    /// Stops delivery; undelivered notices stay in the outboxes for the next start.
    pub(crate) fn stop_delivery(&self) {
        if let Some(d) = self.lock().dispatcher.take() {
            d.shutdown();
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent state (every update is a
        // whole step), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Moves time forward in a live stream: buckets the clock completed close, and
    /// pending or unacknowledged alerts move on. Does nothing in a replay.
    pub(crate) fn tick(&self) {
        let now = Utc::now();
        let mut state = self.lock();
        let Some(watermark) = state.watermark.filter(|w| (now - *w).abs() <= LIVE_HORIZON) else {
            return;
        };
        // Event time moves on by the silence since the last arrival, up to the wall clock.
        let silence = state.last_arrival.and_then(|t| Duration::from_std(t.elapsed()).ok()).unwrap_or(LIVE_HORIZON);
        let to = now.min(watermark + silence);
        let st = &mut *state;
        st.monitor.advance_to(to, &mut st.out);
        st.publish();
        let notices = st.book.tick(now);
        st.send(notices);
    }

    /// Replays the last `rebuild_s` seconds of every configured workspace's
    /// indexed history (before its newest indexed mention) through the
    /// monitor, silently; returns the mentions replayed.
    pub fn rebuild(&self, index: &MentionIndex, config: &veille_config::Config) -> Result<u64, PipelineError> {
        let span = Duration::seconds(i64::try_from(config.signals.rebuild_s).unwrap_or(i64::MAX / 1000));
        if span <= Duration::zero() {
            return Ok(0);
        }
        let mut state = self.lock();
        let st = &mut *state;
        let mut replayed = 0;
        for workspace in config.workspaces.iter().map(|w| w.name.as_str()) {
            let newest = index.search(&veille_index::SearchRequest {
                limit: 1,
                ..veille_index::SearchRequest::new(workspace, "*")
            })?;
            let Some(last) = newest.hits.first().map(|h| h.mention.created_at) else { continue };
            let from = last - span;
            let started = std::time::Instant::now();
            let n = index.scan(workspace, "*", Some(from), None, |mention| {
                st.watermark = Some(st.watermark.map_or(mention.created_at, |w| w.max(mention.created_at)));
                st.book.observe(&mention);
                st.monitor.observe(&mention, &mut st.out);
                for event in st.out.events.drain(..) {
                    // Decided and notified by the run that indexed these mentions.
                    let _ = st.book.apply(&event, event.decided_at);
                }
                st.out.buckets.clear();
                true
            })?;
            tracing::info!(workspace, mentions = n, from = %from, to = %last, seconds = started.elapsed().as_secs_f64(), "signals rebuilt from the index");
            replayed += n;
        }
        Ok(replayed)
    }

    /// Closes every open bucket, as at the end of a finite replay.
    pub(crate) fn flush(&self) {
        let mut state = self.lock();
        let st = &mut *state;
        st.monitor.flush(&mut st.out);
        st.publish();
    }

    /// Watches tracked and mentions that came after their bucket closed.
    pub fn series_and_late(&self) -> (usize, u64) {
        let state = self.lock();
        (state.monitor.series_count(), state.monitor.late_mentions())
    }
}

impl State {
    /// The clock alerts run on: the wall clock in a live stream, event time in a replay.
    fn clock(&self, event_time: DateTime<Utc>) -> DateTime<Utc> {
        let now = Utc::now();
        if (now - event_time).abs() <= LIVE_HORIZON {
            now
        } else {
            event_time
        }
    }

    /// Turns the monitor's transitions into notices and hands them to the receivers.
    fn publish(&mut self) {
        self.out.buckets.clear();
        if self.out.events.is_empty() {
            return;
        }
        let events = std::mem::take(&mut self.out.events);
        let mut notices = Vec::new();
        for event in &events {
            tracing::info!(workspace = %event.workspace, watch = %event.watch, rule = event.rule.as_str(), transition = ?event.transition, at = %event.at, "signal");
            let now = self.clock(event.at);
            notices.extend(self.book.apply(event, now));
        }
        self.out.events = events;
        self.out.events.clear();
        self.send(notices);
    }

    fn send(&mut self, notices: Vec<AlertNotice>) {
        for notice in notices {
            if let Some(ledger) = &mut self.ledger {
                match ledger.first_time(&notice.delivery_id()) {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::debug!(delivery = %notice.delivery_id(), "notice already sent");
                        continue;
                    }
                    Err(error) => {
                        // Sending twice beats not sending: the receivers drop a redelivery by its id.
                        tracing::error!(ledger = %ledger.path().display(), %error, "recording a notice");
                    }
                }
            }
            tracing::info!(alert = %notice.alert.id, kind = notice.kind.as_str(), watch = %notice.alert.watch, rule = notice.alert.rule.as_str(), "alert notice");
            if let Some(d) = &self.dispatcher {
                // The dispatcher logs and counts a refusal per receiver; the alert itself
                // stays in the book and the API.
                let _ = d.enqueue(&notice);
            }
        }
    }
}

impl AlertStore for Alerts {
    fn list(&self, scope: veille_alert::AlertScope, workspace: Option<&str>) -> Vec<veille_alert::Alert> {
        self.lock().book.list(scope, workspace)
    }

    fn get(&self, id: &str) -> Option<veille_alert::Alert> {
        self.lock().book.get(id).cloned()
    }

    fn ack(&self, id: &str, by: &str) -> Result<veille_alert::Alert, veille_alert::AckError> {
        self.lock().book.ack(id, by, Utc::now())
    }
}

impl Alerts {
    /// Reads one mention, in event order after every step that writes it: counts it into its
    /// watches' buckets, keeps it as a possible example post, and sends what that decides.
    /// It changes nothing in the mention.
    pub fn observe(&self, mention: &Mention) {
        let mut state = self.lock();
        let st = &mut *state;
        st.watermark = Some(st.watermark.map_or(mention.created_at, |w| w.max(mention.created_at)));
        st.last_arrival = Some(std::time::Instant::now());
        st.book.observe(mention);
        st.monitor.observe(mention, &mut st.out);
        st.publish();
    }

    /// These alerts as the last step of an enrich stage, which reads each mention in order
    /// (see [`Alerts::observe`]).
    pub fn into_step(self) -> Box<dyn Enricher> {
        Box::new(Observe(self))
    }
}

/// The alert step of the enrich stage: the last one, in bus order, after the steps that write
/// the mention (see `Stages::build`). It only reads.
struct Observe(Alerts);

impl Enricher for Observe {
    fn name(&self) -> &'static str {
        "alerts"
    }

    fn enrich(&mut self, mention: &mut Mention) {
        self.0.observe(mention);
    }
}
