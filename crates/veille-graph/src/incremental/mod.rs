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
//! A node is pushed when its residual exceeds `ε·max(p[x], S[x] / (α·w[x]))`,
//! where `S[x]` is its out-weight and `w[x]` its heaviest out-edge: pushing
//! sends each out-neighbour `t` the share `α·r[x]·w(x→t)/S[x]`, so a residual
//! left below that threshold would move no neighbour by more than `ε` times
//! the larger of the teleport term (1) and what `x` now sends it. This is
//! the degree-scaled threshold of Andersen, Chung and Lang's local push: the
//! work of a push (its out-degree) is paid only for a residual that matters
//! to some neighbour. The rank of `x` is `(p[x] + r[x]) / Σ(p + r)`: a node's
//! own pending residual is already part of its value, so the error left on
//! an author is what its in-neighbours still hold back, which the threshold
//! bounds per in-neighbour.
//!
//! Pushes visit out-neighbours in random order, so what they touch there (the
//! residual, the push threshold `ε·max(p, 1)` and the queue flag) lives in a
//! dense array of 16-byte records, four to a cache line; the estimate, the
//! out-weight and the out-edges, read once per push, live apart.

use std::collections::VecDeque;

use hashbrown::HashMap;

use crate::prefetch::{prefetch, prefetch_all};

/// Out-degree above which a node's out-edges get a hash index.
const INDEX_ABOVE: usize = 32;

/// How many out-edges ahead a push asks the CPU to fetch the target's record.
const PREFETCH_AHEAD: usize = 8;

/// What a push touches on an out-neighbour.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(16))]
struct Residual {
    r: f64,
    /// The residual above which the node is pushed (see [`IncrementalPageRank::relimit`]).
    limit: f32,
    queued: bool,
    live: bool,
}

impl Residual {
    #[inline(always)]
    fn due(&self) -> bool {
        self.r.abs() > self.limit as f64
    }
}

/// The estimate and out-edges of one node.
#[derive(Debug, Default)]
struct Row {
    p: f64,
    strength: f64,
    /// The heaviest out-edge's weight.
    heaviest: f32,
    out: Vec<(u32, f32)>,
    index: Option<Box<HashMap<u32, u32>>>,
}

impl Row {
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
        self.heaviest = self.out.iter().map(|&(_, w)| w).fold(0.0, f32::max);
        self.strength
    }
}

/// Incremental PageRank over node slots `0..capacity`.
#[derive(Debug)]
pub(crate) struct IncrementalPageRank {
    alpha: f64,
    eps: f64,
    res: Vec<Residual>,
    rows: Vec<Row>,
    /// In-degree of each node (in-neighbours are found by a scan when nodes are removed).
    in_degree: Vec<u32>,
    queue: VecDeque<u32>,
    /// Σ (p + r) over live nodes: the normaliser of the ranks.
    mass: f64,
    live: usize,
    edges: usize,
    /// Pushes and out-edges visited by them since creation.
    work: (u64, u64),
}

