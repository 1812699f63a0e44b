//! Key nodes in a synthetic stream where a few accounts are made influential:
//! many replies, quotes, reposts and @mentions go to them, yet they have few
//! followers and post little, while celebrities have huge audiences that
//! nobody engages with and promoters post all the time.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use veille_config::graph::ScoreWeights;
use veille_config::GraphConfig;
use veille_graph::{CommunityQuery, InteractionGraph, KeyNodeQuery};
use veille_model::{Author, Mention, Platform, Reference, WatchKind, WatchMatch};

const VOICES: usize = 5;
const STARS: usize = 5;
const PROMOTERS: usize = 20;
const FANS: usize = 2_000;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap()
}

fn mention(id: u64, handle: &str, followers: u64, at: DateTime<Utc>, watches: &[&str]) -> Mention {
    let author = Author { handle: handle.to_string(), followers: Some(followers), ..Author::default() };
    let mut m = Mention::new(Platform::X, id.to_string(), "about acme", at, author);
    m.tags =
        watches.iter().map(|w| WatchMatch { watch: w.to_string(), kind: WatchKind::Brand, hits: Vec::new() }).collect();
    m
}

/// The stream: who writes, and toward whom they interact.
fn stream(count: u64, seed: u64) -> Vec<Mention> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(count as usize);
    for id in 0..count {
        let at = start() + TimeDelta::seconds(5 * id as i64);
        let roll: f64 = rng.random();
        let m = if roll < 0.04 {
            // An influential voice posts about the brand now and then.
            let v = rng.random_range(0..VOICES);
            mention(id, &format!("voice_{v}"), 300, at, &["acme"])
        } else if roll < 0.06 {
            // A celebrity with a huge audience that nobody here engages with.
            let s = rng.random_range(0..STARS);
            mention(id, &format!("star_{s}"), 2_000_000, at, &["acme"])
        } else if roll < 0.40 {
            // Promoters post constantly and @mention fans, who never answer.
            let p = rng.random_range(0..PROMOTERS);
            let mut m = mention(id, &format!("promo_{p}"), 5_000, at, &["acme"]);
            m.mentions = vec![format!("fan_{}", rng.random_range(0..FANS))];
            m
        } else {
            let f = rng.random_range(0..FANS);
            let mut m = mention(id, &format!("fan_{f}"), rng.random_range(20..3_000), at, &["acme"]);
            let kind: f64 = rng.random();
            let voice = format!("voice_{}", rng.random_range(0..VOICES));
            let post = Reference { id: format!("p{}", rng.random_range(0..1_000)), author: Some(voice.clone()) };
            if kind < 0.25 {
                m.reply_to = Some(post);
                m.mentions = vec![voice];
            } else if kind < 0.40 {
                m.repost_of = Some(post);
            } else if kind < 0.50 {
                m.quote_of = Some(post);
            } else if kind < 0.60 {
                m.mentions = vec![voice.to_uppercase()];
            } else if kind < 0.75 {
                m.reply_to =
                    Some(Reference { id: "q".into(), author: Some(format!("fan_{}", rng.random_range(0..FANS))) });
            }
            m
        };
        out.push(m);
    }
    out
}

fn absorb(config: &GraphConfig, mentions: &mut [Mention]) -> InteractionGraph {
    let mut graph = InteractionGraph::new(config).unwrap();
    for m in mentions.iter_mut() {
        graph.observe(m);
    }
    graph
}

fn top_handles(graph: &InteractionGraph, query: &KeyNodeQuery) -> Vec<String> {
    graph.key_nodes(query).into_iter().map(|k| k.handle).collect()
}

fn is_voice(h: &str) -> bool {
    h.starts_with("voice_")
}

#[test]
fn the_accounts_made_influential_are_the_top_key_nodes() {
    let mut mentions = stream(20_000, 7);
    let graph = absorb(&GraphConfig::default(), &mut mentions);
    let top = top_handles(&graph, &KeyNodeQuery::top(VOICES));
    assert!(top.iter().all(|h| is_voice(h)), "top five: {top:?}");
    let in_watch = top_handles(&graph, &KeyNodeQuery::top(VOICES).in_watch("acme"));
    assert!(in_watch.iter().all(|h| is_voice(h)), "top five in watch: {in_watch:?}");

    // The components say why: graph standing, not audience.
    let all = graph.key_nodes(&KeyNodeQuery::top(usize::MAX));
    let voice = all.iter().find(|k| k.handle == "voice_0").unwrap();
    let star = all.iter().find(|k| k.handle == "star_0").unwrap();
    let promoter = all.iter().find(|k| k.handle == "promo_0").unwrap();
    assert!(voice.components.centrality.value > 20.0 * star.components.centrality.value);
    assert!(voice.components.reach.normalized < star.components.reach.normalized);
    assert!(voice.components.activity.value < promoter.components.activity.value);
    assert!(voice.components.engagement.value > 10.0 * promoter.components.engagement.value);
    assert!(!voice.sample_mentions.is_empty() && voice.sample_mentions.len() <= 2);
    let json = serde_json::to_value(voice).unwrap();
    for field in ["score", "components", "community", "sample_mentions", "last_seen"] {
        assert!(json.get(field).is_some(), "{field} in {json}");
    }
}

