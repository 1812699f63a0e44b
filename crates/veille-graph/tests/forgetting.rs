//! Recency and bounded memory: weights decay with event time, cold authors
//! are evicted, and the ranking stays exactly that of the graph kept.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use veille_config::GraphConfig;
use veille_graph::{pagerank, EdgeList, InteractionGraph, KeyNodeQuery, PageRankOptions, WorkspaceGraphs};
use veille_model::{Author, Mention, Platform, Reference};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
}

fn mention(id: u64, author: &str, at: DateTime<Utc>, targets: &[&str]) -> Mention {
    let author = Author { handle: author.to_string(), ..Author::default() };
    let mut m = Mention::new(Platform::X, id.to_string(), "hello", at, author);
    m.mentions = targets.iter().map(|t| t.to_string()).collect();
    m
}

fn weights(graph: &InteractionGraph) -> BTreeMap<(String, String), f64> {
    graph.interactions().into_iter().map(|i| ((i.source.handle, i.target.handle), i.weight)).collect()
}

/// The batch PageRank of exactly what the graph holds (its authors and decayed edges).
fn batch_of(graph: &InteractionGraph) -> BTreeMap<String, f64> {
    let mut list = EdgeList::new();
    for (author, _) in graph.ranks() {
        list.node(&author.handle);
    }
    for i in graph.interactions() {
        list.add_edge(&i.source.handle, &i.target.handle, i.weight).unwrap();
    }
    let exact = PageRankOptions { tol: 1e-14, max_iter: 10_000, ..PageRankOptions::default() };
    pagerank(&list, &exact).unwrap()
}

fn assert_ranks_match_batch(graph: &mut InteractionGraph) {
    graph.settle(1e-12);
    let want = batch_of(graph);
    let got: BTreeMap<String, f64> = graph.ranks().into_iter().map(|(a, r)| (a.handle, r)).collect();
    assert_eq!(got.len(), want.len());
    for (node, w) in &want {
        assert!((got[node] - w).abs() < 1e-9, "{node}: {} vs {w}", got[node]);
    }
}

#[test]
fn an_interaction_weighs_half_as_much_one_half_life_later() {
    let config = GraphConfig { half_life_hours: 1.0, ..GraphConfig::default() };
    let mut graph = InteractionGraph::new(&config).unwrap();
    graph.observe(&mut mention(1, "ann", start(), &["old_friend"]));
    graph.observe(&mut mention(2, "ann", start() + TimeDelta::hours(2), &["new_friend"]));
    let w = weights(&graph);
    assert!((w[&("ann".into(), "old_friend".into())] - 0.25).abs() < 1e-6, "{w:?}");
    assert!((w[&("ann".into(), "new_friend".into())] - 1.0).abs() < 1e-6, "{w:?}");
    let ranks: BTreeMap<String, f64> = graph.ranks().into_iter().map(|(a, r)| (a.handle, r)).collect();
    assert!(ranks["new_friend"] > ranks["old_friend"]);
    assert_ranks_match_batch(&mut graph);

    // A late mention (event time before the latest) counts at its own age.
    graph.observe(&mut mention(3, "bob", start() + TimeDelta::hours(1), &["old_friend"]));
    let w = weights(&graph);
    assert!((w[&("bob".into(), "old_friend".into())] - 0.5).abs() < 1e-6, "{w:?}");
}

#[test]
fn decay_survives_months_of_event_time() {
    // Hundreds of half-lives: the stored weights are rebased, never overflow.
    let config = GraphConfig { half_life_hours: 1.0, ..GraphConfig::default() };
    let mut graph = InteractionGraph::new(&config).unwrap();
    for day in 0..120u64 {
        let at = start() + TimeDelta::days(day as i64);
        graph.observe(&mut mention(day, &format!("fan{}", day % 7), at, &["brand", "critic"]));
    }
    for (_, w) in weights(&graph) {
        assert!(w.is_finite() && (0.0..=1.0 + 1e-6).contains(&w), "{w}");
    }
    assert_ranks_match_batch(&mut graph);
}

