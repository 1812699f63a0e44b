//! Every aggregation on a small index whose answers are worked out by hand.
//!
//! Baseline week (Jan 1–7): four mentions, three of Acme. Period week (Jan 8–14): six
//! mentions, a refund complaint with #boycott about Acme on Jan 8, one Globex, one French
//! Acme post, one unscored Initech post. Another workspace holds a mention that must never count.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use veille_model::{Author, Checkpoint, Mention, Platform, Sentiment, SentimentLabel, WatchKind, WatchMatch};

use super::ordered::PAGE;
use super::*;
use crate::MentionIndex;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, day, hour, 0, 0).single().unwrap_or_default()
}

struct Post<'a> {
    id: &'a str,
    when: DateTime<Utc>,
    text: &'a str,
    author: &'a str,
    followers: u64,
    lang: Option<&'a str>,
    watches: &'a [(&'a str, WatchKind)],
    sentiment: Option<f64>,
    likes: u64,
    key_node: Option<f64>,
}

fn mention(p: &Post) -> Mention {
    let author = Author { handle: p.author.into(), followers: Some(p.followers), ..Default::default() };
    let mut m = Mention::new(Platform::X, p.id, p.text, p.when, author);
    m.lang = p.lang.map(|l| l.to_string().into());
    m.tags = p.watches.iter().map(|(w, kind)| WatchMatch { watch: (*w).into(), kind: *kind, hits: vec![] }).collect();
    m.scores.sentiment = p.sentiment.map(|compound| Sentiment {
        label: SentimentLabel::from_compound(compound),
        compound,
        positive: 0.0,
        neutral: 0.0,
        negative: 0.0,
        lang: None,
        scorer: "fixture".into(),
        brands: vec![],
    });
    m.scores.key_node = p.key_node;
    m.engagement.likes = p.likes;
    m
}

const BRAND: (&str, WatchKind) = ("acme", WatchKind::Brand);
const CRISIS: (&str, WatchKind) = ("boycott", WatchKind::Crisis);
const GLOBEX: (&str, WatchKind) = ("globex", WatchKind::Competitor);
const INITECH: (&str, WatchKind) = ("initech", WatchKind::Competitor);

fn posts() -> Vec<Post<'static>> {
    let p = |id, when, text, author, followers, lang, watches, sentiment, likes, key_node| Post {
        id,
        when,
        text,
        author,
        followers,
        lang,
        watches,
        sentiment,
        likes,
        key_node,
    };
    vec![
        p("1", at(2, 10), "Acme flight was great #travel", "ann", 1000, Some("en"), &[BRAND], Some(0.6), 10, Some(0.2)),
        p("2", at(3, 10), "Globex lounge is nice #travel", "bob", 50, Some("en"), &[GLOBEX], Some(0.4), 1, None),
        p("3", at(4, 10), "Acme delayed again #travel", "carl", 200, Some("en"), &[BRAND], Some(-0.5), 3, None),
        p("4", at(5, 10), "Acme service ok", "ann", 1000, Some("en"), &[BRAND], Some(0.0), 0, None),
        p(
            "5",
            at(8, 9),
            "Acme refund refused #boycott",
            "dan",
            5000,
            Some("en"),
            &[BRAND, CRISIS],
            Some(-0.8),
            100,
            Some(0.9),
        ),
        p(
            "6",
            at(8, 12),
            "Acme refund denied #boycott #acme",
            "eve",
            300,
            Some("en"),
            &[BRAND, CRISIS],
            Some(-0.6),
            40,
            None,
        ),
        p(
            "7",
            at(8, 15),
            "Acme refund still waiting #boycott",
            "ann",
            1000,
            Some("en"),
            &[BRAND, CRISIS],
            Some(-0.4),
            5,
            None,
        ),
        p("8", at(9, 10), "Globex refund was quick #travel", "bob", 50, Some("en"), &[GLOBEX], Some(0.7), 20, None),
        p("9", at(10, 10), "Acme merci pour le vol", "fay", 80, Some("fr"), &[BRAND], Some(0.5), 8, None),
        p("10", at(11, 10), "Initech lounge", "gus", 10, None, &[INITECH], None, 0, None),
    ]
}

