//! PageRank kept fresh on a changing weighted digraph by local pushes.
//!
//! With uniform teleportation and dangling rank spread uniformly (networkx's
//! defaults), PageRank is proportional to the solution `y` of
//! `y = 1 + α·Aᵀ·y`, where `A` holds the weight-normalised out-edges and
//! dangling rows are zero: both the teleport and the dangling terms are the
//! same constant for every node, so they only change the scale. We keep an
//! estimate `p` and a residual `r` with the invariant
//! `r = 1 + α·Aᵀ·p − p`, so that `y = p + (I − α·Aᵀ)⁻¹·r`:
//!
//! * a *push* at `x` moves `r[x]` into `p[x]` and `α·r[x]·A[x, ·]` into the
//!   residuals of its out-neighbours;
//! * adding weight to `u → v` changes row `u` only. When the new weight is at
//!   most `u`'s current out-weight `S`, rescaling `p[u]` by `(S + w) / S`
//!   leaves every old neighbour's inflow unchanged, so only `r[u]` and `r[v]`
//!   move (O(1)); otherwise the row change is applied to each neighbour's
//!   residual directly (O(out-degree));
//! * removing nodes rescales their in-neighbours' `p` the same way and takes
//!   their own outflow back from their out-neighbours' residuals.
//!
//! A node is pushed when its residual exceeds `ε·max(p[x], 1)`: a relative
//! tolerance, so a node's own estimate is off by at most a share `ε` of it,
//! and the total residual (hence the L1 error of the normalised ranks, up to
//! a factor `1 / (1 − α)`) stays below `ε·(Σp + N)`. The rank of `x` is
//! `(p[x] + r[x]) / Σ(p + r)`: counting a node's own pending residual removes
//! the largest part of the error on the accounts that matter most, whose
//! residual only ever grows from inflow.
//!
//! The per-node state that pushes touch (estimate, residual, out-weight,
//! out-edges) lives in one 64-byte record so that a push costs about one
//! cache miss per neighbour.

use std::collections::VecDeque;

use hashbrown::HashMap;

/// Out-degree above which a node's out-edges get a hash index.
const INDEX_ABOVE: usize = 32;

/// How many out-edges ahead a push asks the CPU to fetch the target's record.
const PREFETCH_AHEAD: usize = 4;

/// Hints the CPU to bring `node` into cache (pushes visit targets in random order).
#[inline(always)]
fn prefetch(node: &Node) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of the x86_64 baseline, and a prefetch is only
        // a hint: it reads nothing and cannot fault, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((node as *const Node).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = node;
}

/// The state of one node slot, one cache line.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Node {
    p: f64,
    r: f64,
    strength: f64,
    out: Vec<(u32, f32)>,
    index: Option<Box<HashMap<u32, u32>>>,
    queued: bool,
    live: bool,
}

impl Node {
    fn position(&self, target: u32) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(&target).map(|&i| i as usize),
            None => self.out.iter().position(|&(t, _)| t == target),
        }
    }

    fn rebuild_index(&mut self) {
        self.index = (self.out.len() > INDEX_ABOVE)
            .then(|| Box::new(self.out.iter().enumerate().map(|(i, &(t, _))| (t, i as u32)).collect()));
    }

    fn push_edge(&mut self, target: u32, weight: f32) {
        self.out.push((target, weight));
        let at = self.out.len() - 1;
        match &mut self.index {
            Some(index) => {
                index.insert(target, at as u32);
            }
            None if self.out.len() > INDEX_ABOVE => self.rebuild_index(),
            None => {}
        }
    }

    fn recompute_strength(&mut self) -> f64 {
        self.strength = self.out.iter().map(|&(_, w)| w as f64).sum();
        self.strength
    }
}

