//! The alert lifecycle, driven by signal events, as the on-call manager sees it.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use chrono::Duration;
use common::{key_node, mention, spike, t0};
use veille_alert::{incident_id, AckError, AlertBook, AlertScope, AlertState, NoticeKind};
use veille_config::alerts::AlertsConfig;
use veille_config::signals::Severity;
use veille_signals::Transition;

fn book() -> AlertBook {
    AlertBook::new(&AlertsConfig::default())
}

#[test]
fn a_warning_that_grows_to_matter_escalates_once_and_pages() {
    let mut b = book();
    let mut warning = spike("acme", Transition::Fired, t0(), 60.0);
    warning.severity = Severity::Warning;
    let fired = b.apply(&warning, t0()).expect("a notice");
    assert_eq!(fired.alert.severity, Severity::Warning);

    // The same surge, grown: the alert becomes critical and is notified again (the page).
    let later = t0() + Duration::minutes(20);
    let grown = spike("acme", Transition::Fired, later, 900.0);
    let escalated = b.apply(&grown, later).expect("the escalation is notified");
    assert_eq!((escalated.kind, escalated.sequence), (NoticeKind::Firing, 1));
    assert_eq!(escalated.alert.id, fired.alert.id, "one alert for the surge");
    assert_eq!(escalated.alert.severity, Severity::Critical);
    assert!(escalated.alert.explanation.summary.starts_with("[critical]"), "{}", escalated.alert.explanation.summary);
    // Further fires of the same severity fold in silently.
    assert!(b.apply(&spike("acme", Transition::Fired, later + Duration::minutes(1), 950.0), later).is_none());
    assert_eq!(b.list(AlertScope::Active, None).len(), 1);
}

#[test]
fn a_spike_fires_once_and_resolves_with_the_same_id() {
    let mut b = book();
    let fired = b.apply(&spike("acme", Transition::Fired, t0(), 412.0), t0()).expect("a notice");
    assert_eq!(fired.kind, NoticeKind::Firing);
    assert_eq!(fired.sequence, 0);
    assert_eq!(fired.alert.state, AlertState::Firing);
    assert_eq!(fired.alert.starts_at, t0());

    // The same group firing again (a provisional fire confirmed, a replay) is folded in.
    assert!(b.apply(&spike("acme", Transition::Fired, t0() + Duration::minutes(1), 500.0), t0()).is_none());
    assert_eq!(b.list(AlertScope::Active, None).len(), 1);
    assert_eq!(b.list(AlertScope::Active, None)[0].events, 2);

    let later = t0() + Duration::minutes(30);
    let resolved = b.apply(&spike("acme", Transition::Resolved, later - Duration::minutes(5), 20.0), later).unwrap();
    assert_eq!(resolved.kind, NoticeKind::Resolved);
    assert_eq!(resolved.alert.id, fired.alert.id);
    assert_eq!(resolved.sequence, 1);
    assert_eq!(resolved.alert.ends_at, Some(later - Duration::minutes(5)));
    assert!(resolved.alert.explanation.summary.contains("resolved"), "{}", resolved.alert.explanation.summary);
    assert!(b.list(AlertScope::Active, None).is_empty());

    // A second resolution is a duplicate: ignored and counted.
    assert!(b.apply(&spike("acme", Transition::Resolved, later, 20.0), later).is_none());
    assert_eq!(b.ignored_events(), 1);
}

#[test]
fn groups_are_per_workspace_watch_and_rule() {
    let mut b = book();
    assert!(b.apply(&spike("acme", Transition::Fired, t0(), 400.0), t0()).is_some());
    assert!(b.apply(&spike("globex", Transition::Fired, t0(), 400.0), t0()).is_some());
    assert!(b.apply(&key_node("bigvoice", Transition::Fired, t0()), t0()).is_some(), "another rule, another alert");
    let mut other_ws = spike("acme", Transition::Fired, t0(), 400.0);
    other_ws.workspace = "client-b".into();
    assert!(b.apply(&other_ws, t0()).is_some());
    assert_eq!(b.list(AlertScope::Active, None).len(), 4);
    assert_eq!(b.list(AlertScope::Active, Some("client-b")).len(), 1);
    assert_eq!(b.list(AlertScope::Active, Some("default")).len(), 3);
}