#[test]
fn a_score_blind_to_the_graph_would_miss_them() {
    // Same stream, but only audience and volume count: the scenario is built
    // so that this ranking puts celebrities and promoters first.
    let blind = GraphConfig {
        score: ScoreWeights { centrality: 0.0, engagement: 0.0, ..ScoreWeights::default() },
        ..GraphConfig::default()
    };
    let mut mentions = stream(20_000, 7);
    let graph = absorb(&blind, &mut mentions);
    let top = top_handles(&graph, &KeyNodeQuery::top(VOICES));
    assert!(!top.iter().any(|h| is_voice(h)), "graph-blind top five: {top:?}");
}

#[test]
fn mentions_are_stamped_with_their_authors_score_at_ingest() {
    let mut mentions = stream(20_000, 11);
    let mut graph = InteractionGraph::new(&GraphConfig::default()).unwrap();
    for m in mentions.iter_mut() {
        let score = graph.observe(m).unwrap();
        assert_eq!(m.scores.key_node, Some(score));
        assert!((0.0..=1.0).contains(&score));
    }
    let late = &mentions[10_000..];
    let mean = |prefix: &str| {
        let s: Vec<f64> =
            late.iter().filter(|m| m.author.handle.starts_with(prefix)).filter_map(|m| m.scores.key_node).collect();
        s.iter().sum::<f64>() / s.len() as f64
    };
    let (voices, stars, promoters, fans) = (mean("voice_"), mean("star_"), mean("promo_"), mean("fan_"));
    assert!(voices > stars && voices > promoters && voices > fans, "{voices} {stars} {promoters} {fans}");
    let now = graph.key_node_score(Platform::X, "VOICE_0").unwrap();
    assert!(now > stars);
}

#[test]
fn communities_separate_two_circles_and_name_their_voices() {
    // Two circles of fans, each talking among itself and to its own voice.
    let mut graph = InteractionGraph::new(&GraphConfig::default()).unwrap();
    let mut rng = SmallRng::seed_from_u64(3);
    for id in 0..6_000u64 {
        let circle = if id % 2 == 0 { "left" } else { "right" };
        let f = rng.random_range(0..150);
        let at = start() + TimeDelta::seconds(id as i64);
        let mut m = mention(id, &format!("{circle}_{f}"), 100, at, &[circle]);
        m.mentions = if rng.random_bool(0.5) {
            vec![format!("{circle}_voice")]
        } else {
            vec![format!("{circle}_{}", rng.random_range(0..150))]
        };
        graph.observe(&mut m);
    }
    graph.refresh_communities();
    let report = graph.communities(&CommunityQuery { watch: None, limit: 10, members: 1 });
    assert!(report.modularity.unwrap() > 0.4, "{report:?}");
    assert_eq!(report.communities.len(), 2, "{report:?}");
    let voices: Vec<&str> = report.communities.iter().map(|c| c.key_nodes[0].author.handle.as_str()).collect();
    assert!(voices.contains(&"left_voice") && voices.contains(&"right_voice"), "{voices:?}");
    for c in &report.communities {
        assert!((140..=151).contains(&c.authors), "{c:?}");
        assert_eq!(c.size, c.authors, "workspace-wide, every member is in scope");
        assert_eq!(c.label, c.key_nodes[0].author.handle);
        // Each circle writes half of the workspace's mentions.
        assert!((0.4..=0.6).contains(&c.mention_share), "{c:?}");
    }
    let left = graph.key_nodes(&KeyNodeQuery::top(1).in_watch("left"));
    assert_eq!(left[0].handle, "left_voice");
    let left_community = graph.communities(&CommunityQuery { watch: Some("left".into()), limit: 10, members: 3 });
    assert_eq!(left_community.communities.len(), 1, "{left_community:?}");
    assert_eq!(left_community.communities[0].id, left[0].community.unwrap());
    assert_eq!(left_community.communities[0].label, "left_voice");
    assert!(left_community.communities[0].mention_share > 0.99, "{left_community:?}");
    assert!(graph.key_nodes(&KeyNodeQuery::top(3).in_watch("nowhere")).is_empty());
}