#[test]
fn never_forgetting_counts_every_interaction_fully() {
    let config = GraphConfig { half_life_hours: f64::INFINITY, ..GraphConfig::default() };
    let mut graph = InteractionGraph::new(&config).unwrap();
    for (i, days) in [0i64, 300, 600].into_iter().enumerate() {
        let at = start() + TimeDelta::days(days);
        graph.observe(&mut mention(i as u64, "ann", at, &["brand"]));
    }
    assert_eq!(weights(&graph)[&("ann".into(), "brand".into())], 3.0);
}

#[test]
fn each_mention_reaches_an_account_once_and_never_itself() {
    let mut graph = InteractionGraph::new(&GraphConfig::default()).unwrap();
    let mut m = mention(1, "Ann", start(), &["@Critic", "critic", "ann", "  "]);
    m.reply_to = Some(Reference { id: "9".into(), author: Some("CRITIC".into()) });
    graph.observe(&mut m);
    let w = weights(&graph);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[&("Ann".into(), "CRITIC".into())], 1.0);
}

#[test]
fn cold_authors_are_evicted_and_the_core_stays() {
    let config = GraphConfig { max_authors: 200, max_edges: 1_000, ..GraphConfig::default() };
    let mut graph = InteractionGraph::new(&config).unwrap();
    let mut id = 0;
    for round in 0..300i64 {
        let at = start() + TimeDelta::minutes(round);
        // A core of 20 accounts talks every minute...
        for c in 0..20 {
            id += 1;
            let target = format!("core{}", (c + 1) % 20);
            graph.observe(&mut mention(id, &format!("core{c}"), at, &[&target, "brand"]));
        }
        // ...while passers-by say one thing once.
        for p in 0..10 {
            id += 1;
            graph.observe(&mut mention(id, &format!("passer{round}_{p}"), at, &["brand"]));
        }
        let stats = graph.stats();
        assert!(stats.authors <= 200, "{stats:?}");
        assert!(stats.edges <= 1_000, "{stats:?}");
    }
    let stats = graph.stats();
    assert!(stats.evicted_authors > 2_000, "{stats:?}");
    for c in 0..20 {
        assert!(graph.key_node_score(Platform::X, &format!("core{c}")).is_some(), "core{c} evicted");
    }
    assert!(graph.key_node_score(Platform::X, "brand").is_some());
    assert!(graph.key_node_score(Platform::X, "passer0_0").is_none());
    assert_ranks_match_batch(&mut graph);
    let top = graph.key_nodes(&KeyNodeQuery::top(1));
    assert_eq!(top[0].handle, "brand");
}

#[test]
fn communities_detected_elsewhere_apply_to_authors_still_there() {
    let config = GraphConfig { max_authors: 50, communities_every_s: 60, ..GraphConfig::default() };
    let mut graphs = WorkspaceGraphs::new(&config).unwrap();
    let mut m = mention(1, "a", start(), &["b"]);
    m.workspace = "acme".into();
    graphs.observe(&mut m);
    let due = graphs.due_community_snapshots();
    assert_eq!(due.len(), 1, "a graph with edges and no run yet is due");
    let (workspace, snapshot) = due.into_iter().next().unwrap();
    assert_eq!(workspace, "acme");
    assert!(graphs.due_community_snapshots().is_empty(), "the schedule restarted");
    // While detection runs, the graph moves on and evicts `a` and `b`.
    let handle = std::thread::spawn(move || snapshot.detect());
    for i in 0..100u64 {
        let mut m = mention(10 + i, &format!("x{i}"), start() + TimeDelta::seconds(i as i64), &["hub"]);
        m.workspace = "acme".into();
        graphs.observe(&mut m);
    }
    assert!(graphs.apply_communities("acme", handle.join().unwrap()));
    assert!(!graphs.apply_communities("nobody", InteractionGraph::new(&config).unwrap().community_snapshot().detect()));
    let graph = graphs.workspace("acme").unwrap();
    assert!(graph.stats().evicted_authors > 0);
    assert!(graph.key_nodes(&KeyNodeQuery::top(100)).iter().all(|k| k.community.is_none()));
    assert!(graph.stats().communities_computed_at.is_some());
    assert!(graph.communities_due(), "100 s later the next run is due");
    assert!(graphs.workspace("default").is_none(), "workspaces do not mix");
}