/// Incremental PageRank over node slots `0..capacity`.
#[derive(Debug)]
pub(crate) struct IncrementalPageRank {
    alpha: f64,
    eps: f64,
    nodes: Vec<Node>,
    inn: Vec<Vec<u32>>,
    queue: VecDeque<u32>,
    /// Σ (p + r) over live nodes: the normaliser of the ranks.
    mass: f64,
    live: usize,
    edges: usize,
}

impl IncrementalPageRank {
    /// An empty graph with damping `alpha` and relative residual tolerance `eps`.
    pub(crate) fn new(alpha: f64, eps: f64) -> Self {
        IncrementalPageRank {
            alpha,
            eps,
            nodes: Vec::new(),
            inn: Vec::new(),
            queue: VecDeque::new(),
            mass: 0.0,
            live: 0,
            edges: 0,
        }
    }

    pub(crate) fn node_count(&self) -> usize {
        self.live
    }

    pub(crate) fn edge_count(&self) -> usize {
        self.edges
    }

    /// Brings slot `x` to life as a node without edges.
    pub(crate) fn add_node(&mut self, x: u32) {
        let i = x as usize;
        if i >= self.nodes.len() {
            self.nodes.resize_with(i + 1, Node::default);
            self.inn.resize_with(i + 1, Vec::new);
        }
        debug_assert!(!self.nodes[i].live);
        self.nodes[i] = Node { r: 1.0, live: true, ..Node::default() };
        self.mass += 1.0;
        self.live += 1;
        self.enqueue(x);
    }

    /// Adds `weight` to the edge `u → v` (creating it); [`IncrementalPageRank::refresh`]
    /// then brings ranks up to date.
    pub(crate) fn add_weight(&mut self, u: u32, v: u32, weight: f64) {
        let (ui, vi) = (u as usize, v as usize);
        let node = &mut self.nodes[ui];
        let old_s = node.strength;
        let (old_w, new_w) = match node.position(v) {
            Some(at) => {
                let old = node.out[at].1;
                let new = (old as f64 + weight) as f32;
                node.out[at].1 = new;
                (old as f64, new as f64)
            }
            None => {
                let new = weight as f32;
                node.push_edge(v, new);
                self.inn[vi].push(u);
                self.edges += 1;
                (0.0, new as f64)
            }
        };
        let delta = new_w - old_w;
        if delta <= 0.0 || !delta.is_finite() {
            return;
        }
        let new_s = old_s + delta;
        node.strength = new_s;
        let pu = node.p;
        if old_s <= 0.0 {
            // Row u was empty (dangling): it becomes all-v.
            self.nodes[vi].r += self.alpha * pu;
            self.mass += self.alpha * pu;
        } else if delta <= old_s {
            let scaled = pu * new_s / old_s;
            node.p = scaled;
            node.r -= scaled - pu;
            let inflow = self.alpha * pu * delta / old_s;
            self.nodes[vi].r += inflow;
            self.mass += inflow;
        } else {
            let a = self.alpha * pu;
            let out = std::mem::take(&mut self.nodes[ui].out);
            for &(t, w) in &out {
                let w = w as f64;
                let before = if t == v { old_w / old_s } else { w / old_s };
                let change = a * (w / new_s - before);
                self.nodes[t as usize].r += change;
                self.mass += change;
                self.mass += change;
                self.enqueue(t);
            }
            self.nodes[ui].out = out;
        }
        self.enqueue(u);
        self.enqueue(v);
    }

