//! Louvain community detection (Blondel et al., 2008) on the undirected view
//! of the interaction graph.
//!
//! Edge directions are dropped and weights in both directions add up. Each
//! level moves nodes one at a time (in id order, so results are
//! deterministic) to the neighbouring community with the best modularity
//! gain until no move helps, then collapses communities into nodes and starts
//! again, until a level changes nothing.

/// A copy of a graph's edges taken for community detection, which can then
/// run on any thread while the graph keeps absorbing mentions.
#[derive(Debug, Clone)]
pub struct CommunitySnapshot {
    pub(crate) generations: Vec<u32>,
    pub(crate) edges: Vec<(u32, u32, f64)>,
    pub(crate) at: i64,
}

impl CommunitySnapshot {
    /// Runs Louvain on the snapshot (the slow part: about a second per
    /// million edges); hand the result to
    /// [`InteractionGraph::apply_communities`](crate::InteractionGraph::apply_communities).
    pub fn detect(self) -> DetectedCommunities {
        let partition = louvain(self.generations.len(), self.edges);
        DetectedCommunities { generations: self.generations, partition, at: self.at }
    }

    /// Number of edges in the snapshot.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }
}

/// Communities found in a [`CommunitySnapshot`], ready to be applied to the
/// graph it was taken from. Authors evicted since the snapshot are skipped.
#[derive(Debug, Clone)]
pub struct DetectedCommunities {
    pub(crate) generations: Vec<u32>,
    pub(crate) partition: Partition,
    pub(crate) at: i64,
}

/// Community of each node (`u32::MAX` for a node without edges) and the modularity reached.
#[derive(Debug, Clone)]
pub(crate) struct Partition {
    pub(crate) community: Vec<u32>,
    /// Number of nodes in each community, largest first (ids are positions here).
    pub(crate) sizes: Vec<usize>,
    pub(crate) modularity: f64,
}

const NONE: u32 = u32::MAX;
const MAX_LEVELS: usize = 32;
const MAX_PASSES: usize = 64;

/// A symmetric weighted graph in compressed rows, with self-loops apart.
struct Level {
    offsets: Vec<usize>,
    targets: Vec<u32>,
    weights: Vec<f64>,
    self_loops: Vec<f64>,
}

impl Level {
    fn len(&self) -> usize {
        self.self_loops.len()
    }

    fn neighbours(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = self.offsets[i]..self.offsets[i + 1];
        self.targets[range.clone()].iter().zip(&self.weights[range]).map(|(&t, &w)| (t as usize, w))
    }

    fn degree(&self, i: usize) -> f64 {
        self.neighbours(i).map(|(_, w)| w).sum::<f64>() + self.self_loops[i]
    }

