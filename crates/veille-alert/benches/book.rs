//! Cost on the pipeline's hot path: keeping a mention for explanations, and
//! opening an explained alert from a window full of mentions.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a benchmark reports a broken setup

use std::hint::black_box;

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use veille_alert::AlertBook;
use veille_config::alerts::AlertsConfig;
use veille_config::signals::Severity;
use veille_model::{Author, Mention, Platform, TermHit, WatchKind, WatchMatch};
use veille_signals::{Evidence, RuleKind, SignalEvent, Transition};

fn mentions(n: usize) -> Vec<Mention> {
    let t0 = Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let author = Author { handle: format!("user{}", i % 300), followers: Some(500), ..Author::default() };
            let text = "Acme just announced a recall of the new model, what a scandal #AcmeRecall";
            let mut m =
                Mention::new(Platform::X, i.to_string(), text, t0 + Duration::milliseconds(i as i64 * 50), author);
            m.url = Some(format!("https://x.com/i/status/{i}"));
            m.tags.push(WatchMatch {
                watch: format!("brand{}", i % 10),
                kind: WatchKind::Brand,
                hits: vec![TermHit { term: "Acme".into(), start: 0, end: 4 }],
            });
            m.tags.push(WatchMatch {
                watch: "crisis".into(),
                kind: WatchKind::Crisis,
                hits: vec![TermHit { term: "recall".into(), start: 24, end: 30 }],
            });
            m
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let ms = mentions(10_000);
    let mut g = c.benchmark_group("alert_book");
    g.throughput(Throughput::Elements(ms.len() as u64));
    g.bench_function("observe", |b| {
        let mut book = AlertBook::new(&AlertsConfig::default());
        b.iter(|| {
            for m in &ms {
                book.observe(black_box(m));
            }
        })
    });
    g.finish();

    let mut book = AlertBook::new(&AlertsConfig::default());
    for m in &ms {
        book.observe(m);
    }
    let last = ms[ms.len() - 1].created_at;
    let event = SignalEvent {
        workspace: "default".into(),
        watch: "brand3".into(),
        rule: RuleKind::VolumeSpike,
        transition: Transition::Fired,
        severity: Severity::Warning,
        at: last - Duration::minutes(1),
        started_at: last - Duration::minutes(1),
        decided_at: last,
        provisional: false,
        evidence: Evidence::Spike {
            value: 256.0,
            baseline: 20.0,
            z: 8.0,
            score: 3.0,
            threshold: 1.8,
            extra_volume: 236.0,
            window_s: 21600,
            novelty: None,
            window_observed: 0.0,
            window_expected: 0.0,
            daily_volume: 0.0,
        },
    };
    c.bench_function("alert_book/fire_and_resolve_with_explanation", |b| {
        b.iter(|| {
            let mut fired = event.clone();
            let n = book.apply(black_box(&fired), last);
            fired.transition = Transition::Resolved;
            black_box((n, book.apply(&fired, last)))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
