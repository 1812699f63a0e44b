//! Durable delivery: one outbox and one delivery task per receiver.

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use veille_config::alerts::AlertsConfig;

use crate::alert::{AlertNotice, NoticeKind};
use crate::error::{EnqueueError, Error, OutboxError};
use crate::metrics::AlertMetrics;
use crate::notify::{self, Notifier};
use crate::outbox::Outbox;

/// Where outboxes live under the data directory.
const OUTBOX_DIR: &str = "alerts/outbox";
/// Notices a receiver refused for good, kept beside its outbox.
const REJECTED_FILE: &str = "rejected.ndjson";

/// How deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// First retry delay.
    pub min: Duration,
    /// Longest retry delay.
    pub max: Duration,
}

impl Backoff {
    /// The delay before retry number `attempt` (from 0): `min × 2^attempt`,
    /// capped at `max`, then drawn uniformly from its upper half so receivers
    /// coming back are not hit by every sender at once.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.min.saturating_mul(1u32 << attempt.min(20)).min(self.max).max(self.min);
        let floor = ceiling / 2;
        let spread = u64::try_from((ceiling - floor).as_micros()).unwrap_or(u64::MAX);
        floor + Duration::from_micros(rand::rng().random_range(0..=spread))
    }
}

/// Starts the delivery of alert notices.
#[derive(Debug)]
pub struct Dispatcher;

/// One receiver: its notifier, outbox and wake-up signal.
struct Lane {
    notifier: Arc<dyn Notifier>,
    outbox: Mutex<Outbox>,
    dir: PathBuf,
    wake: Notify,
    metrics: AlertMetrics,
}

impl Lane {
    fn name(&self) -> &str {
        self.notifier.name()
    }

    fn outbox(&self) -> MutexGuard<'_, Outbox> {
        // A panic while holding the lock leaves the outbox consistent on disk
        // (every step is durable before memory changes), so keep going.
        self.outbox.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn publish_depth(&self, outbox: &Outbox) {
        self.metrics.depth.with_label_values(&[self.name()]).set(outbox.depth() as i64);
        self.metrics.bytes.with_label_values(&[self.name()]).set(outbox.bytes() as i64);
    }
}

/// Queues notices for every receiver; cheap to clone and share.
#[derive(Clone)]
pub struct DispatcherHandle {
    lanes: Arc<Vec<Arc<Lane>>>,
    shutdown: Arc<watch::Sender<bool>>,
}

impl std::fmt::Debug for DispatcherHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DispatcherHandle").field("receivers", &self.receivers()).finish()
    }
}

impl Dispatcher {
    /// Opens the outboxes under `<data_dir>/alerts/outbox/<receiver>/` for
    /// the receivers `[alerts]` configures and starts their delivery tasks
    /// (on the current Tokio runtime). Undelivered notices from a previous
    /// run are resent first, in order. The join handle completes after
    /// [`DispatcherHandle::shutdown`].
    pub fn start(
        config: &AlertsConfig,
        data_dir: &Path,
        metrics: &AlertMetrics,
    ) -> Result<(DispatcherHandle, JoinHandle<()>), Error> {
        let notifiers = notify::from_config(config)?;
        let backoff = Backoff {
            min: Duration::from_millis(config.backoff_min_ms),
            max: Duration::from_millis(config.backoff_max_ms),
        };
        Self::start_with(notifiers, config.outbox_max_bytes, backoff, data_dir, metrics)
    }

