//! The signal monitor on simulated streams: spikes, negative surges, key nodes and flat lines.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails
mod common;

use chrono::{DateTime, Duration, Utc};
use common::{daily_rate, mention, start, stream, Noise};
use veille_config::signals::{Severity, SignalsConfig};
use veille_model::{Mention, TermHit, WatchKind, WatchMatch};
use veille_signals::{Evidence, RuleKind, SignalEvent, SignalMonitor, SignalOutput, Transition};

const DAY: i64 = 1440;

fn run(monitor: &mut SignalMonitor, mentions: &[Mention]) -> SignalOutput {
    let mut out = SignalOutput::default();
    for m in mentions {
        monitor.observe(m, &mut out);
    }
    monitor.flush(&mut out);
    out
}

fn events(out: &SignalOutput, rule: RuleKind) -> Vec<&SignalEvent> {
    out.events.iter().filter(|e| e.rule == rule).collect()
}

fn minute(m: i64) -> DateTime<Utc> {
    start() + Duration::minutes(m)
}

#[test]
fn spike_fires_once_without_waiting_for_stragglers_and_resolves_an_hold_period_after_the_burst() {
    let burst = 3 * DAY + 600..3 * DAY + 630;
    let mentions = stream("acme", 2.0, 3 * DAY + 720, 7, |m| if burst.contains(&m) { 8.0 } else { 1.0 });
    let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
    let out = run(&mut monitor, &mentions);

    let spikes = events(&out, RuleKind::VolumeSpike);
    let fired: Vec<_> = spikes.iter().filter(|e| e.transition == Transition::Fired).collect();
    assert_eq!(fired.len(), 1, "three calm days and one burst give one alert: {spikes:#?}");
    let f = fired[0];
    assert!(f.at >= minute(burst.start) && f.at < minute(burst.start + 3), "fired at {}", f.at);
    assert!(f.provisional, "decided when the minute ended, not after the allowed lateness");
    assert_eq!(f.decided_at - f.at, Duration::minutes(1));
    let Evidence::Spike { value, baseline, novelty, window_observed, window_expected, extra_volume, .. } = f.evidence
    else {
        panic!("a spike explains itself with spike evidence: {:?}", f.evidence)
    };
    assert!(value > 3.0 * baseline, "{value} vs {baseline}");
    assert!(novelty.is_some(), "{:?}", f.evidence);
    assert!(extra_volume >= 20.0 && window_observed - window_expected >= 20.0, "{:?}", f.evidence);
    assert_eq!(f.started_at, f.at, "the burst started in the bucket that fired");

    let resolved: Vec<_> = spikes.iter().filter(|e| e.transition == Transition::Resolved).collect();
    assert_eq!(resolved.len(), 1, "{spikes:#?}");
    // One alert while the burst lasts; it resolves once the hold period (an hour) holds no surplus.
    let r = resolved[0].at;
    assert!(
        r >= minute(burst.end) && r <= minute(burst.end + 65),
        "resolved at {r}, burst ended at {}",
        minute(burst.end)
    );
    assert!(events(&out, RuleKind::FlatLine).is_empty());
    assert!(events(&out, RuleKind::NegativeSurge).is_empty(), "the burst keeps the usual share of negatives");
}

#[test]
fn late_mentions_land_in_their_bucket_until_the_lateness_expires() {
    let at = |m: i64, s: i64| start() + Duration::seconds(m * 60 + s);
    let m = |id, t| mention(id, "acme", WatchKind::Brand, t, &format!("a{id}"), None);
    let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
    let mut out = SignalOutput::default();
    for mention in [m(1, at(0, 30)), m(2, at(1, 30)), m(3, at(2, 10)), m(4, at(0, 45)), m(5, at(3, 5)), m(6, at(0, 50))]
    {
        monitor.observe(&mention, &mut out);
    }
    assert_eq!(monitor.late_mentions(), 1, "only the mention after its bucket closed is late");
    let first = out.buckets.iter().find(|b| b.width_s == 60 && b.start == at(0, 0)).expect("the first minute closed");
    assert_eq!(first.stats.mentions, 2, "the straggler within two minutes was counted");
    assert_eq!(first.stats.unique_authors, 2);
    assert_eq!(first.stats.reach, 200);
}