    /// Builds a level from undirected weighted pairs; pairs `(i, i)` are self-loops.
    fn from_pairs(n: usize, mut pairs: Vec<(u32, u32, f64)>) -> Level {
        let mut self_loops = vec![0.0; n];
        pairs.retain(|&(a, b, w)| {
            if a == b {
                self_loops[a as usize] += w;
            }
            a != b && w > 0.0
        });
        let mut directed: Vec<(u32, u32, f64)> = Vec::with_capacity(pairs.len() * 2);
        for &(a, b, w) in &pairs {
            directed.push((a, b, w));
            directed.push((b, a, w));
        }
        directed.sort_unstable_by_key(|&(a, b, _)| (a, b));
        let mut offsets = vec![0usize; n + 1];
        let mut targets = Vec::with_capacity(directed.len());
        let mut weights: Vec<f64> = Vec::with_capacity(directed.len());
        let mut last: Option<(u32, u32)> = None;
        for (a, b, w) in directed {
            if last == Some((a, b)) {
                if let Some(x) = weights.last_mut() {
                    *x += w;
                }
                continue;
            }
            last = Some((a, b));
            offsets[a as usize + 1] += 1;
            targets.push(b);
            weights.push(w);
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        Level { offsets, targets, weights, self_loops }
    }
}

/// Runs Louvain on `n` nodes and the given weighted edges (direction ignored).
pub(crate) fn louvain(n: usize, edges: impl IntoIterator<Item = (u32, u32, f64)>) -> Partition {
    let pairs: Vec<(u32, u32, f64)> = edges
        .into_iter()
        .filter(|&(a, b, w)| a != b && w > 0.0 && w.is_finite())
        .map(|(a, b, w)| (a.min(b), a.max(b), w))
        .collect();
    let mut level = Level::from_pairs(n, pairs);
    let isolated: Vec<bool> = (0..n).map(|i| level.degree(i) <= 0.0).collect();
    let m2: f64 = (0..n).map(|i| level.degree(i)).sum();
    // membership[i]: node of the current level holding original node i.
    let mut membership: Vec<u32> = (0..n as u32).collect();
    if m2 > 0.0 {
        for _ in 0..MAX_LEVELS {
            let (assignment, count, moved) = one_level(&level, m2);
            if !moved {
                break;
            }
            for m in membership.iter_mut() {
                *m = assignment[*m as usize];
            }
            level = aggregate(&level, &assignment, count);
        }
    }
    finish(&level, membership, &isolated, m2)
}

/// Local moves until none helps: community of each node, community count, whether anything moved.
fn one_level(level: &Level, m2: f64) -> (Vec<u32>, usize, bool) {
    let n = level.len();
    let degree: Vec<f64> = (0..n).map(|i| level.degree(i)).collect();
    let mut comm: Vec<u32> = (0..n as u32).collect();
    let mut tot = degree.clone();
    let mut link = vec![0.0f64; n];
    let mut seen = vec![false; n];
    let mut touched: Vec<usize> = Vec::new();
    let mut moved_any = false;
    for _ in 0..MAX_PASSES {
        let mut moved = false;
        for i in 0..n {
            let k = degree[i];
            if k <= 0.0 {
                continue;
            }
            let own = comm[i] as usize;
            for (j, w) in level.neighbours(i) {
                let c = comm[j] as usize;
                if !seen[c] {
                    seen[c] = true;
                    touched.push(c);
                }
                link[c] += w;
            }
            tot[own] -= k;
            let gain = |c: usize| link[c] - tot[c] * k / m2;
            let mut best = own;
            let mut best_gain = gain(own);
            for &c in &touched {
                let g = gain(c);
                if g > best_gain + 1e-12 * k {
                    best = c;
                    best_gain = g;
                }
            }
            tot[best] += k;
            if best != own {
                comm[i] = best as u32;
                moved = true;
            }
            for &c in &touched {
                link[c] = 0.0;
                seen[c] = false;
            }
            touched.clear();
        }
        if !moved {
            break;
        }
        moved_any = true;
    }
    let mut renumber = vec![NONE; n];
    let mut count = 0u32;
    for c in comm.iter_mut() {
        let r = &mut renumber[*c as usize];
        if *r == NONE {
            *r = count;
            count += 1;
        }
        *c = *r;
    }
    (comm, count as usize, moved_any)
}

/// Collapses each community into one node.
fn aggregate(level: &Level, assignment: &[u32], count: usize) -> Level {
    let mut pairs = Vec::new();
    for i in 0..level.len() {
        let ci = assignment[i];
        if level.self_loops[i] > 0.0 {
            pairs.push((ci, ci, level.self_loops[i]));
        }
        for (j, w) in level.neighbours(i) {
            let cj = assignment[j];
            if ci == cj {
                pairs.push((ci, ci, w));
            } else if i < j {
                pairs.push((ci.min(cj), ci.max(cj), w));
            }
        }
    }
    Level::from_pairs(count, pairs)
}

fn finish(level: &Level, membership: Vec<u32>, isolated: &[bool], m2: f64) -> Partition {
    let mut modularity = 0.0;
    if m2 > 0.0 {
        for c in 0..level.len() {
            let k = level.degree(c);
            modularity += level.self_loops[c] / m2 - (k / m2) * (k / m2);
        }
    }
    let mut sizes = vec![0usize; level.len()];
    for (i, &c) in membership.iter().enumerate() {
        if !isolated[i] {
            sizes[c as usize] += 1;
        }
    }
    let mut order: Vec<usize> = (0..level.len()).filter(|&c| sizes[c] > 0).collect();
    order.sort_by_key(|&c| std::cmp::Reverse(sizes[c]));
    let mut rank = vec![NONE; level.len()];
    for (r, &c) in order.iter().enumerate() {
        rank[c] = r as u32;
    }
    let community =
        membership.iter().enumerate().map(|(i, &c)| if isolated[i] { NONE } else { rank[c as usize] }).collect();
    Partition { community, sizes: order.iter().map(|&c| sizes[c]).collect(), modularity }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clique(nodes: std::ops::Range<u32>) -> Vec<(u32, u32, f64)> {
        let mut e = Vec::new();
        for a in nodes.clone() {
            for b in nodes.clone() {
                if a < b {
                    e.push((a, b, 1.0));
                }
            }
        }
        e
    }

    #[test]
    fn two_cliques_joined_by_one_edge_are_two_communities() {
        let mut edges = clique(0..5);
        edges.extend(clique(5..10));
        edges.push((4, 5, 1.0));
        let p = louvain(11, edges);
        let left = p.community[0];
        let right = p.community[9];
        assert_ne!(left, right);
        assert!(p.community[..5].iter().all(|&c| c == left));
        assert!(p.community[5..10].iter().all(|&c| c == right));
        assert_eq!(p.community[10], NONE, "a node without edges has no community");
        assert_eq!(p.sizes, [5, 5]);
        // Modularity of this split by hand: 2m = 42, each side holds 20 of it
        // inside and 21 of the degrees: 2 × (20/42 − (21/42)²) = 0.452...
        let want = 2.0 * (20.0 / 42.0 - 0.25);
        assert!((p.modularity - want).abs() < 1e-12, "{}", p.modularity);
    }

    #[test]
    fn a_ring_of_cliques_is_found_across_levels() {
        let k = 8u32;
        let size = 6u32;
        let mut edges = Vec::new();
        for c in 0..k {
            edges.extend(clique(c * size..(c + 1) * size));
            edges.push(((c + 1) * size - 1, ((c + 1) % k) * size, 1.0));
        }
        let p = louvain((k * size) as usize, edges);
        assert_eq!(p.sizes.len(), k as usize, "{:?}", p.sizes);
        for c in 0..k {
            let first = p.community[(c * size) as usize];
            for i in c * size..(c + 1) * size {
                assert_eq!(p.community[i as usize], first);
            }
        }
        assert!(p.modularity > 0.7, "{}", p.modularity);
    }

    #[test]
    fn an_empty_graph_has_no_communities() {
        let p = louvain(3, Vec::new());
        assert!(p.sizes.is_empty());
        assert!(p.community.iter().all(|&c| c == NONE));
        assert_eq!(p.modularity, 0.0);
    }
}