/// The fixture index, written in two commits so that it has several segments.
fn fixture() -> (tempfile::TempDir, MentionIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = MentionIndex::open(dir.path()).unwrap();
    let mut writer = index.writer(&Default::default()).unwrap();
    for (i, p) in posts().iter().enumerate() {
        writer.upsert(&mention(p)).unwrap();
        if i == 4 {
            writer.commit(&Checkpoint::default()).unwrap();
        }
    }
    let mut intruder = mention(&posts()[4]);
    intruder =
        Mention::new(Platform::Bluesky, "99", intruder.text.clone(), intruder.created_at, intruder.author.clone());
    intruder.workspace = "other".into();
    intruder.tags = vec![WatchMatch { watch: "acme".into(), kind: WatchKind::Brand, hits: vec![] }];
    writer.upsert(&intruder).unwrap();
    writer.commit(&Checkpoint::default()).unwrap();
    index.reload().unwrap();
    (dir, index)
}

fn period() -> Scope {
    Scope::new("default", "").between(Some(at(8, 0)), Some(at(15, 0)))
}

#[test]
fn sentiment_counts_labels_and_unscored_mentions_of_the_period() {
    let (_dir, index) = fixture();
    let s = index.sentiment(&period(), Some("1d")).unwrap();
    assert_eq!(s.total, 6);
    assert_eq!(s.counts, SentimentCounts { positive: 2, neutral: 0, negative: 3, unscored: 1 });
    assert!((s.net_sentiment + 20.0).abs() < 1e-9, "{}", s.net_sentiment);
    assert!((s.shares.negative - 60.0).abs() < 1e-9);
    let mean = s.mean_compound.unwrap();
    assert!((mean - (-0.8 - 0.6 - 0.4 + 0.7 + 0.5) / 5.0).abs() < 1e-9, "{mean}");
    let days: Vec<(u32, u64, u64)> =
        s.trend.iter().map(|b| (chrono::Datelike::day(&b.start), b.total, b.negative)).collect();
    assert_eq!(days, vec![(8, 3, 3), (9, 1, 0), (10, 1, 0), (11, 1, 0)]);
}

#[test]
fn share_of_voice_compares_brands_and_competitors_only() {
    let (_dir, index) = fixture();
    let sov = index
        .share_of_voice(&ShareOfVoiceRequest { scope: period(), watches: None, interval: Some("1d".into()) })
        .unwrap();
    let shares: Vec<(&str, Option<WatchKind>, u64)> =
        sov.watches.iter().map(|w| (w.watch.as_str(), w.kind, w.count)).collect();
    assert_eq!(
        shares,
        vec![
            ("acme", Some(WatchKind::Brand), 4),
            ("globex", Some(WatchKind::Competitor), 1),
            ("initech", Some(WatchKind::Competitor), 1)
        ]
    );
    assert_eq!(sov.total, 6);
    let acme = sov.share_of("acme").unwrap();
    assert!((acme.share - 200.0 / 3.0).abs() < 1e-9);
    assert_eq!((acme.sentiment.positive, acme.sentiment.negative), (1, 3));
    assert!((acme.sentiment.net_sentiment + 50.0).abs() < 1e-9);
    let jan8 = &sov.trend[0];
    assert_eq!(jan8.counts.get("acme"), Some(&3));
    assert!(!jan8.counts.contains_key("boycott"));
    assert!((jan8.shares["acme"] - 100.0).abs() < 1e-9);
}