#[test]
fn rollups_add_up_to_their_minutes() {
    let mentions = stream("acme", 3.0, 180, 11, |_| 1.0);
    let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
    let out = run(&mut monitor, &mentions);
    let total = |w: u64| out.buckets.iter().filter(|b| b.width_s == w).map(|b| b.stats.mentions).sum::<u64>();
    assert_eq!(total(60), mentions.len() as u64);
    assert_eq!(total(300), mentions.len() as u64);
    assert_eq!(total(3600), mentions.len() as u64);
    assert_eq!(out.buckets.iter().filter(|b| b.width_s == 3600).count(), 3);
    for hour in out.buckets.iter().filter(|b| b.width_s == 3600) {
        let minutes: Vec<_> = out
            .buckets
            .iter()
            .filter(|b| b.width_s == 60 && b.start >= hour.start && b.start < hour.start + Duration::hours(1))
            .collect();
        assert_eq!(hour.stats.negative, minutes.iter().map(|b| b.stats.negative).sum::<u64>());
        let most = minutes.iter().map(|b| b.stats.unique_authors).max().unwrap_or(0);
        assert!(hour.stats.unique_authors >= most, "an hour has at least the authors of its busiest minute");
    }
}

#[test]
fn flat_line_fires_when_a_busy_watch_goes_silent_and_resolves_when_it_talks_again() {
    let silence = 2 * DAY + 600..2 * DAY + 660;
    let mentions: Vec<_> = stream("acme", 2.0, 2 * DAY + 720, 3, |_| 1.0)
        .into_iter()
        .filter(|m| {
            let minute = (m.created_at - start()).num_minutes();
            !silence.contains(&minute)
        })
        .collect();
    let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
    let mut out = SignalOutput::default();
    let mut next = mentions.iter().peekable();
    // Live mode: the clock advances the watermark every minute, mentions or not.
    for m in 0..2 * DAY + 720 {
        while let Some(mention) = next.next_if(|x| x.created_at < minute(m + 1)) {
            monitor.observe(mention, &mut out);
        }
        monitor.advance_to(minute(m + 1), &mut out);
    }
    let flat = events(&out, RuleKind::FlatLine);
    assert_eq!(flat.len(), 2, "{flat:#?}");
    assert_eq!(flat[0].transition, Transition::Fired);
    assert_eq!(flat[0].at, minute(silence.start + 29), "fires once 30 minutes of silence closed");
    let Evidence::Silence { silent_s, expected } = flat[0].evidence else { panic!("{:?}", flat[0].evidence) };
    assert_eq!(silent_s, 1800);
    assert!(expected >= 20.0, "{expected}");
    assert_eq!(flat[1].transition, Transition::Resolved);
    assert_eq!(flat[1].at, minute(silence.end));
}

#[test]
fn a_negative_key_node_fires_at_once_once_per_author_then_resolves() {
    let mut mentions = stream("acme", 1.0, DAY, 5, |_| 1.0);
    let influencer = |id, m, compound, author: &str| {
        let mut x = mention(id, "acme", WatchKind::Brand, minute(m), author, Some(compound));
        x.scores.key_node = Some(0.93);
        x
    };
    mentions.push(influencer(1, DAY, -0.8, "pundit"));
    mentions.push(influencer(2, DAY + 10, -0.5, "pundit"));
    mentions.push(influencer(3, DAY + 11, 0.7, "fan"));
    mentions.extend(stream("acme", 1.0, DAY + 120, 6, |m| if m < DAY + 1 { 0.0 } else { 1.0 }));
    mentions.sort_by_key(|m| m.created_at);
    let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
    let out = run(&mut monitor, &mentions);
    let k = events(&out, RuleKind::KeyNodeNegative);
    assert_eq!(k.len(), 2, "{k:#?}");
    assert_eq!((k[0].transition, k[0].at), (Transition::Fired, minute(DAY)));
    let Evidence::KeyNode { author, key_node, compound, .. } = &k[0].evidence else { panic!("{:?}", k[0].evidence) };
    assert_eq!((author.as_str(), *key_node, *compound), ("pundit", 0.93, -0.8));
    assert_eq!(k[1].transition, Transition::Resolved);
    assert_eq!(k[1].at, minute(DAY + 60), "resolves when the author's cooldown ends");
}

#[test]
fn a_surge_of_negative_share_fires_without_a_volume_spike() {
    let surge = 2 * DAY + 600..2 * DAY + 660;
    let mut mentions = stream("acme", 2.0, 2 * DAY + 720, 9, |_| 1.0);
    let mut noise = Noise::new(99);
    for m in mentions.iter_mut() {
        let minute = (m.created_at - start()).num_minutes();
        if surge.contains(&minute) && noise.uniform() < 0.8 {
            if let Some(s) = m.scores.sentiment.as_mut() {
                s.compound = -0.7;
                s.label = veille_model::SentimentLabel::Negative;
            }
        }
    }
    let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
    let out = run(&mut monitor, &mentions);
    let fired: Vec<_> =
        events(&out, RuleKind::NegativeSurge).into_iter().filter(|e| e.transition == Transition::Fired).collect();
    assert_eq!(fired.len(), 1, "{:#?}", events(&out, RuleKind::NegativeSurge));
    assert!(fired[0].at >= minute(surge.start) && fired[0].at < minute(surge.start + 15), "{}", fired[0].at);
    let Evidence::Share { value, baseline, .. } = fired[0].evidence else { panic!("{:?}", fired[0].evidence) };
    assert!(value > baseline + 0.15, "{value} vs {baseline}");
    assert!(events(&out, RuleKind::VolumeSpike).is_empty(), "volume stayed normal");
}