#[test]
fn alerts_raised_close_together_in_a_workspace_share_one_incident() {
    let mut b = book(); // incident_window_s 900
    let first = b.apply(&spike("acme", Transition::Fired, t0(), 400.0), t0()).unwrap().alert;
    let opened = |a: &veille_alert::Alert| incident_id(&a.workspace, a.starts_at);
    assert_eq!(first.incident, opened(&first), "the first alert opens the incident");
    let incident = first.incident.clone();
    // The same crisis trips other watches and rules over the next minutes.
    let at = t0() + Duration::minutes(4);
    let second = b.apply(&spike("recall", Transition::Fired, at, 90.0), at).unwrap().alert;
    let at = t0() + Duration::minutes(17);
    let third = b.apply(&key_node("bigvoice", Transition::Fired, at), at).unwrap().alert;
    assert_eq!((second.incident.as_str(), third.incident.as_str()), (incident.as_str(), incident.as_str()));
    assert_ne!(second.id, first.id);
    // Another workspace has incidents of its own.
    let mut elsewhere = spike("acme", Transition::Fired, at, 400.0);
    elsewhere.workspace = "client-b".into();
    let other = b.apply(&elsewhere, at).unwrap().alert;
    assert_eq!(other.incident, opened(&other));
    assert_ne!(other.incident, incident);

    // Resolutions keep the incident; once nothing of it was raised within the window, a new
    // alert opens a new one.
    let at = t0() + Duration::minutes(20);
    let resolved = b.apply(&spike("acme", Transition::Resolved, at, 20.0), at).unwrap().alert;
    assert_eq!(resolved.incident, incident);
    let later = t0() + Duration::minutes(30);
    let joined = b.apply(&spike("globex", Transition::Fired, later, 300.0), later).unwrap().alert;
    assert_eq!(joined.incident, incident, "13 minutes after the key-node alert, still active");
    let much_later = later + Duration::minutes(16);
    let fresh = b.apply(&spike("initech", Transition::Fired, much_later, 300.0), much_later).unwrap().alert;
    assert_eq!(fresh.incident, opened(&fresh), "16 minutes after the last alert of the incident");
    assert_ne!(fresh.incident, incident);

    // With a window of 0, every alert is its own incident.
    let mut alone = AlertBook::new(&AlertsConfig { incident_window_s: 0, ..AlertsConfig::default() });
    let a = alone.apply(&spike("acme", Transition::Fired, t0(), 400.0), t0()).unwrap().alert;
    let b2 = alone.apply(&spike("recall", Transition::Fired, t0(), 90.0), t0()).unwrap().alert;
    assert_eq!((a.incident == opened(&a), b2.incident == opened(&b2)), (true, true));
}

#[test]
fn alerts_starting_together_name_their_incident_alike_whichever_is_decided_first() {
    // One machine decides the spike first; a signals owner replaying the stream decides the
    // crisis burst first: both name the crisis alike.
    let (mut one, mut other) = (book(), book());
    let spike_first = one.apply(&spike("acme", Transition::Fired, t0(), 400.0), t0()).unwrap().alert;
    let then_recall = one.apply(&spike("recall", Transition::Fired, t0(), 90.0), t0()).unwrap().alert;
    let recall_first = other.apply(&spike("recall", Transition::Fired, t0(), 90.0), t0()).unwrap().alert;
    let then_spike = other.apply(&spike("acme", Transition::Fired, t0(), 400.0), t0()).unwrap().alert;
    assert_ne!(spike_first.id, recall_first.id);
    let incidents = [&spike_first, &then_recall, &recall_first, &then_spike].map(|a| a.incident.clone());
    assert!(incidents.iter().all(|i| *i == incident_id("default", t0())), "{incidents:?}");
}

#[test]
fn a_key_node_alert_resolves_only_when_every_author_did() {
    let mut b = book();
    assert!(b.apply(&key_node("ann", Transition::Fired, t0()), t0()).is_some());
    assert!(b.apply(&key_node("bob", Transition::Fired, t0() + Duration::minutes(2)), t0()).is_none());
    assert!(b.apply(&key_node("ann", Transition::Resolved, t0() + Duration::hours(6)), t0()).is_none());
    assert_eq!(b.list(AlertScope::Active, None)[0].state, AlertState::Firing);
    let done = b.apply(&key_node("bob", Transition::Resolved, t0() + Duration::hours(7)), t0()).unwrap();
    assert_eq!(done.kind, NoticeKind::Resolved);
}

