//! Alert metrics, `veille_alert_*`.

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

/// The alert metrics, registered once in a [`Registry`] and shared (cheap to
/// clone) by the [`crate::AlertBook`] and the [`crate::Dispatcher`].
#[derive(Debug, Clone)]
pub struct AlertMetrics {
    pub(crate) fired: IntCounterVec,
    pub(crate) sent: IntCounterVec,
    pub(crate) failed: IntCounterVec,
    pub(crate) rejected: IntCounterVec,
    pub(crate) refused: IntCounterVec,
    pub(crate) depth: IntGaugeVec,
    pub(crate) bytes: IntGaugeVec,
    pub(crate) latency: HistogramVec,
    pub(crate) delay: HistogramVec,
}

impl AlertMetrics {
    /// Creates the metrics and registers them in `registry` (for the
    /// `/metrics` endpoint, `prometheus::default_registry()`).
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str, label: &str| IntCounterVec::new(Opts::new(name, help), &[label]);
        let gauge = |name: &str, help: &str| IntGaugeVec::new(Opts::new(name, help), &["receiver"]);
        let m = AlertMetrics {
            fired: counter("veille_alert_fired_total", "Alerts that started firing, by rule", "rule")?,
            sent: counter("veille_alert_notifications_sent_total", "Notifications a receiver accepted", "receiver")?,
            failed: counter(
                "veille_alert_notification_failures_total",
                "Delivery attempts that failed (each is retried, or set aside when rejected)",
                "receiver",
            )?,
            rejected: counter(
                "veille_alert_notifications_rejected_total",
                "Notifications a receiver refused for good (4xx), set aside in rejected.ndjson",
                "receiver",
            )?,
            refused: counter(
                "veille_alert_outbox_refused_total",
                "Notifications refused because the receiver's outbox was full or unwritable",
                "receiver",
            )?,
            depth: gauge("veille_alert_outbox_depth", "Notifications waiting in the receiver's outbox")?,
            bytes: gauge("veille_alert_outbox_bytes", "Bytes of notifications waiting in the receiver's outbox")?,
            latency: HistogramVec::new(
                HistogramOpts::new(
                    "veille_alert_detection_latency_seconds",
                    "From the event time the rule decided on to a receiver accepting the first notification",
                )
                .buckets(vec![0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0]),
                &["receiver"],
            )?,
            delay: HistogramVec::new(
                HistogramOpts::new(
                    "veille_alert_detection_delay_seconds",
                    "From the start of an alert's condition (the first bucket of a surge) to the data that fired it, in event time, by rule",
                )
                .buckets(vec![0.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0]),
                &["rule"],
            )?,
        };
        registry.register(Box::new(m.fired.clone()))?;
        registry.register(Box::new(m.sent.clone()))?;
        registry.register(Box::new(m.failed.clone()))?;
        registry.register(Box::new(m.rejected.clone()))?;
        registry.register(Box::new(m.refused.clone()))?;
        registry.register(Box::new(m.depth.clone()))?;
        registry.register(Box::new(m.bytes.clone()))?;
        registry.register(Box::new(m.latency.clone()))?;
        registry.register(Box::new(m.delay.clone()))?;
        Ok(m)
    }
}