#[test]
fn share_of_voice_takes_the_watches_asked_for() {
    let (_dir, index) = fixture();
    let req =
        ShareOfVoiceRequest { scope: period(), watches: Some(vec!["boycott".into(), "Globex".into()]), interval: None };
    let sov = index.share_of_voice(&req).unwrap();
    let names: Vec<&str> = sov.watches.iter().map(|w| w.watch.as_str()).collect();
    assert_eq!(names, vec!["boycott", "globex"]);
    assert_eq!(sov.watches[0].kind, Some(WatchKind::Crisis));
    assert!((sov.watches[0].share - 75.0).abs() < 1e-9);
}

#[test]
fn hashtags_new_in_the_period_are_significant_and_old_ones_are_not() {
    let (_dir, index) = fixture();
    let req = SignificantTermsRequest::new("default", "", at(8, 0), at(15, 0), TermField::Hashtags);
    assert_eq!((req.baseline_from, req.baseline_to), (at(1, 0), at(8, 0)));
    let t = index.significant_terms(&req).unwrap();
    assert_eq!((t.period.total, t.baseline.total), (6, 4));
    let found: Vec<(&str, u64, u64)> = t.terms.iter().map(|t| (t.term.as_str(), t.count, t.baseline_count)).collect();
    assert_eq!(found, vec![("boycott", 3, 0)]);
    assert!(t.terms[0].score > 0.0);
    assert!((t.terms[0].share - 50.0).abs() < 1e-9);
}

#[test]
fn words_of_the_refund_complaint_top_the_significant_terms() {
    let (_dir, index) = fixture();
    let req = SignificantTermsRequest::new("default", "", at(8, 0), at(15, 0), TermField::Text);
    let t = index.significant_terms(&req).unwrap();
    let found: Vec<(&str, u64, u64)> =
        t.terms.iter().take(2).map(|t| (t.term.as_str(), t.count, t.baseline_count)).collect();
    assert_eq!(found, vec![("refund", 4, 0), ("boycott", 3, 0)]);
    // "acme" is in 4 of 6 mentions now against 3 of 4 before: less frequent, so not listed.
    assert!(t.terms.iter().all(|t| t.term != "acme"));
}

#[test]
fn top_authors_rank_by_mentions_engagement_or_key_node() {
    let (_dir, index) = fixture();
    let all = Scope::new("default", "");
    let by_mentions = index.top_authors(&all, AuthorOrder::Mentions, 2).unwrap();
    assert_eq!((by_mentions[0].author.as_str(), by_mentions[0].mentions), ("ann", 3));
    assert_eq!((by_mentions[1].author.as_str(), by_mentions[1].mentions), ("bob", 2));
    assert_eq!((by_mentions[0].engagement, by_mentions[0].followers), (15, 1000));
    let by_engagement = index.top_authors(&all, AuthorOrder::Engagement, 3).unwrap();
    let names: Vec<(&str, u64)> = by_engagement.iter().map(|a| (a.author.as_str(), a.engagement)).collect();
    assert_eq!(names, vec![("dan", 100), ("eve", 40), ("bob", 21)]);
    let by_key_node = index.top_authors(&all, AuthorOrder::KeyNode, 2).unwrap();
    let names: Vec<(&str, Option<f64>)> = by_key_node.iter().map(|a| (a.author.as_str(), a.max_key_node)).collect();
    assert_eq!(names, vec![("dan", Some(0.9)), ("ann", Some(0.2))]);
}

#[test]
fn languages_break_down_with_the_missing_ones_counted() {
    let (_dir, index) = fixture();
    let b = index.breakdown(&Scope::new("default", ""), BreakdownField::Lang, 10).unwrap();
    let values: Vec<(&str, u64)> = b.values.iter().map(|v| (v.value.as_str(), v.count)).collect();
    assert_eq!(values, vec![("en", 8), ("fr", 1)]);
    assert_eq!((b.total, b.missing), (10, 1));
    let kinds = index.breakdown(&period(), BreakdownField::WatchKind, 10).unwrap();
    let values: Vec<(&str, u64)> = kinds.values.iter().map(|v| (v.value.as_str(), v.count)).collect();
    assert_eq!(values, vec![("brand", 4), ("crisis", 3), ("competitor", 2)]);
}