#[test]
fn an_unacknowledged_alert_is_renotified_and_an_ack_stops_it() {
    let cfg = AlertsConfig { renotify_s: 600, ..AlertsConfig::default() };
    let mut b = AlertBook::new(&cfg);
    let fired = b.apply(&spike("acme", Transition::Fired, t0(), 400.0), t0()).unwrap();
    assert!(b.tick(t0() + Duration::seconds(599)).is_empty());
    let again = b.tick(t0() + Duration::seconds(600));
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].kind, NoticeKind::Renotify);
    assert_eq!(again[0].sequence, 1);
    assert!(b.tick(t0() + Duration::seconds(900)).is_empty(), "the interval counts from the last notice");

    let acked = b.ack(&fired.alert.id, "  marie  ", t0() + Duration::seconds(1000)).unwrap();
    assert_eq!(acked.ack.as_ref().map(|a| a.by.as_str()), Some("marie"));
    assert!(b.tick(t0() + Duration::hours(5)).is_empty(), "acknowledged alerts are not renotified");
    let resolved =
        b.apply(&spike("acme", Transition::Resolved, t0() + Duration::hours(5), 10.0), t0() + Duration::hours(5));
    assert_eq!(resolved.unwrap().alert.ack.unwrap().by, "marie", "the resolution is still notified");

    assert_eq!(b.ack(&fired.alert.id, "marie", t0()), Err(AckError::Resolved(fired.alert.id.clone())));
    assert_eq!(b.ack("nope", "marie", t0()), Err(AckError::Unknown("nope".into())));
    assert!(matches!(b.ack(&fired.alert.id, " ", t0()), Err(AckError::Anonymous)));
}

#[test]
fn a_pending_alert_fires_after_the_wait_and_a_flap_is_never_notified() {
    let cfg = AlertsConfig { pending_s: 60, ..AlertsConfig::default() };
    let mut b = AlertBook::new(&cfg);
    assert!(b.apply(&spike("acme", Transition::Fired, t0(), 400.0), t0()).is_none());
    assert_eq!(b.list(AlertScope::Active, None)[0].state, AlertState::Pending);
    assert!(b.tick(t0() + Duration::seconds(59)).is_empty());
    let fired = b.tick(t0() + Duration::seconds(60));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].kind, NoticeKind::Firing);

    // A provisional fire whose final counts do not hold: fired then resolved within the wait.
    assert!(b.apply(&spike("globex", Transition::Fired, t0(), 400.0), t0()).is_none());
    assert!(b.apply(&spike("globex", Transition::Resolved, t0(), 10.0), t0() + Duration::seconds(30)).is_none());
    let history = b.list(AlertScope::History, None);
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].notifications, 0);
    assert!(b.tick(t0() + Duration::hours(1)).iter().all(|n| n.alert.watch == "acme"));
}

#[test]
fn history_is_bounded_newest_first() {
    let cfg = AlertsConfig { history_size: 3, ..AlertsConfig::default() };
    let mut b = AlertBook::new(&cfg);
    for i in 0..5 {
        let at = t0() + Duration::hours(i);
        b.apply(&spike("acme", Transition::Fired, at, 400.0), at).unwrap();
        b.apply(&spike("acme", Transition::Resolved, at + Duration::minutes(10), 10.0), at).unwrap();
    }
    let history = b.list(AlertScope::History, None);
    let starts: Vec<_> = history.iter().map(|a| a.starts_at).collect();
    assert_eq!(starts, vec![t0() + Duration::hours(4), t0() + Duration::hours(3), t0() + Duration::hours(2)]);
    assert!(b.get(&history[0].id).is_some());
}