#[test]
fn a_burst_of_crisis_terms_fires_the_crisis_rule() {
    let burst = 2 * DAY + 600..2 * DAY + 640;
    let mut mentions = stream("acme", 3.0, 2 * DAY + 720, 13, |_| 1.0);
    let mut noise = Noise::new(5);
    for m in mentions.iter_mut() {
        let minute = (m.created_at - start()).num_minutes();
        let p = if burst.contains(&minute) { 0.5 } else { 0.01 };
        if noise.uniform() < p {
            m.tags.push(WatchMatch {
                watch: "recall".into(),
                kind: WatchKind::Crisis,
                hits: vec![TermHit { term: "recall".into(), start: 0, end: 6 }],
            });
        }
    }
    let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
    let out = run(&mut monitor, &mentions);
    let crisis: Vec<_> = events(&out, RuleKind::CrisisBurst)
        .into_iter()
        .filter(|e| e.transition == Transition::Fired && e.watch == "acme")
        .collect();
    assert_eq!(crisis.len(), 1, "{:#?}", events(&out, RuleKind::CrisisBurst));
    assert!(crisis[0].at >= minute(burst.start) && crisis[0].at < minute(burst.start + 10), "{}", crisis[0].at);
    assert_eq!(monitor.series_count(), 2, "acme and the crisis watch itself");
}

#[test]
fn a_disabled_monitor_stays_silent() {
    let cfg = SignalsConfig { enabled: false, ..SignalsConfig::default() };
    let mut monitor = SignalMonitor::new(&cfg).unwrap();
    let out = run(&mut monitor, &stream("acme", 2.0, 120, 1, |_| 1.0));
    assert!(out.events.is_empty() && out.buckets.is_empty());
    assert_eq!(monitor.series_count(), 0);
}

#[test]
fn invalid_settings_are_refused_with_their_key() {
    let mut cfg = SignalsConfig::default();
    cfg.detector.threshold = 0.0;
    let e = SignalMonitor::new(&cfg).unwrap_err();
    assert_eq!(e.to_string(), "signals.detector.threshold: must be a positive number");
}

#[test]
fn a_jump_in_event_time_is_fast_forwarded_not_filled_minute_by_minute() {
    let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
    let mut out = SignalOutput::default();
    for m in stream("acme", 2.0, 120, 21, |_| 1.0) {
        monitor.observe(&m, &mut out);
    }
    let far = mention(1, "acme", WatchKind::Brand, start() + Duration::days(3650), "late_riser", None);
    monitor.observe(&far, &mut out);
    let closed = out.buckets.iter().filter(|b| b.width_s == 60).count();
    assert!(closed <= 120, "{closed} minute buckets closed: the decade-long gap was skipped");
    assert!(monitor.memory_bytes() < 64 * 1024, "{} bytes", monitor.memory_bytes());
    monitor.flush(&mut out);
    assert!(out.buckets.iter().any(|b| b.start == start() + Duration::days(3650)), "the far mention has its bucket");
}

#[test]
fn a_fresh_monitor_on_a_busy_calm_stream_stays_quiet() {
    // Up to 450 mentions a minute, through the first day of a new deployment.
    let mentions = stream("acme", 150.0, 1440, 31, |_| 1.0);
    let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
    let out = run(&mut monitor, &mentions);
    assert!(out.events.is_empty(), "{:#?}", out.events.iter().map(ToString::to_string).collect::<Vec<_>>());
}