#[test]
fn most_engaging_mentions_come_first_and_stay_in_the_workspace() {
    let (_dir, index) = fixture();
    let top = index.most_engaging(&period().and("sentiment:negative"), 2).unwrap();
    let keys: Vec<&str> = top.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, vec!["x:5", "x:6"]);
    assert_eq!(top[0].engagement, 100);
}

#[test]
fn audit_summarises_a_brand_against_the_previous_period() {
    let (_dir, index) = fixture();
    let audit = index.audit(&AuditRequest::new("default", "Acme", at(8, 0), at(15, 0))).unwrap();
    assert_eq!(audit.watch, "acme");
    assert_eq!((audit.volume.count, audit.volume.previous), (4, 3));
    assert!((audit.volume.change_pct.unwrap() - 100.0 / 3.0).abs() < 1e-9);
    assert_eq!(audit.sentiment.counts, SentimentCounts { positive: 1, neutral: 0, negative: 3, unscored: 0 });
    assert_eq!(audit.peak_day.map(|p| (p.day, p.count)), Some((at(8, 0), 3)));
    assert_eq!(audit.share_of_voice.share_of("acme").map(|w| w.count), Some(4));
    // Among Acme's mentions "refund" and "boycott" are equally new (3 of 4 against 0 of 3): a tie, by name.
    let words: Vec<(&str, u64, u64)> =
        audit.terms.iter().take(2).map(|t| (t.term.as_str(), t.count, t.baseline_count)).collect();
    assert_eq!(words, vec![("boycott", 3, 0), ("refund", 3, 0)]);
    assert_eq!(audit.hashtags.first().map(|t| t.term.as_str()), Some("boycott"));
    let negative: Vec<&str> = audit.top_negative.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(negative, vec!["x:5", "x:6", "x:7"]);
    let positive: Vec<&str> = audit.top_positive.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(positive, vec!["x:9"]);
    assert_eq!(audit.authors.len(), 4);
}

#[test]
fn time_order_visits_every_mention_once_oldest_first() {
    let (_dir, index) = fixture();
    let mut keys = Vec::new();
    let n = index
        .for_each_in_time_order(&Scope::new("default", ""), |m| {
            keys.push(m.key().to_string());
            true
        })
        .unwrap();
    assert_eq!(n, 10);
    let expected: Vec<String> = (1..=10).map(|i| format!("x:{i}")).collect();
    assert_eq!(keys, expected);
}

#[test]
fn time_order_pages_through_mentions_sharing_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let index = MentionIndex::open(dir.path()).unwrap();
    let mut writer = index.writer(&Default::default()).unwrap();
    let count = PAGE * 2 + 7;
    for i in 0..count {
        // Three distinct seconds only: most pages start and end inside a run of equal times.
        let when = at(3, 0) + chrono::TimeDelta::seconds((i % 3) as i64);
        let m = Mention::new(
            Platform::X,
            i.to_string(),
            "same second",
            when,
            Author { handle: "a".into(), ..Default::default() },
        );
        writer.upsert(&m).unwrap();
        if i % 500 == 0 {
            writer.commit(&Checkpoint::default()).unwrap();
        }
    }
    writer.commit(&Checkpoint::default()).unwrap();
    index.reload().unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut last = None;
    let n = index
        .for_each_in_time_order(&Scope::new("default", ""), |m| {
            assert!(last.is_none_or(|l| l <= m.created_at), "out of order");
            last = Some(m.created_at);
            assert!(seen.insert(m.key().to_string()), "visited twice: {}", m.key());
            true
        })
        .unwrap();
    assert_eq!(n as usize, count);
    assert_eq!(seen.len(), count);
}