    /// Like [`Dispatcher::start`], with receivers built by the caller.
    pub fn start_with(
        notifiers: Vec<Arc<dyn Notifier>>,
        outbox_max_bytes: u64,
        backoff: Backoff,
        data_dir: &Path,
        metrics: &AlertMetrics,
    ) -> Result<(DispatcherHandle, JoinHandle<()>), Error> {
        let mut names = BTreeSet::new();
        let mut lanes = Vec::new();
        for notifier in notifiers {
            let name = notifier.name().to_string();
            if !names.insert(name.clone()) {
                return Err(Error::DuplicateReceiver(name));
            }
            let dir = data_dir.join(OUTBOX_DIR).join(&name);
            let outbox =
                Outbox::open(&dir, outbox_max_bytes).map_err(|source| Error::Outbox { receiver: name, source })?;
            let lane =
                Lane { notifier, outbox: Mutex::new(outbox), dir, wake: Notify::new(), metrics: metrics.clone() };
            lane.publish_depth(&lane.outbox());
            lanes.push(Arc::new(lane));
        }
        let (tx, rx) = watch::channel(false);
        let tasks: Vec<JoinHandle<()>> =
            lanes.iter().map(|lane| tokio::spawn(deliver_loop(Arc::clone(lane), backoff, rx.clone()))).collect();
        let joined = tokio::spawn(async move {
            for task in tasks {
                if let Err(e) = task.await {
                    tracing::error!(error = %e, "alert delivery task ended abnormally");
                }
            }
        });
        Ok((DispatcherHandle { lanes: Arc::new(lanes), shutdown: Arc::new(tx) }, joined))
    }
}

impl DispatcherHandle {
    /// Stores `notice` durably in every receiver's outbox (an fsync per
    /// receiver, no network) and wakes the delivery tasks. A receiver whose
    /// outbox is full or unwritable refuses it: the error names each one,
    /// the others still have it, and `veille_alert_outbox_refused_total`
    /// counts it.
    pub fn enqueue(&self, notice: &AlertNotice) -> Result<(), EnqueueError> {
        let payload = serde_json::to_vec(notice)?;
        let mut refused: Vec<(String, OutboxError)> = Vec::new();
        for lane in self.lanes.iter() {
            let mut outbox = lane.outbox();
            match outbox.push(&payload) {
                Ok(()) => {
                    lane.publish_depth(&outbox);
                    drop(outbox);
                    lane.wake.notify_one();
                }
                Err(e) => {
                    lane.metrics.refused.with_label_values(&[lane.name()]).inc();
                    tracing::error!(receiver = lane.name(), delivery = %notice.delivery_id(), error = %e, "alert notice refused");
                    refused.push((lane.name().to_string(), e));
                }
            }
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(EnqueueError::Refused { delivery: notice.delivery_id(), refused })
        }
    }

    /// The receivers' names.
    pub fn receivers(&self) -> Vec<String> {
        self.lanes.iter().map(|l| l.name().to_string()).collect()
    }

    /// Notices waiting for `receiver` (None for an unknown receiver).
    pub fn depth(&self, receiver: &str) -> Option<usize> {
        self.lanes.iter().find(|l| l.name() == receiver).map(|l| l.outbox().depth())
    }