#[test]
fn a_busy_series_raises_nothing_before_a_day_of_history_then_fires_on_a_burst() {
    // A burst ten minutes into a new deployment, and a larger one a day later.
    let early = 10..15;
    let late = DAY + 600..DAY + 605;
    let boost = |m: i64| {
        if early.contains(&m) {
            3.0
        } else if late.contains(&m) {
            8.0
        } else {
            1.0
        }
    };
    let mentions = stream("acme", 150.0, DAY + 700, 17, boost);
    let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
    let out = run(&mut monitor, &mentions);
    let spikes = events(&out, RuleKind::VolumeSpike);
    assert!(spikes.iter().all(|e| e.at >= minute(DAY)), "no alert on a cold baseline: {spikes:#?}");
    assert_eq!(spikes.len(), 2, "{spikes:#?}");
    assert_eq!(
        (spikes[0].transition, spikes[0].at, spikes[0].provisional),
        (Transition::Fired, minute(late.start), true)
    );
    assert_eq!(spikes[1].transition, Transition::Resolved);
}

#[test]
fn a_brand_heard_ten_times_a_day_waits_for_thirty_busy_minutes() {
    // About ten mentions a day; a burst of 40 mentions in ten minutes after a day, and again on day 6.
    // After a day the series has had about fifteen busy minutes, with the burst fewer than thirty.
    let rate = 10.0 / 1440.0 / 2.0;
    let early = DAY + 700..DAY + 710;
    let late = 6 * DAY + 700..6 * DAY + 710;
    let boost = |m: i64| if early.contains(&m) || late.contains(&m) { 4.0 / daily_rate(rate, m % DAY) } else { 1.0 };
    let mentions = stream("acme", rate, 6 * DAY + 900, 23, boost);
    let per_day = mentions.len() as f64 / 6.0;
    assert!((8.0..30.0).contains(&per_day), "{per_day} mentions a day");
    let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
    let out = run(&mut monitor, &mentions);
    let fired: Vec<_> =
        events(&out, RuleKind::VolumeSpike).into_iter().filter(|e| e.transition == Transition::Fired).collect();
    assert_eq!(fired.len(), 1, "{fired:#?}");
    assert!(fired[0].at >= minute(late.start) && fired[0].at < minute(late.end), "{}", fired[0].at);
}

#[test]
fn a_crisis_that_grows_to_matter_escalates_its_warning_to_critical() {
    // A brand heard about 6,000 times a day; for ninety minutes volume triples and most posts carry the crisis term.
    let burst = 3 * DAY + 600..3 * DAY + 690;
    let mut mentions = stream("acme", 2.0, 3 * DAY + 780, 31, |m| if burst.contains(&m) { 3.0 } else { 1.0 });
    let mut noise = Noise::new(8);
    for m in mentions.iter_mut() {
        let minute = (m.created_at - start()).num_minutes();
        let p = if burst.contains(&minute) { 0.8 } else { 0.005 };
        if noise.uniform() < p {
            m.tags.push(WatchMatch {
                watch: "recall".into(),
                kind: WatchKind::Crisis,
                hits: vec![TermHit { term: "recall".into(), start: 0, end: 6 }],
            });
        }
    }
    let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
    let out = run(&mut monitor, &mentions);
    let crisis: Vec<_> = events(&out, RuleKind::CrisisBurst).into_iter().filter(|e| e.watch == "acme").collect();
    let fired: Vec<_> = crisis.iter().filter(|e| e.transition == Transition::Fired).collect();
    assert_eq!(fired.len(), 2, "a fire, then its escalation: {crisis:#?}");
    let (first, escalation) = (fired[0], fired[1]);
    assert!(first.at >= minute(burst.start) && first.at < minute(burst.start + 10), "{}", first.at);
    assert_eq!(first.severity, Severity::Warning, "a few dozen hits are not yet a share of the brand's day");
    assert_eq!(escalation.severity, Severity::Critical);
    assert_eq!(escalation.started_at, first.started_at, "the same surge");
    let Evidence::Spike { extra_volume, daily_volume, .. } = escalation.evidence else { panic!("{escalation:?}") };
    assert!(extra_volume >= 0.1 * daily_volume, "{:?}", escalation.evidence);
    assert_eq!(crisis.iter().filter(|e| e.transition == Transition::Resolved).count(), 1, "{crisis:#?}");
}

#[test]
fn a_calm_stream_with_a_daily_cycle_raises_nothing_in_its_first_days() {
    // A brand heard about 43,000 times a day (30 a minute, 12 to 48 with the time of day), for
    // two and a half days: the second day is judged on a baseline that has seen one cycle only,
    // and 3,600 one-minute buckets give chance many tries at a record.
    for seed in [3, 42, 77] {
        let mentions = stream("acme", 30.0, 2 * DAY + 720, seed, |_| 1.0);
        let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
        let out = run(&mut monitor, &mentions);
        let spikes = events(&out, RuleKind::VolumeSpike);
        assert!(spikes.is_empty(), "seed {seed}: {:#?}", spikes.iter().map(ToString::to_string).collect::<Vec<_>>());
    }
}
