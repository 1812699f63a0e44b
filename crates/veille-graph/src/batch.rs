//! Batch PageRank with networkx's semantics, for evaluation and as the
//! reference the incremental ranking is checked against.

use std::collections::BTreeMap;

use crate::edgelist::EdgeList;
use crate::error::GraphError;

/// Parameters of [`pagerank`], named and defaulted as in `networkx.pagerank`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageRankOptions {
    /// Probability of following an edge rather than jumping to a random node. Default 0.85.
    pub damping: f64,
    /// Convergence threshold: iteration stops once the L1 change is below
    /// `tol` times the number of nodes. Default 1e-6.
    pub tol: f64,
    /// Most power iterations before giving up. Default 100.
    pub max_iter: usize,
}

impl Default for PageRankOptions {
    fn default() -> Self {
        PageRankOptions { damping: 0.85, tol: 1e-6, max_iter: 100 }
    }
}

/// The PageRank of every node of `graph`, keyed by node name; the scores sum to 1.
///
/// Same semantics as `networkx.pagerank(G, alpha=damping, tol=tol,
/// max_iter=max_iter)` on the `MultiDiGraph` of the edge list: transitions
/// are proportional to edge weight (parallel edges add up), self-loops count,
/// a node whose out-weight is 0 is dangling and its rank is spread uniformly
/// over all nodes, teleportation is uniform, power iteration starts from the
/// uniform vector and stops when the L1 change falls below `N * tol`. An
/// empty graph has an empty ranking.
///
/// ```
/// use veille_graph::{pagerank, EdgeList, PageRankOptions};
/// let g = EdgeList::from_tsv_str("a\tb\nb\tc\nc\ta\t2\n").unwrap();
/// let ranks = pagerank(&g, &PageRankOptions::default()).unwrap();
/// assert!((ranks.values().sum::<f64>() - 1.0).abs() < 1e-9);
/// ```
pub fn pagerank(graph: &EdgeList, options: &PageRankOptions) -> Result<BTreeMap<String, f64>, GraphError> {
    let alpha = options.damping;
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(GraphError::InvalidDamping(alpha));
    }
    let n = graph.node_count();
    if n == 0 {
        return Ok(BTreeMap::new());
    }
    let mut strength = vec![0.0f64; n];
    for &(s, _, w) in graph.raw_edges() {
        strength[s as usize] += w;
    }
    // networkx stores 1/S and multiplies; do the same so rounding agrees.
    let inverse: Vec<f64> = strength.iter().map(|&s| if s != 0.0 { 1.0 / s } else { 0.0 }).collect();
    let transitions: Vec<(usize, usize, f64)> =
        graph.raw_edges().iter().map(|&(s, t, w)| (s as usize, t as usize, w * inverse[s as usize])).collect();
    let dangling: Vec<usize> = (0..n).filter(|&i| strength[i] == 0.0).collect();
    let uniform = 1.0 / n as f64;
    let mut x = vec![uniform; n];
    let mut next = vec![0.0f64; n];
    for _ in 0..options.max_iter {
        next.iter_mut().for_each(|v| *v = 0.0);
        for &(s, t, a) in &transitions {
            next[t] += x[s] * a;
        }
        let dangling_mass: f64 = dangling.iter().map(|&i| x[i]).sum();
        let mut err = 0.0;
        for i in 0..n {
            let v = alpha * (next[i] + dangling_mass * uniform) + (1.0 - alpha) * uniform;
            err += (v - x[i]).abs();
            next[i] = v;
        }
        std::mem::swap(&mut x, &mut next);
        if err < n as f64 * options.tol {
            return Ok(graph.nodes().iter().cloned().zip(x).collect());
        }
    }
    Err(GraphError::NotConverged { max_iter: options.max_iter, tol: options.tol })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rank(tsv: &str) -> BTreeMap<String, f64> {
        pagerank(&EdgeList::from_tsv_str(tsv).unwrap(), &PageRankOptions::default()).unwrap()
    }

    #[test]
    fn a_symmetric_cycle_ranks_every_node_equally() {
        let r = rank("a\tb\nb\tc\nc\ta\n");
        for v in r.values() {
            assert!((v - 1.0 / 3.0).abs() < 1e-12, "{r:?}");
        }
    }

    #[test]
    fn dangling_rank_is_spread_uniformly_like_networkx() {
        // networkx 3.6: pagerank(nx.DiGraph([("a", "b")])), stopped at its tolerance
        // (the exact fixed point is a = 20/57).
        let r = rank("a\tb\n");
        assert!((r["a"] - 0.350_877_361_935_861_9).abs() < 1e-15, "{r:?}");
        assert!((r["b"] - 0.649_122_638_064_138).abs() < 1e-15, "{r:?}");
        assert!((r["a"] - 20.0 / 57.0).abs() < 1e-6);
    }

    #[test]
    fn parallel_edges_add_their_weights() {
        let twice = rank("a\tb\na\tc\na\tb\n");
        let weighted = rank("a\tb\t2\na\tc\n");
        for (k, v) in &twice {
            assert!((v - weighted[k]).abs() < 1e-15);
        }
        assert!(twice["b"] > twice["c"]);
    }

    #[test]
    fn bad_damping_and_exhausted_iterations_are_errors() {
        let g = EdgeList::from_tsv_str("a\tb\n").unwrap();
        let opts = PageRankOptions { damping: 1.0, ..PageRankOptions::default() };
        assert!(matches!(pagerank(&g, &opts), Err(GraphError::InvalidDamping(_))));
        let opts = PageRankOptions { max_iter: 1, tol: 1e-15, ..PageRankOptions::default() };
        assert!(matches!(pagerank(&g, &opts), Err(GraphError::NotConverged { max_iter: 1, .. })));
        assert!(rank("").is_empty());
    }
}