#[test]
fn the_activity_window_keeps_only_recent_authors() {
    let mut graph = InteractionGraph::new(&GraphConfig::default()).unwrap();
    let mut early = mention(1, "early", 10, start(), &[]);
    early.mentions = vec!["target".into()];
    graph.observe(&mut early);
    let mut late = mention(2, "late", 10, start() + TimeDelta::hours(48), &[]);
    graph.observe(&mut late);
    let recent = top_handles(&graph, &KeyNodeQuery::top(10).within(TimeDelta::hours(24)));
    assert_eq!(recent, ["late"]);
    assert_eq!(top_handles(&graph, &KeyNodeQuery::top(10)).len(), 3);
}

#[test]
fn a_window_counts_only_the_activity_and_engagement_inside_it() {
    let mut graph = InteractionGraph::new(&GraphConfig::default()).unwrap();
    // A steady author writes every hour for three days and was much replied
    // to on the first day; another bursts with ten mentions in the last hour.
    let mut id = 0;
    let mut next = |handle: &str, at: DateTime<Utc>| {
        id += 1;
        mention(id, handle, 100, at, &["acme"])
    };
    for fan in 0..50 {
        let mut m = next(&format!("fan_{fan}"), start() + TimeDelta::minutes(fan));
        m.reply_to = Some(Reference { id: "p".into(), author: Some("steady".into()) });
        graph.observe(&mut m);
    }
    for hour in 0..=72 {
        graph.observe(&mut next("steady", start() + TimeDelta::hours(hour)));
    }
    let end = start() + TimeDelta::hours(72);
    for k in 0..10 {
        graph.observe(&mut next("burst", end - TimeDelta::minutes(50 - 5 * k)));
    }
    let find = |nodes: &[veille_graph::KeyNode], h: &str| nodes.iter().find(|k| k.handle == h).cloned().unwrap();

    // Decayed over the whole stream, the steady author is the more active and engaged.
    let all = graph.key_nodes(&KeyNodeQuery::top(100).in_watch("acme"));
    let (steady, burst) = (find(&all, "steady"), find(&all, "burst"));
    assert!(steady.components.activity.value > 3.0 * burst.components.activity.value);
    assert!(steady.components.engagement.value > 1.0);

    // Within the last two hours, the burst is what counts, and old replies do not.
    let recent = graph.key_nodes(&KeyNodeQuery::top(100).in_watch("acme").within(TimeDelta::hours(2)));
    let (steady, burst) = (find(&recent, "steady"), find(&recent, "burst"));
    assert_eq!(burst.components.activity.value, 10.0);
    assert!((1.0..=3.0).contains(&steady.components.activity.value), "{steady:?}");
    assert_eq!(steady.components.engagement.value, 0.0);
    assert!(recent.iter().all(|k| !k.handle.starts_with("fan_")), "fans wrote three days ago");
    // Centrality is the graph's current standing, whatever the window.
    let decayed_steady = find(&all, "steady");
    assert_eq!(steady.components.centrality, decayed_steady.components.centrality);
}

#[test]
fn key_nodes_carry_the_authors_name_audience_and_sample_mentions() {
    let mut graph = InteractionGraph::new(&GraphConfig::default()).unwrap();
    for id in 0..5u64 {
        let mut m = mention(id, "kettle_reviewer", 1_234, start() + TimeDelta::minutes(id as i64), &["acme"]);
        m.author.display_name = Some(format!("Kettle Reviewer {id}"));
        graph.observe(&mut m);
    }
    let mut other = mention(9, "someone", 5, start() + TimeDelta::hours(1), &["rival"]);
    other.mentions = vec!["kettle_reviewer".into()];
    graph.observe(&mut other);

    let top = graph.key_nodes(&KeyNodeQuery::top(1).in_watch("acme"));
    let node = &top[0];
    assert_eq!(node.handle, "kettle_reviewer");
    assert_eq!(node.display_name.as_deref(), Some("Kettle Reviewer 4"));
    assert_eq!(node.followers, Some(1_234));
    assert_eq!(node.sample_mentions, ["x:3", "x:4"], "the two latest, oldest first");
    // In the other watch, the reviewer was only mentioned: the sample is that mention.
    let rival = graph.key_nodes(&KeyNodeQuery::top(5).in_watch("rival"));
    assert_eq!(find_handle(&rival, "kettle_reviewer").sample_mentions, ["x:9"]);
    let json = serde_json::to_value(node).unwrap();
    for field in ["display_name", "followers", "components", "sample_mentions"] {
        assert!(json.get(field).is_some(), "{field} in {json}");
    }
}

fn find_handle<'a>(nodes: &'a [veille_graph::KeyNode], handle: &str) -> &'a veille_graph::KeyNode {
    nodes.iter().find(|k| k.handle == handle).unwrap()
}