    /// Stops the delivery tasks: a request in flight finishes (within the
    /// receiver's timeout), waiting notices stay in the outboxes for the
    /// next start.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

/// Delivers one receiver's outbox in order, forever retrying transient failures.
async fn deliver_loop(lane: Arc<Lane>, backoff: Backoff, mut shutdown: watch::Receiver<bool>) {
    let mut attempt: u32 = 0;
    while !*shutdown.borrow() {
        let next = lane.outbox().front().map(<[u8]>::to_vec);
        let Some(payload) = next else {
            tokio::select! {
                () = lane.wake.notified() => {}
                _ = shutdown.changed() => {}
            }
            continue;
        };
        let notice: AlertNotice = match serde_json::from_slice(&payload) {
            Ok(n) => n,
            Err(e) => {
                if !off_thread(&lane, move |lane| set_aside(lane, &payload, None, &format!("unreadable notice: {e}")))
                    .await
                {
                    pause(backoff.max, &mut shutdown).await;
                }
                continue;
            }
        };
        match lane.notifier.send(&notice).await {
            Ok(()) => {
                attempt = 0;
                let m = &lane.metrics;
                m.sent.with_label_values(&[lane.name()]).inc();
                if notice.kind == NoticeKind::Firing {
                    let latency = (Utc::now() - notice.alert.detected_at).num_milliseconds().max(0) as f64 / 1000.0;
                    m.latency.with_label_values(&[lane.name()]).observe(latency);
                }
                off_thread(&lane, ack).await;
            }
            Err(e) if e.is_transient() => {
                lane.metrics.failed.with_label_values(&[lane.name()]).inc();
                let mut delay = backoff.delay(attempt);
                if let crate::error::DeliveryError::Unavailable { retry_after: Some(after), .. } = &e {
                    delay = delay.max(*after).min(backoff.max);
                }
                attempt = attempt.saturating_add(1);
                tracing::warn!(receiver = lane.name(), delivery = %notice.delivery_id(), error = %e, retry_in_ms = delay.as_millis() as u64, "alert delivery failed");
                pause(delay, &mut shutdown).await;
            }
            Err(e) => {
                attempt = 0;
                lane.metrics.failed.with_label_values(&[lane.name()]).inc();
                lane.metrics.rejected.with_label_values(&[lane.name()]).inc();
                let (delivery, reason) = (notice.delivery_id(), e.to_string());
                if !off_thread(&lane, move |lane| set_aside(lane, &payload, Some(delivery), &reason)).await {
                    pause(backoff.max, &mut shutdown).await;
                }
            }
        }
    }
}

/// Runs a step that writes and syncs the outbox's files on the blocking pool, so an fsync never
/// holds up the runtime's worker threads (and the other receivers' deliveries on them).
async fn off_thread<T: Default + Send + 'static>(
    lane: &Arc<Lane>,
    step: impl FnOnce(&Lane) -> T + Send + 'static,
) -> T {
    let lane = lane.clone();
    // A step that panicked left the outbox as it was on disk: the notice is resent.
    tokio::task::spawn_blocking(move || step(&lane)).await.unwrap_or_default()
}

/// Waits `delay`, or less if shutdown is asked.
async fn pause(delay: Duration, shutdown: &mut watch::Receiver<bool>) {
    tokio::select! {
        () = tokio::time::sleep(delay) => {}
        _ = shutdown.changed() => {}
    }
}

/// Marks the front notice delivered; on a disk error, it will be resent.
fn ack(lane: &Lane) {
    let mut outbox = lane.outbox();
    if let Err(e) = outbox.ack_front() {
        tracing::error!(receiver = lane.name(), error = %e, "cannot record an alert delivery; it may be resent");
    }
    lane.publish_depth(&outbox);
}

/// Appends a notice the receiver will never take to `rejected.ndjson`, then
/// moves past it, so one bad notice does not hold back the ones behind it.
/// Returns false when it could not be written (it stays at the front).
fn set_aside(lane: &Lane, payload: &[u8], delivery: Option<String>, reason: &str) -> bool {
    let path = lane.dir.join(REJECTED_FILE);
    let line = serde_json::json!({
        "rejected_at": Utc::now(),
        "receiver": lane.name(),
        "delivery": delivery,
        "reason": reason,
        "notice": serde_json::from_slice::<serde_json::Value>(payload)
            .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(payload).into_owned())),
    });
    let written = OpenOptions::new().create(true).append(true).open(&path).and_then(|mut f| {
        f.write_all(format!("{line}\n").as_bytes())?;
        f.sync_data()
    });
    match written {
        Ok(()) => {
            tracing::error!(receiver = lane.name(), reason, file = %path.display(), "alert notice rejected and set aside");
            ack(lane);
            true
        }
        Err(e) => {
            // Keep it at the front: it is retried rather than lost.
            tracing::error!(receiver = lane.name(), error = %e, file = %path.display(), "cannot set a rejected alert notice aside");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_bounds_with_jitter() {
        let b = Backoff { min: Duration::from_millis(100), max: Duration::from_secs(2) };
        for attempt in 0..40 {
            let ceiling = Duration::from_millis(100 * (1u64 << attempt.min(20))).min(Duration::from_secs(2));
            for _ in 0..20 {
                let d = b.delay(attempt);
                assert!(d >= ceiling / 2 && d <= ceiling, "attempt {attempt}: {d:?}");
            }
        }
    }
}
