//! An alert's life: raised from a signal event, explained, queued durably for
//! a webhook that is not answering, resolved, and kept in the history.
//!
//! Run with `cargo run -p veille-alert --example alert_lifecycle`.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use std::time::Duration;

use chrono::{TimeZone, Utc};
use veille_alert::{AlertBook, AlertMetrics, AlertScope, Dispatcher};
use veille_config::alerts::{AlertsConfig, WebhookReceiver};
use veille_config::signals::Severity;
use veille_model::{Author, Mention, Platform, TermHit, WatchKind, WatchMatch};
use veille_signals::{Evidence, RuleKind, SignalEvent, Transition};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A webhook on a loopback port nobody listens on: deliveries fail and are
    // retried, while every notice waits safely in the outbox.
    let config = AlertsConfig {
        webhook: vec![WebhookReceiver {
            name: Some("ops".into()),
            url: "http://127.0.0.1:9/hooks/veille".into(),
            secret: "change me".into(),
            timeout_ms: 500,
        }],
        ..AlertsConfig::default()
    };
    let data_dir = std::env::temp_dir().join(format!("veille-alert-example-{}", std::process::id()));
    let metrics = AlertMetrics::register(prometheus::default_registry())?;
    let (dispatcher, delivery) = Dispatcher::start(&config, &data_dir, &metrics)?;
    let mut book = AlertBook::new(&config).with_metrics(metrics);

    // The book keeps recent mentions of each watch, so alerts can quote them.
    let burst = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().ok_or("bad date")?;
    for i in 0..12 {
        let author = Author { handle: format!("customer{}", i % 4), followers: Some(120), ..Author::default() };
        let mut m =
            Mention::new(Platform::Mastodon, i.to_string(), "Acme recall? My order is stuck #AcmeFail", burst, author);
        m.url = Some(format!("https://mastodon.example/@customer/{i}"));
        m.tags.push(WatchMatch { watch: "acme".into(), kind: WatchKind::Brand, hits: vec![] });
        m.tags.push(WatchMatch {
            watch: "crisis".into(),
            kind: WatchKind::Crisis,
            hits: vec![TermHit { term: "recall".into(), start: 5, end: 11 }],
        });
        book.observe(&m);
    }

    // The signals crate reports a volume spike on the watch...
    let mut event = SignalEvent {
        workspace: "default".into(),
        watch: "acme".into(),
        rule: RuleKind::VolumeSpike,
        transition: Transition::Fired,
        severity: Severity::Critical,
        at: burst,
        started_at: burst,
        decided_at: burst + chrono::Duration::minutes(1),
        provisional: true,
        evidence: Evidence::Spike {
            value: 12.0,
            baseline: 1.5,
            z: 6.1,
            score: 2.4,
            threshold: 1.8,
            extra_volume: 10.5,
            window_s: 21600,
            novelty: None,
            window_observed: 0.0,
            window_expected: 0.0,
            daily_volume: 0.0,
        },
    };
    // ...which raises an alert that explains itself.
    if let Some(notice) = book.apply(&event, Utc::now()) {
        println!("{}\n\n{}\n", notice.alert.explanation.summary, notice.alert.explanation.description);
        dispatcher.enqueue(&notice)?;
    }

    // The spike ends: the alert resolves, and that is notified too.
    event.transition = Transition::Resolved;
    event.at = burst + chrono::Duration::minutes(15);
    if let Evidence::Spike { value, .. } = &mut event.evidence {
        *value = 2.0;
    }
    if let Some(notice) = book.apply(&event, Utc::now()) {
        println!("{}", notice.alert.explanation.summary);
        dispatcher.enqueue(&notice)?;
    }

    tokio::time::sleep(Duration::from_millis(300)).await;
    println!(
        "\nwaiting in the outbox for `ops`: {} notices (resent after a restart until the receiver takes them)",
        dispatcher.depth("ops").unwrap_or(0)
    );
    println!("history: {} resolved alert(s)", book.list(AlertScope::History, None).len());

    dispatcher.shutdown();
    delivery.await?;
    std::fs::remove_dir_all(&data_dir)?;
    Ok(())
}
