//! From mentions to alerts: the signals monitor and the book together.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use chrono::Duration;
use common::{mention, t0};
use veille_alert::{AlertBook, AlertScope, NoticeKind};
use veille_config::{alerts::AlertsConfig, signals::SignalsConfig};
use veille_signals::{RuleKind, SignalMonitor, SignalOutput};

#[test]
fn a_crisis_burst_after_two_calm_days_raises_one_explained_alert_that_resolves() {
    let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
    let mut book = AlertBook::new(&AlertsConfig::default());
    let mut out = SignalOutput::default();
    let mut notices = Vec::new();
    let start = t0() - Duration::days(2);
    let mut id = 0u64;
    // Two calm days at three mentions a minute, a ten-minute burst of sixty
    // a minute about a recall, then an hour of calm.
    for minute in 0..(2 * 1440 + 70) {
        let burst = (2 * 1440..2 * 1440 + 10).contains(&minute);
        let n = if burst { 60 } else { 3 };
        for k in 0..n {
            id += 1;
            let at = start + Duration::seconds(minute * 60 + k);
            let m = if burst {
                mention(id, at, &format!("user{}", id % 97), "Acme recall, never again #AcmeRecall", &["recall"])
            } else {
                mention(id, at, &format!("user{}", id % 500), "using Acme today", &[])
            };
            book.observe(&m);
            monitor.observe(&m, &mut out);
            for e in out.events.drain(..) {
                notices.extend(book.apply(&e, at));
            }
        }
    }
    monitor.flush(&mut out);
    for e in out.events.drain(..) {
        notices.extend(book.apply(&e, t0() + Duration::hours(2)));
    }

    let volume: Vec<_> =
        notices.iter().filter(|n| n.alert.rule == RuleKind::VolumeSpike && n.alert.watch == "acme").collect();
    let kinds: Vec<NoticeKind> = volume.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, [NoticeKind::Firing, NoticeKind::Resolved], "{notices:#?}");
    let alert = &volume[0].alert;
    assert_eq!(alert.starts_at, t0());
    assert_eq!(volume[1].alert.id, alert.id);
    assert!(volume[1].alert.ends_at.unwrap() > t0() + Duration::minutes(10));
    let e = &alert.explanation;
    assert_eq!(e.top_terms[0].term, "#AcmeRecall");
    assert_eq!(e.top_terms[1].term, "recall");
    assert!(e.examples.iter().all(|x| x.excerpt.contains("recall")), "{:#?}", e.examples);
    assert!(book.list(AlertScope::Active, None).iter().all(|a| a.rule != RuleKind::VolumeSpike));
}