impl IncrementalPageRank {
    /// An empty graph with damping `alpha` and relative residual tolerance `eps`.
    pub(crate) fn new(alpha: f64, eps: f64) -> Self {
        IncrementalPageRank {
            alpha,
            eps,
            res: Vec::new(),
            rows: Vec::new(),
            in_degree: Vec::new(),
            queue: VecDeque::new(),
            mass: 0.0,
            live: 0,
            edges: 0,
            work: (0, 0),
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
        if i >= self.rows.len() {
            self.res.resize_with(i + 1, Residual::default);
            self.rows.resize_with(i + 1, Row::default);
            self.in_degree.resize(i + 1, 0);
        }
        debug_assert!(!self.res[i].live);
        self.rows[i] = Row::default();
        self.res[i] = Residual { r: 1.0, limit: f32::INFINITY, queued: false, live: true };
        self.mass += 1.0;
        self.live += 1;
        self.enqueue(x);
    }

    /// Sets the estimate of `x` and the push threshold that follows from it.
    #[inline(always)]
    fn set_p(&mut self, x: usize, p: f64) {
        self.rows[x].p = p;
        self.relimit(x);
    }

    /// Recomputes the push threshold of `x`: `ε·max(p, S / (α·w_max))`, where
    /// `S` is its out-weight and `w_max` its heaviest out-edge, so that a
    /// residual left on `x` would move none of its out-neighbours by more than
    /// `ε` times the larger of the teleport term (1) and what `x` now sends
    /// them. A node without out-edges has nothing to push.
    #[inline(always)]
    fn relimit(&mut self, x: usize) {
        let row = &self.rows[x];
        self.res[x].limit = if row.strength > 0.0 && row.heaviest > 0.0 {
            let spread = row.strength / (self.alpha * row.heaviest as f64);
            (self.eps * row.p.max(spread)) as f32
        } else {
            f32::INFINITY
        };
    }

    /// Adds `weight` to the edge `u → v` (creating it); [`IncrementalPageRank::refresh`]
    /// then brings ranks up to date.
    pub(crate) fn add_weight(&mut self, u: u32, v: u32, weight: f64) {
        let (ui, vi) = (u as usize, v as usize);
        let row = &mut self.rows[ui];
        let old_s = row.strength;
        let (old_w, new_w) = match row.position(v) {
            Some(at) => {
                let old = row.out[at].1;
                let new = (old as f64 + weight) as f32;
                row.out[at].1 = new;
                (old as f64, new as f64)
            }
            None => {
                let new = weight as f32;
                row.push_edge(v, new);
                self.in_degree[vi] += 1;
                self.edges += 1;
                (0.0, new as f64)
            }
        };
        let delta = new_w - old_w;
        if delta <= 0.0 || !delta.is_finite() {
            return;
        }
        let new_s = old_s + delta;
        row.strength = new_s;
        row.heaviest = row.heaviest.max(new_w as f32);
        let pu = row.p;
        if old_s <= 0.0 {
            // Row u was empty (dangling): it becomes all-v.
            self.res[vi].r += self.alpha * pu;
            self.mass += self.alpha * pu;
        } else if delta <= old_s {
            let scaled = pu * new_s / old_s;
            self.set_p(ui, scaled);
            self.res[ui].r -= scaled - pu;
            let inflow = self.alpha * pu * delta / old_s;
            self.res[vi].r += inflow;
            self.mass += inflow;
        } else {
            let a = self.alpha * pu;
            let out = std::mem::take(&mut self.rows[ui].out);
            for &(t, w) in &out {
                let w = w as f64;
                let before = if t == v { old_w / old_s } else { w / old_s };
                let change = a * (w / new_s - before);
                self.res[t as usize].r += change;
                self.mass += change;
                self.enqueue(t);
            }
            self.rows[ui].out = out;
        }
        self.relimit(ui);
        self.enqueue(u);
        self.enqueue(v);
    }

    /// Removes the given live nodes and every edge touching them, then pushes until fresh.
    pub(crate) fn remove_nodes(&mut self, victims: &[u32]) {
        let mut gone = vec![false; self.rows.len()];
        for &x in victims {
            gone[x as usize] = true;
        }
        let mut targets = Vec::new();
        for &x in victims {
            let xi = x as usize;
            let out = std::mem::take(&mut self.rows[xi].out);
            let s = self.rows[xi].strength;
            let share = if s > 0.0 { self.alpha * self.rows[xi].p / s } else { 0.0 };
            for &(t, w) in &out {
                if !gone[t as usize] {
                    self.res[t as usize].r -= share * w as f64;
                    self.mass -= share * w as f64;
                    self.in_degree[t as usize] -= 1;
                    targets.push(t);
                }
            }
            self.edges -= out.len();
        }
        // The nodes left with edges to the removed ones: one scan of every row (removals
        // come in batches, so this costs less than keeping in-neighbour lists per node).
        let sources: Vec<u32> = (0..self.rows.len())
            .filter(|&u| self.res[u].live && !gone[u] && self.rows[u].out.iter().any(|&(t, _)| gone[t as usize]))
            .map(|u| u as u32)
            .collect();
        targets.sort_unstable();
        targets.dedup();
        for &u in &sources {
            let ui = u as usize;
            let row = &mut self.rows[ui];
            let before = row.out.len();
            row.out.retain(|&(t, _)| !gone[t as usize]);
            self.edges -= before - row.out.len();
            row.rebuild_index();
            let old_s = row.strength;
            let new_s = row.recompute_strength();
            if old_s > 0.0 {
                let pu = row.p;
                let scaled = pu * new_s / old_s;
                self.rows[ui].p = scaled;
                self.res[ui].r += pu - scaled;
            }
            self.relimit(ui);
            self.enqueue(u);
        }
        for &t in &targets {
            self.enqueue(t);
        }
        for &x in victims {
            let xi = x as usize;
            self.mass -= self.rows[xi].p + self.res[xi].r;
            self.rows[xi] = Row::default();
            self.res[xi] = Residual::default();
            self.in_degree[xi] = 0;
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
        let mut dropped: Vec<u32> = Vec::new();
        let mut touched: Vec<(u32, f64)> = Vec::new();
        let mut old: Vec<f32> = Vec::new();
        for u in 0..self.rows.len() {
            let row = &mut self.rows[u];
            if row.out.is_empty() {
                continue;
            }
            let old_s = row.strength;
            old.clear();
            old.extend(row.out.iter().map(|&(_, w)| w));
            for e in &mut row.out {
                let w = (e.1 as f64 * factor) as f32;
                e.1 = if (w as f64) < forget_below { 0.0 } else { w };
            }
            let new_s = row.recompute_strength();
            let a = self.alpha * row.p;
            for (&(t, w), &was) in row.out.iter().zip(&old) {
                let before = if old_s > 0.0 { was as f64 / old_s } else { 0.0 };
                let after = if new_s > 0.0 { w as f64 / new_s } else { 0.0 };
                if before != after {
                    touched.push((t, a * (after - before)));
                }
                if w == 0.0 {
                    dropped.push(t);
                }
            }
            let before = row.out.len();
            row.out.retain(|&(_, w)| w > 0.0);
            if row.out.len() != before {
                self.edges -= before - row.out.len();
                row.rebuild_index();
            }
            self.relimit(u);
        }
        for t in dropped {
            self.in_degree[t as usize] -= 1;
        }
        for (t, change) in touched {
            self.res[t as usize].r += change;
            self.mass += change;
            self.enqueue(t);
        }
        self.drain();
    }

    /// The current rank of `x` (ranks of live nodes sum to 1). The node's own
    /// unpushed residual counts: it is already part of its value.
    pub(crate) fn rank(&self, x: u32) -> f64 {
        if self.mass > 0.0 {
            let i = x as usize;
            (self.rows[i].p + self.res[i].r) / self.mass
        } else {
            0.0
        }
    }

    /// Pushes every residual above `eps` (relative, like the running
    /// tolerance, and at most it), then recomputes the rank total exactly.
    pub(crate) fn settle(&mut self, eps: f64) {
        let running = self.eps;
        self.eps = eps.min(running);
        self.refresh_limits();
        for x in 0..self.rows.len() as u32 {
            if self.res[x as usize].live {
                self.enqueue(x);
            }
        }
        self.drain();
        self.eps = running;
        self.refresh_limits();
        self.mass = self.rows.iter().zip(&self.res).map(|(row, res)| row.p + res.r).sum();
    }

    fn refresh_limits(&mut self) {
        for x in 0..self.rows.len() {
            if self.res[x].live {
                self.relimit(x);
            }
        }
    }

    /// Pushes made and out-edges they visited since creation.
    pub(crate) fn work(&self) -> (u64, u64) {
        self.work
    }

    /// Out-edges of `x` with their current weights.
    pub(crate) fn out_edges(&self, x: u32) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.rows[x as usize].out.iter().map(|&(t, w)| (t, w as f64))
    }

    /// Asks for what updating `x` touches: its estimate and out-edge list header, and its residual.
    #[inline(always)]
    pub(crate) fn prefetch_node(&self, x: u32) {
        if let (Some(row), Some(res)) = (self.rows.get(x as usize), self.res.get(x as usize)) {
            prefetch_all(row);
            prefetch(res);
        }
    }

    /// Out-degree and in-degree of `x`.
    pub(crate) fn degrees(&self, x: u32) -> (usize, usize) {
        (self.rows[x as usize].out.len(), self.in_degree[x as usize] as usize)
    }

    /// Bytes held in slot arrays and edge lists, roughly.
    pub(crate) fn approx_bytes(&self) -> usize {
        let slots = self.rows.capacity() * std::mem::size_of::<Row>()
            + self.res.capacity() * std::mem::size_of::<Residual>()
            + self.in_degree.capacity() * 4;
        let lists: usize = self
            .rows
            .iter()
            .map(|n| n.out.capacity() * 8 + n.index.as_ref().map_or(0, |i| i.capacity() * 9 + 32))
            .sum::<usize>();
        slots + lists + self.queue.capacity() * 4
    }

    /// Pushes every residual above the tolerance.
    pub(crate) fn refresh(&mut self) {
        self.drain();
    }

    #[inline(always)]
    fn enqueue(&mut self, x: u32) {
        let slot = &mut self.res[x as usize];
        if !slot.queued && slot.due() {
            slot.queued = true;
            self.queue.push_back(x);
        }
    }

    fn drain(&mut self) {
        let alpha = self.alpha;
        while let Some(x) = self.queue.pop_front() {
            // The next node's out-edges, and the row of the one after.
            if let Some(&next) = self.queue.front() {
                if let Some(first) = self.rows[next as usize].out.first() {
                    prefetch(first);
                }
            }
            if let Some(&after) = self.queue.get(1) {
                prefetch(&self.rows[after as usize]);
            }
            let xi = x as usize;
            let slot = &mut self.res[xi];
            slot.queued = false;
            let m = slot.r;
            if !slot.live || !slot.due() {
                continue;
            }
            slot.r = 0.0;
            let p = self.rows[xi].p + m;
            self.set_p(xi, p);
            let row = &self.rows[xi];
            if row.strength <= 0.0 {
                continue;
            }
            let share = alpha * m / row.strength;
            self.work.0 += 1;
            self.work.1 += row.out.len() as u64;
            self.mass += alpha * m;
            let out = &row.out;
            let res = &mut self.res;
            for (k, &(t, w)) in out.iter().enumerate() {
                if let Some(&(ahead, _)) = out.get(k + PREFETCH_AHEAD) {
                    prefetch(&res[ahead as usize]);
                }
                let target = &mut res[t as usize];
                target.r += share * w as f64;
                if !target.queued && target.due() {
                    target.queued = true;
                    self.queue.push_back(t);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