    /// Removes the given live nodes and every edge touching them, then pushes until fresh.
    pub(crate) fn remove_nodes(&mut self, victims: &[u32]) {
        let mut gone = vec![false; self.nodes.len()];
        for &x in victims {
            gone[x as usize] = true;
        }
        let mut sources = Vec::new();
        let mut targets = Vec::new();
        for &x in victims {
            let xi = x as usize;
            let out = std::mem::take(&mut self.nodes[xi].out);
            let s = self.nodes[xi].strength;
            let share = if s > 0.0 { self.alpha * self.nodes[xi].p / s } else { 0.0 };
            for &(t, w) in &out {
                if !gone[t as usize] {
                    self.nodes[t as usize].r -= share * w as f64;
                    self.mass -= share * w as f64;
                    targets.push(t);
                }
            }
            self.edges -= out.len();
            sources.extend(self.inn[xi].iter().copied().filter(|&u| !gone[u as usize]));
        }
        sources.sort_unstable();
        sources.dedup();
        targets.sort_unstable();
        targets.dedup();
        for &u in &sources {
            let node = &mut self.nodes[u as usize];
            let before = node.out.len();
            node.out.retain(|&(t, _)| !gone[t as usize]);
            self.edges -= before - node.out.len();
            node.rebuild_index();
            let old_s = node.strength;
            let new_s = node.recompute_strength();
            if old_s > 0.0 {
                let pu = node.p;
                let scaled = pu * new_s / old_s;
                node.p = scaled;
                node.r += pu - scaled;
            }
            self.enqueue(u);
        }
        for &t in &targets {
            self.inn[t as usize].retain(|&s| !gone[s as usize]);
            self.enqueue(t);
        }
        for &x in victims {
            let xi = x as usize;
            self.mass -= self.nodes[xi].p + self.nodes[xi].r;
            self.nodes[xi] = Node::default();
            self.inn[xi] = Vec::new();
            self.live -= 1;
        }
        self.drain();
    }

    /// Multiplies every edge weight by `factor`, dropping edges that fall
    /// below `forget_below`, then pushes until fresh.
    ///
    /// A uniform factor alone leaves every transition unchanged; dropped
    /// edges (and rounding in `f32`) change some rows, whose difference is
    /// applied to the residuals like any other row change.
    pub(crate) fn rescale(&mut self, factor: f64, forget_below: f64) {
        let mut dropped: Vec<(u32, u32)> = Vec::new();
        let mut touched: Vec<(u32, f64)> = Vec::new();
        for u in 0..self.nodes.len() {
            let node = &mut self.nodes[u];
            if node.out.is_empty() {
                continue;
            }
            let old_s = node.strength;
            let old: Vec<f32> = node.out.iter().map(|&(_, w)| w).collect();
            for e in &mut node.out {
                let w = (e.1 as f64 * factor) as f32;
                e.1 = if (w as f64) < forget_below { 0.0 } else { w };
            }
            let new_s = node.recompute_strength();
            let a = self.alpha * node.p;
            for (&(t, w), &was) in node.out.iter().zip(&old) {
                let before = if old_s > 0.0 { was as f64 / old_s } else { 0.0 };
                let after = if new_s > 0.0 { w as f64 / new_s } else { 0.0 };
                if before != after {
                    touched.push((t, a * (after - before)));
                }
                if w == 0.0 {
                    dropped.push((t, u as u32));
                }
            }
            let before = node.out.len();
            node.out.retain(|&(_, w)| w > 0.0);
            if node.out.len() != before {
                self.edges -= before - node.out.len();
                node.rebuild_index();
            }
        }
        dropped.sort_unstable();
        for group in dropped.chunk_by(|a, b| a.0 == b.0) {
            let t = group[0].0 as usize;
            self.inn[t].retain(|s| group.binary_search_by_key(s, |&(_, s)| s).is_err());
        }
        for (t, change) in touched {
            self.nodes[t as usize].r += change;
            self.mass += change;
            self.enqueue(t);
        }
        self.drain();
    }

    /// The current rank of `x` (ranks of live nodes sum to 1). The node's own
    /// unpushed residual counts: it is already part of its value.
    pub(crate) fn rank(&self, x: u32) -> f64 {
        if self.mass > 0.0 {
            let node = &self.nodes[x as usize];
            (node.p + node.r) / self.mass
        } else {
            0.0
        }
    }