#[test]
fn an_alert_explains_itself_with_terms_authors_examples_and_platforms() {
    let mut b = book();
    // Calm chatter, then a burst of complaints about a recall, one by an influential account.
    for i in 0..20 {
        let at = t0() - Duration::minutes(10) + Duration::seconds(i * 20);
        b.observe(&mention(i, at, &format!("fan{i}"), "Acme is fine #monday", &[]));
    }
    for i in 0..40u64 {
        let at = t0() + Duration::seconds(i as i64);
        let author = if i % 4 == 0 { "angry_anna".to_string() } else { format!("user{i}") };
        let mut m = mention(100 + i, at, &author, "Acme recall, this is a scandal #AcmeRecall", &["recall", "scandal"]);
        if i == 7 {
            m.author.handle = "newsdesk".into();
            m.author.followers = Some(250_000);
            m.scores.key_node = Some(0.91);
        }
        b.observe(&m);
    }
    let notice = b.apply(&spike("acme", Transition::Fired, t0(), 40.0), t0() + Duration::minutes(1)).unwrap();
    let e = &notice.alert.explanation;

    let terms: Vec<(&str, u32)> = e.top_terms.iter().map(|t| (t.term.as_str(), t.mentions)).collect();
    assert_eq!(&terms[..3], &[("#AcmeRecall", 40), ("recall", 40), ("scandal", 40)]);
    assert!(!terms.iter().any(|(t, _)| *t == "Acme"), "the watch's own name tells nothing");
    assert!(terms.iter().any(|(t, n)| *t == "#monday" && *n == 20), "{terms:?}");

    assert_eq!(e.top_authors[0].handle, "angry_anna");
    assert_eq!(e.top_authors[0].mentions, 10);
    assert_eq!(e.top_authors[1].handle, "newsdesk", "at equal counts, influence first");
    assert_eq!(e.top_authors[1].key_node, Some(0.91));

    assert_eq!(e.examples.len(), 3);
    assert_eq!(e.examples[0].author, "newsdesk", "negative and most influential first");
    assert_eq!(e.examples[0].url.as_deref(), Some("https://x.com/i/status/107"));
    let authors: std::collections::BTreeSet<_> = e.examples.iter().map(|x| &x.author).collect();
    assert_eq!(authors.len(), 3, "one example per author");

    assert_eq!(e.platforms.len(), 1);
    assert_eq!(e.platforms[0].mentions, 60);
    assert_eq!(e.sampled_mentions, 60);

    assert!(e.summary.starts_with("[critical] default/acme: volume spike: 40 mentions"), "{}", e.summary);
    for needle in [
        "baseline of 18.0",
        "Top terms: #AcmeRecall (40)",
        "@newsdesk ×1 (influence 0.91, 250000 followers)",
        "Platforms: x 100%",
        "https://x.com/i/status/107",
    ] {
        assert!(e.description.contains(needle), "missing {needle:?} in\n{}", e.description);
    }
}

#[test]
fn a_key_node_alert_shows_the_post_first() {
    let mut b = book();
    b.observe(&mention("bigvoice-post", t0(), "bigvoice", "Acme lied to us", &["lied"]));
    b.observe(&mention(6, t0(), "other", "Acme recall", &["recall"]));
    let n = b.apply(&key_node("bigvoice", Transition::Fired, t0()), t0()).unwrap();
    let first = &n.alert.explanation.examples[0];
    assert_eq!(first.key, "x:bigvoice-post");
    assert_eq!(first.excerpt, "Acme lied to us");
    assert!(n.alert.explanation.summary.contains("@bigvoice (key node 0.93)"), "{}", n.alert.explanation.summary);
}

#[test]
fn a_burst_that_simmered_before_the_volume_jumped_joins_the_volume_alert_incident() {
    let mut b = book(); // incident_window_s 900
    let at = t0() + Duration::minutes(40);
    let volume = b.apply(&spike("acme", Transition::Fired, at, 400.0), at).unwrap().alert;
    // Crisis words trickled in for half an hour, then surged with the volume: detected together.
    let mut simmered = spike("acme-crisis", Transition::Fired, at, 90.0);
    simmered.started_at = t0() + Duration::minutes(8);
    let burst = b.apply(&simmered, at).unwrap().alert;
    assert!(volume.starts_at - burst.starts_at > Duration::minutes(15), "{burst:?}");
    assert_eq!(burst.incident, volume.incident, "detected in the same minute: one incident");
}