#[test]
fn bad_intervals_and_limits_are_refused_with_the_reason() {
    let (_dir, index) = fixture();
    let e = index.sentiment(&period(), Some("2y")).unwrap_err();
    assert!(e.to_string().contains("interval"), "{e}");
    // Weeks are a length like any other: a week's buckets are seven days' buckets.
    let weeks = index.sentiment(&period(), Some("1w")).unwrap();
    let days = index.sentiment(&period(), Some("7d")).unwrap();
    assert!(!weeks.trend.is_empty());
    assert_eq!(weeks.trend, days.trend);
    let e = index.top_authors(&period(), AuthorOrder::Mentions, 0).unwrap_err();
    assert!(e.to_string().contains("limit"), "{e}");
    let e = index.sentiment(&Scope::new("default", "text:("), None).unwrap_err();
    assert!(matches!(e, crate::IndexError::Query { .. }), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn shares_of_voice_add_up_to_one_hundred(counts in proptest::collection::vec(0usize..6, 2..5)) {
        let dir = tempfile::tempdir().unwrap();
        let index = MentionIndex::open(dir.path()).unwrap();
        let mut writer = index.writer(&Default::default()).unwrap();
        let mut id = 0;
        for (w, n) in counts.iter().enumerate() {
            for _ in 0..*n {
                id += 1;
                let kind = if w == 0 { WatchKind::Brand } else { WatchKind::Competitor };
                let mut m = Mention::new(Platform::X, id.to_string(), "text", at(2, 0), Author { handle: "a".into(), ..Default::default() });
                m.tags = vec![WatchMatch { watch: format!("w{w}"), kind, hits: vec![] }];
                writer.upsert(&m).unwrap();
            }
        }
        writer.commit(&Checkpoint::default()).unwrap();
        index.reload().unwrap();
        let sov = index.share_of_voice(&ShareOfVoiceRequest { scope: Scope::new("default", ""), ..Default::default() }).unwrap();
        let total: usize = counts.iter().sum();
        prop_assert_eq!(sov.total as usize, total);
        if total > 0 {
            let sum: f64 = sov.watches.iter().map(|w| w.share).sum();
            prop_assert!((sum - 100.0).abs() < 1e-6, "{}", sum);
        } else {
            prop_assert!(sov.watches.is_empty());
        }
    }
}

/// A mention naming two brands holds the kind `brand` once: it counts once in the breakdown of
/// kinds, and each brand's kind is still the one all its mentions share.
#[test]
fn a_kind_tagged_twice_on_a_mention_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let index = MentionIndex::open(dir.path()).unwrap();
    let mut writer = index.writer(&Default::default()).unwrap();
    let twa = ("twa", WatchKind::Brand);
    let posts = [
        Post { watches: &[BRAND, twa], ..posts().swap_remove(0) },
        Post { id: "2", watches: &[BRAND], ..posts().swap_remove(0) },
    ];
    for p in &posts {
        writer.upsert(&mention(p)).unwrap();
    }
    writer.commit(&Checkpoint::default()).unwrap();
    index.reload().unwrap();
    let kinds = index.breakdown(&Scope::new("default", ""), BreakdownField::WatchKind, 10).unwrap();
    let values: Vec<(&str, u64)> = kinds.values.iter().map(|v| (v.value.as_str(), v.count)).collect();
    assert_eq!(values, vec![("brand", 2)]);
    assert!(kinds.values.iter().all(|v| v.share <= 100.0), "{kinds:?}");
    let sov = index
        .share_of_voice(&ShareOfVoiceRequest { scope: Scope::new("default", ""), watches: None, interval: None })
        .unwrap();
    let shares: Vec<(&str, Option<WatchKind>, u64)> =
        sov.watches.iter().map(|w| (w.watch.as_str(), w.kind, w.count)).collect();
    assert_eq!(shares, vec![("acme", Some(WatchKind::Brand), 2), ("twa", Some(WatchKind::Brand), 1)]);
}
