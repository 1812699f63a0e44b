//! PageRank on the shipped fixture (checked against networkx's output stored
//! beside it) and properties of the TSV reader and the incremental ranking.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use std::collections::BTreeMap;

use chrono::{TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use veille_config::GraphConfig;
use veille_graph::{pagerank, EdgeList, InteractionGraph, PageRankOptions};
use veille_model::{Author, Mention, Platform};

const FIXTURE: &str = include_str!("fixtures/conversation.tsv");
const NETWORKX: &str = include_str!("fixtures/conversation.networkx.json");

#[test]
fn the_fixture_ranks_exactly_as_networkx_did() {
    let graph = EdgeList::from_tsv_str(FIXTURE).unwrap();
    let ours = pagerank(&graph, &PageRankOptions::default()).unwrap();
    let reference: BTreeMap<String, f64> = serde_json::from_str(NETWORKX).unwrap();
    assert_eq!(ours.keys().collect::<Vec<_>>(), reference.keys().collect::<Vec<_>>());
    for (node, want) in &reference {
        assert!((ours[node] - want).abs() < 1e-12, "{node}: {} vs {want}", ours[node]);
    }
    // The node with only a zero-weight edge is dangling, like `silent`.
    assert!((ours["zero"] - ours["eve"]).abs() < 1e-15);
}

/// A node name: no tab, no line break, not starting with `#`, not only
/// spaces (a line of nothing but whitespace is blank, and skipped).
fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_ éà@.-]{1,12}"
        .prop_filter("neither a comment nor blank", |s| !s.starts_with('#') && !s.trim().is_empty())
}

proptest! {
    #[test]
    fn tsv_written_then_read_gives_back_the_same_edges(
        edges in prop::collection::vec((name(), name(), prop::option::of(0.0f64..1e6)), 0..40),
    ) {
        let mut text = String::new();
        for (s, t, w) in &edges {
            match w {
                Some(w) => text.push_str(&format!("{s}\t{t}\t{w}\n")),
                None => text.push_str(&format!("{s}\t{t}\n")),
            }
        }
        let graph = EdgeList::from_tsv_str(&text).unwrap();
        let read: Vec<(String, String, f64)> =
            graph.edges().map(|(s, t, w)| (s.to_string(), t.to_string(), w)).collect();
        let want: Vec<(String, String, f64)> =
            edges.into_iter().map(|(s, t, w)| (s, t, w.unwrap_or(1.0))).collect();
        prop_assert_eq!(read, want);
    }

    #[test]
    fn any_line_without_a_tab_is_refused_with_its_number(
        good in prop::collection::vec((name(), name()), 0..5),
        bad in "[a-z]{1,8}",
    ) {
        let mut text: String = good.iter().map(|(s, t)| format!("{s}\t{t}\n")).collect();
        text.push_str(&bad);
        let e = EdgeList::from_tsv_str(&text).unwrap_err().to_string();
        prop_assert!(e.starts_with(&format!("line {}:", good.len() + 1)), "{}", e);
    }

    #[test]
    fn batch_ranks_sum_to_one_and_follow_weight(
        edges in prop::collection::vec((0u8..12, 0u8..12, 0.0f64..5.0), 1..60),
    ) {
        let mut graph = EdgeList::new();
        for (s, t, w) in &edges {
            graph.add_edge(&s.to_string(), &t.to_string(), *w).unwrap();
        }
        let ranks = pagerank(&graph, &PageRankOptions::default()).unwrap();
        prop_assert!((ranks.values().sum::<f64>() - 1.0).abs() < 1e-9);
        prop_assert!(ranks.values().all(|&r| r > 0.0));
    }

    #[test]
    fn streamed_mentions_rank_like_the_batch_of_their_edges(
        edges in prop::collection::vec((0u8..15, 0u8..15), 1..80),
    ) {
        let config = GraphConfig { half_life_hours: f64::INFINITY, ..GraphConfig::default() };
        let mut stream = InteractionGraph::new(&config).unwrap();
        let mut batch = EdgeList::new();
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        for (i, (s, t)) in edges.iter().enumerate() {
            let author = Author { handle: format!("a{s}"), ..Author::default() };
            let at = start + TimeDelta::seconds(i as i64);
            let mut m = Mention::new(Platform::X, i.to_string(), "hi", at, author);
            m.mentions = vec![format!("a{t}")];
            stream.observe(&mut m);
            batch.node(&format!("a{s}"));
            batch.node(&format!("a{t}"));
            if s != t {
                batch.add_edge(&format!("a{s}"), &format!("a{t}"), 1.0).unwrap();
            }
        }
        stream.settle(1e-12);
        let exact = PageRankOptions { tol: 1e-14, max_iter: 10_000, ..PageRankOptions::default() };
        let want = pagerank(&batch, &exact).unwrap();
        let got: BTreeMap<String, f64> =
            stream.ranks().into_iter().map(|(a, r)| (a.handle, r)).collect();
        prop_assert_eq!(got.len(), want.len());
        for (node, w) in &want {
            prop_assert!((got[node] - w).abs() < 1e-9, "{}: {} vs {}", node, got[node], w);
        }
    }
}
