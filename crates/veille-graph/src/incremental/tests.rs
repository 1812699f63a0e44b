//! The incremental ranking checked against the batch one on every update path.

use super::*;
use crate::{pagerank, EdgeList, PageRankOptions};

fn check_against_batch(pr: &mut IncrementalPageRank, edges: &[(u32, u32, f64)], n: u32, tol: f64) {
    pr.refresh();
    let mut list = EdgeList::new();
    for x in 0..n {
        if pr.res[x as usize].live {
            list.node(&x.to_string());
        }
    }
    for &(s, t, w) in edges {
        list.add_edge(&s.to_string(), &t.to_string(), w).unwrap();
    }
    let opts = PageRankOptions { tol: 1e-13, max_iter: 1000, ..PageRankOptions::default() };
    let batch = pagerank(&list, &opts).unwrap();
    for (name, want) in batch {
        let got = pr.rank(name.parse().unwrap());
        assert!((got - want).abs() < tol, "node {name}: {got} vs {want}");
    }
}

#[test]
fn every_update_path_keeps_the_invariant() {
    let mut pr = IncrementalPageRank::new(0.85, 1e-12);
    for x in 0..5 {
        pr.add_node(x);
    }
    // dangling → non-dangling, small increments (rescale path), a large
    // increment (direct path), a self-loop and a repeated edge.
    let edges = [
        (0, 1, 1.0),
        (0, 2, 0.5),
        (0, 1, 0.25),
        (0, 3, 10.0),
        (1, 2, 1.0),
        (2, 0, 2.0),
        (3, 3, 1.0),
        (3, 4, 1.0),
        (4, 0, 1.0),
    ];
    for &(s, t, w) in &edges {
        pr.add_weight(s, t, w);
    }
    check_against_batch(&mut pr, &edges, 5, 1e-10);
    assert_eq!(pr.edge_count(), 8);
}

#[test]
fn removing_nodes_matches_the_graph_without_them() {
    let mut pr = IncrementalPageRank::new(0.85, 1e-12);
    for x in 0..6 {
        pr.add_node(x);
    }
    let edges = [
        (0, 1, 1.0),
        (1, 2, 1.0),
        (2, 0, 1.0),
        (3, 0, 2.0),
        (0, 3, 1.0),
        (4, 3, 1.0),
        (3, 4, 1.0),
        (5, 4, 1.0),
        (4, 5, 3.0),
    ];
    for &(s, t, w) in &edges {
        pr.add_weight(s, t, w);
    }
    pr.remove_nodes(&[3, 5]);
    let kept: Vec<_> =
        edges.iter().copied().filter(|&(s, t, _)| ![3, 5].contains(&s) && ![3, 5].contains(&t)).collect();
    assert_eq!(pr.node_count(), 4);
    assert_eq!(pr.edge_count(), kept.len());
    check_against_batch(&mut pr, &kept, 6, 1e-10);
    // A freed slot comes back as a fresh node.
    pr.add_node(3);
    pr.add_weight(3, 1, 1.0);
    let mut again = kept.clone();
    again.push((3, 1, 1.0));
    check_against_batch(&mut pr, &again, 6, 1e-10);
}

#[test]
fn rescaling_weights_keeps_ranks_and_hub_indexes_work() {
    let mut pr = IncrementalPageRank::new(0.85, 1e-12);
    let n = 40;
    for x in 0..n {
        pr.add_node(x);
    }
    let mut edges = Vec::new();
    for x in 1..n {
        edges.push((0, x, 1.0 + x as f64 / 10.0));
        edges.push((x, 0, 1.0));
        edges.push((0, x, 0.5));
    }
    for &(s, t, w) in &edges {
        pr.add_weight(s, t, w);
    }
    assert!(pr.rows[0].index.is_some());
    pr.rescale(1.0 / 1024.0, 0.0);
    check_against_batch(&mut pr, &edges, n, 1e-9);
    // Edges scaled below the threshold are forgotten, and ranks follow.
    pr.add_weight(1, 2, 1e-9);
    pr.rescale(0.5, 1e-9);
    assert_eq!(pr.edge_count(), edges.len() - (n as usize - 1));
    let halved: Vec<_> = edges.iter().map(|&(s, t, w)| (s, t, w / 2048.0)).collect();
    check_against_batch(&mut pr, &halved, n, 1e-9);
}