    /// Pushes every residual above `eps` (relative, like the running
    /// tolerance, and at most it), then recomputes the rank total exactly.
    pub(crate) fn settle(&mut self, eps: f64) {
        let running = self.eps;
        self.eps = eps.min(running);
        for x in 0..self.nodes.len() as u32 {
            if self.nodes[x as usize].live {
                self.enqueue(x);
            }
        }
        self.drain();
        self.eps = running;
        self.mass = self.nodes.iter().map(|n| n.p + n.r).sum();
    }

    /// Out-edges of `x` with their current weights.
    pub(crate) fn out_edges(&self, x: u32) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.nodes[x as usize].out.iter().map(|&(t, w)| (t, w as f64))
    }

    /// Out-degree and in-degree of `x`.
    pub(crate) fn degrees(&self, x: u32) -> (usize, usize) {
        (self.nodes[x as usize].out.len(), self.inn[x as usize].len())
    }

    /// Bytes held in slot arrays and edge lists, roughly.
    pub(crate) fn approx_bytes(&self) -> usize {
        let slots =
            self.nodes.capacity() * std::mem::size_of::<Node>() + self.inn.capacity() * std::mem::size_of::<Vec<u32>>();
        let lists: usize = self
            .nodes
            .iter()
            .map(|n| n.out.capacity() * 8 + n.index.as_ref().map_or(0, |i| i.capacity() * 9 + 32))
            .sum::<usize>()
            + self.inn.iter().map(|i| i.capacity() * 4).sum::<usize>();
        slots + lists + self.queue.capacity() * 4
    }

    /// Pushes every residual above the tolerance.
    pub(crate) fn refresh(&mut self) {
        self.drain();
    }

    fn enqueue(&mut self, x: u32) {
        let eps = self.eps;
        let node = &mut self.nodes[x as usize];
        if !node.queued && node.r.abs() > eps * node.p.max(1.0) {
            node.queued = true;
            self.queue.push_back(x);
        }
    }

    fn drain(&mut self) {
        let eps = self.eps;
        while let Some(x) = self.queue.pop_front() {
            let node = &mut self.nodes[x as usize];
            node.queued = false;
            let m = node.r;
            if !node.live || m.abs() <= eps * node.p.max(1.0) {
                continue;
            }
            node.r = 0.0;
            node.p += m;
            if node.strength <= 0.0 {
                continue;
            }
            let share = self.alpha * m / node.strength;
            self.mass += self.alpha * m;
            let out = std::mem::take(&mut node.out);
            for (k, &(t, w)) in out.iter().enumerate() {
                if let Some(&(ahead, _)) = out.get(k + PREFETCH_AHEAD) {
                    prefetch(&self.nodes[ahead as usize]);
                }
                let target = &mut self.nodes[t as usize];
                target.r += share * w as f64;
                if !target.queued && target.r.abs() > eps * target.p.max(1.0) {
                    target.queued = true;
                    self.queue.push_back(t);
                }
            }
            self.nodes[x as usize].out = out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{pagerank, EdgeList, PageRankOptions};

    fn check_against_batch(pr: &mut IncrementalPageRank, edges: &[(u32, u32, f64)], n: u32, tol: f64) {
        pr.refresh();
        let mut list = EdgeList::new();
        for x in 0..n {
            if pr.nodes[x as usize].live {
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
        assert!(pr.nodes[0].index.is_some());
        pr.rescale(1.0 / 1024.0, 0.0);
        check_against_batch(&mut pr, &edges, n, 1e-9);
        // Edges scaled below the threshold are forgotten, and ranks follow.
        pr.add_weight(1, 2, 1e-9);
        pr.rescale(0.5, 1e-9);
        assert_eq!(pr.edge_count(), edges.len() - (n as usize - 1));
        let halved: Vec<_> = edges.iter().map(|&(s, t, w)| (s, t, w / 2048.0)).collect();
        check_against_batch(&mut pr, &halved, n, 1e-9);
    }
}
