//! The interaction graph of one workspace: absorbing mentions, decay, eviction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use veille_config::GraphConfig;
use veille_model::{Mention, Platform};

use crate::authors::{Author, Authors, NO_COMMUNITY};
use crate::clock::Clock;
use crate::community::{CommunitySnapshot, DetectedCommunities};
use crate::compact::CompactStr;
use crate::error::GraphError;
use crate::incremental::IncrementalPageRank;
use crate::recent::minute;
use crate::samples::SampleKey;
use crate::score::{Raw, Scorer};

/// Stored weight below which an edge is forgotten when the decay reference
/// moves (about 32 half-lives after the interaction).
const FORGET_BELOW: f64 = 2.3283064365386963e-10; // 2^-32

/// An author of the graph, by platform and handle.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AuthorRef {
    /// Where the account lives.
    pub platform: Platform,
    /// The handle as first seen (handles compare without regard to case).
    pub handle: String,
}

/// A directed interaction edge with its current (decayed) weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// Who replied, quoted, reposted or mentioned.
    pub source: AuthorRef,
    /// Who was replied to, quoted, reposted or mentioned.
    pub target: AuthorRef,
    /// Sum of the interactions' weights, each decayed to the graph's latest event time.
    pub weight: f64,
}

/// Size and state of one workspace's graph, for metrics and health pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphStats {
    /// Authors held now.
    pub authors: usize,
    /// Directed author-to-author edges held now.
    pub edges: usize,
    /// Authors evicted since the graph was created.
    pub evicted_authors: u64,
    /// Mentions absorbed since the graph was created.
    pub mentions: u64,
    /// Distinct watch names seen in tags.
    pub watches: usize,
    /// Rough heap and table footprint, in bytes.
    pub approx_memory_bytes: usize,
    /// The latest event time seen.
    pub latest_event: Option<DateTime<Utc>>,
    /// When communities were last computed (event time).
    pub communities_computed_at: Option<DateTime<Utc>>,
    /// Communities found then (authors without interactions belong to none).
    pub communities: usize,
    /// PageRank pushes made since the graph was created (the work of keeping ranks fresh).
    pub pagerank_pushes: u64,
    /// Out-edges those pushes visited.
    pub pagerank_edge_visits: u64,
}

/// When communities were last computed and how good the split was.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CommunityRun {
    pub(crate) at: i64,
    pub(crate) modularity: f64,
    pub(crate) count: usize,
}

/// The streaming author interaction graph of one workspace.
///
/// Feed it every mention of the workspace with [`InteractionGraph::observe`];
/// query it with [`InteractionGraph::key_nodes`] and
/// [`InteractionGraph::communities`]. See the crate documentation for the
/// model (edges, decay, eviction, ranking).
#[derive(Debug)]
pub struct InteractionGraph {
    pub(crate) cfg: GraphConfig,
    pub(crate) scorer: Scorer,
    pub(crate) authors: Authors,
    pub(crate) pr: IncrementalPageRank,
    pub(crate) clock: Clock,
    pub(crate) watch_names: Vec<String>,
    pub(crate) last_communities: Option<CommunityRun>,
    last_snapshot_at: Option<i64>,
    mentions: u64,
    evicted: u64,
    targets: Vec<(u32, f64)>,
    tag_ids: Vec<u16>,
}

impl InteractionGraph {
    /// An empty graph with the given settings.
    pub fn new(config: &GraphConfig) -> Result<Self, GraphError> {
        config.validate()?;
        Ok(InteractionGraph {
            cfg: config.clone(),
            scorer: Scorer::new(&config.score),
            authors: Authors::default(),
            pr: IncrementalPageRank::new(config.damping, config.pagerank_tolerance),
            clock: Clock::new(config.half_life_hours * 3600.0),
            watch_names: Vec::new(),
            last_communities: None,
            last_snapshot_at: None,
            mentions: 0,
            evicted: 0,
            targets: Vec::new(),
            tag_ids: Vec::new(),
        })
    }

    /// Absorbs a mention and stamps `mention.scores.key_node` with its
    /// author's workspace-wide key-node score after the mention counted.
    ///
    /// Returns that score, or `None` (leaving the mention untouched) when the
    /// author has neither handle nor id.
    pub fn observe(&mut self, mention: &mut Mention) -> Option<f64> {
        let author = self.absorb(mention)?;
        let score = self.raw(author, None).map(|raw| self.scorer.score(raw)).unwrap_or(0.0);
        mention.scores.key_node = Some(score);
        Some(score)
    }

    /// The workspace-wide key-node score of an author, if the graph holds it.
    pub fn key_node_score(&self, platform: Platform, handle: &str) -> Option<f64> {
        let x = self.authors.find(platform, handle)?;
        self.raw(x, None).map(|raw| self.scorer.score(raw))
    }

    /// The PageRank of every author (summing to 1), highest first.
    pub fn ranks(&self) -> Vec<(AuthorRef, f64)> {
        let mut ranks: Vec<(AuthorRef, f64)> =
            self.authors.live().map(|(x, a)| (author_ref(a), self.pr.rank(x))).collect();
        ranks.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.handle.cmp(&b.0.handle)));
        ranks
    }

    /// Every edge with its current weight.
    pub fn interactions(&self) -> Vec<Interaction> {
        let d = self.clock.deflation();
        let mut out = Vec::with_capacity(self.pr.edge_count());
        for (x, a) in self.authors.live() {
            for (t, w) in self.pr.out_edges(x) {
                out.push(Interaction {
                    source: author_ref(a),
                    target: author_ref(&self.authors.slots[t as usize]),
                    weight: w * d,
                });
            }
        }
        out
    }

    /// Pushes PageRank residuals down to `tolerance` (in the units of
    /// `[graph] pagerank_tolerance`) for an exact-as-needed ranking, e.g.
    /// before an evaluation. Ingest keeps the configured tolerance anyway.
    pub fn settle(&mut self, tolerance: f64) {
        self.pr.settle(tolerance);
    }

    /// Recomputes communities now, on this thread (Louvain on the undirected
    /// graph); see [`InteractionGraph::community_snapshot`] to run it elsewhere.
    pub fn refresh_communities(&mut self) {
        let detected = self.community_snapshot().detect();
        self.apply_communities(detected);
    }

    /// Whether `[graph] communities_every_s` of event time have passed since
    /// the last snapshot (always false when that setting is 0).
    pub fn communities_due(&self) -> bool {
        let every = self.cfg.communities_every_s as i64;
        match (every > 0, self.clock.now(), self.last_snapshot_at) {
            (false, _, _) | (_, None, _) => false,
            (true, Some(_), None) => self.pr.edge_count() > 0,
            (true, Some(now), Some(at)) => now >= at.saturating_add(every),
        }
    }

    /// Copies the edges for community detection and restarts the schedule.
    pub fn community_snapshot(&mut self) -> CommunitySnapshot {
        let at = self.clock.now().unwrap_or(0);
        self.last_snapshot_at = Some(at);
        let mut edges = Vec::with_capacity(self.pr.edge_count());
        for (x, _) in self.authors.live() {
            edges.extend(self.pr.out_edges(x).map(|(t, w)| (x, t, w)));
        }
        CommunitySnapshot { generations: self.authors.slots.iter().map(|a| a.generation).collect(), edges, at }
    }

    /// Records communities detected on a snapshot of this graph. Authors who
    /// arrived since the snapshot belong to no community until the next one.
    pub fn apply_communities(&mut self, detected: DetectedCommunities) {
        let partition = &detected.partition;
        for (x, slot) in self.authors.slots.iter_mut().enumerate() {
            slot.community = match detected.generations.get(x) {
                Some(&g) if g == slot.generation => partition.community[x],
                _ => NO_COMMUNITY,
            };
        }
        self.last_communities =
            Some(CommunityRun { at: detected.at, modularity: partition.modularity, count: partition.sizes.len() });
    }

    /// Size and state of the graph.
    pub fn stats(&self) -> GraphStats {
        GraphStats {
            authors: self.authors.len(),
            edges: self.pr.edge_count(),
            evicted_authors: self.evicted,
            mentions: self.mentions,
            watches: self.watch_names.len(),
            approx_memory_bytes: self.authors.approx_bytes()
                + self.pr.approx_bytes()
                + self.watch_names.iter().map(|w| w.len() + 24).sum::<usize>(),
            latest_event: self.clock.now().and_then(to_time),
            communities_computed_at: self.last_communities.and_then(|c| to_time(c.at)),
            communities: self.last_communities.map_or(0, |c| c.count),
            pagerank_pushes: self.pr.work().0,
            pagerank_edge_visits: self.pr.work().1,
        }
    }

    /// Updates the graph with one mention; returns its author's slot.
    fn absorb(&mut self, m: &Mention) -> Option<u32> {
        let handle = identity(&m.author.handle).or_else(|| m.author.id.as_deref().and_then(identity))?;
        let t = m.created_at.timestamp();
        if let Some(factor) = self.clock.observe(t) {
            self.pr.rescale(factor, FORGET_BELOW);
            self.authors.slots.iter_mut().for_each(|a| a.multiply(factor));
        }
        self.mentions += 1;
        self.collect_watches(m);
        let u = self.intern(m.platform(), handle);
        self.collect_targets(m, u);
        // Every author this mention updates is known now: ask for their memory
        // all at once, so that the cache misses overlap instead of queueing.
        for x in std::iter::once(u).chain(self.targets.iter().map(|&(v, _)| v)) {
            self.authors.prefetch(x);
            self.pr.prefetch_node(x);
        }
        let keep = self.cfg.samples_per_author;
        let at = Moment {
            t,
            minute: minute(t),
            inflation: self.clock.inflation(t),
            key: (keep > 0).then(|| SampleKey::new(m.key().as_str())),
            keep,
        };
        self.credit_author(u, handle, m, &at);
        self.credit_targets(u, &at);
        self.pr.refresh();
        self.evict_if_needed(u);
        Some(u)
    }

    /// The watches the mention is tagged with, each once, into `tag_ids`.
    fn collect_watches(&mut self, m: &Mention) {
        self.tag_ids.clear();
        for tag in &m.tags {
            if let Some(id) = self.watch_id(&tag.watch) {
                if !self.tag_ids.contains(&id) {
                    self.tag_ids.push(id);
                }
            }
        }
    }

    /// The accounts the mention replies to, quotes, reposts or @mentions (not its author), each
    /// once with its largest weight, into `targets`.
    fn collect_targets(&mut self, m: &Mention, u: u32) {
        let platform = m.platform();
        self.targets.clear();
        let ew = self.cfg.edge_weights;
        let refs = [(&m.reply_to, ew.reply), (&m.quote_of, ew.quote), (&m.repost_of, ew.repost)];
        let referenced = refs.into_iter().filter_map(|(r, w)| Some((r.as_ref()?.author.as_deref()?, w)));
        let mentioned = m.mentions.iter().map(|h| (h.as_str(), ew.mention));
        for (h, w) in referenced.chain(mentioned) {
            let Some(h) = identity(h) else { continue };
            let v = self.intern(platform, h);
            if v == u || w <= 0.0 {
                continue;
            }
            match self.targets.iter_mut().find(|(t, _)| *t == v) {
                Some(existing) => existing.1 = existing.1.max(w),
                None => self.targets.push((v, w)),
            }
        }
    }

    /// What the mention adds to its author: profile, activity, engagement, samples, per watch too.
    fn credit_author(&mut self, u: u32, handle: &str, m: &Mention, at: &Moment) {
        let reported = m.engagement.total() as f64;
        let engagement = (reported * at.inflation) as f32;
        let g = at.inflation as f32;
        let a = &mut self.authors.slots[u as usize];
        if !a.handle.is(handle) {
            // The author's own spelling wins over how others wrote it.
            a.handle = CompactStr::new(handle);
        }
        if let Some(name) = m.author.display_name.as_deref() {
            if !a.display_name.as_ref().is_some_and(|d| d.is(name)) {
                a.display_name = Some(CompactStr::new(name));
            }
        }
        if let Some(f) = m.author.followers {
            a.followers = Some(u32::try_from(f).unwrap_or(u32::MAX));
        }
        a.activity += g;
        a.engagement += engagement;
        a.recent.add(at.minute, 1.0, reported as f32);
        a.last_seen = a.last_seen.max(at.t);
        if let Some(key) = &at.key {
            a.samples.remember(key, at.keep);
        }
        for &w in &self.tag_ids {
            let s = a.watch_mut(w);
            s.activity += g;
            s.engagement += engagement;
            s.recent.add(at.minute, 1.0, reported as f32);
            if let Some(key) = &at.key {
                s.samples.remember(key, at.keep);
            }
        }
    }

    /// What the mention's interactions add to the accounts they reach: edge weight and
    /// engagement received (and a sample for an account that has not written yet).
    fn credit_targets(&mut self, u: u32, at: &Moment) {
        for k in 0..self.targets.len() {
            let (v, w) = self.targets[k];
            let stored = w * at.inflation;
            self.pr.add_weight(u, v, stored);
            let b = &mut self.authors.slots[v as usize];
            b.engagement += stored as f32;
            b.recent.add(at.minute, 0.0, w as f32);
            b.last_seen = b.last_seen.max(at.t);
            if let (Some(key), true) = (&at.key, b.activity <= 0.0) {
                b.samples.remember(key, at.keep);
            }
            for &wid in &self.tag_ids {
                let s = b.watch_mut(wid);
                s.engagement += stored as f32;
                s.recent.add(at.minute, 0.0, w as f32);
                if let (Some(key), true) = (&at.key, s.activity <= 0.0) {
                    s.samples.remember(key, at.keep);
                }
            }
        }
    }

    fn intern(&mut self, platform: Platform, handle: &str) -> u32 {
        let (x, new) = self.authors.intern(platform, handle);
        if new {
            self.pr.add_node(x);
        }
        x
    }

    fn watch_id(&mut self, name: &str) -> Option<u16> {
        if let Some(i) = self.watch_names.iter().position(|w| w == name) {
            return u16::try_from(i).ok();
        }
        let id = u16::try_from(self.watch_names.len()).ok()?;
        self.watch_names.push(name.to_string());
        Some(id)
    }

    /// Evicts the coldest authors (never `keep`) when a bound is exceeded,
    /// down to 90 % of each bound.
    fn evict_if_needed(&mut self, keep: u32) {
        let (max_a, max_e) = (self.cfg.max_authors, self.cfg.max_edges);
        if self.authors.len() <= max_a && self.pr.edge_count() <= max_e {
            return;
        }
        let (target_a, target_e) = (max_a - max_a / 10, max_e - max_e / 10);
        let mut candidates: Vec<(f32, i64, u32)> =
            self.authors.live().filter(|&(x, _)| x != keep).map(|(x, a)| (a.heat(), a.last_seen, x)).collect();
        candidates.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut authors_left = self.authors.len();
        let mut edges_left = self.pr.edge_count();
        let mut victims = Vec::new();
        for (_, _, x) in candidates {
            if authors_left <= target_a && edges_left <= target_e {
                break;
            }
            let (out, inn) = self.pr.degrees(x);
            authors_left -= 1;
            edges_left = edges_left.saturating_sub(out + inn);
            victims.push(x);
        }
        self.pr.remove_nodes(&victims);
        for &x in &victims {
            self.authors.remove(x);
        }
        self.evicted += victims.len() as u64;
    }

    /// Raw score inputs of slot `x`, workspace-wide or within a watch.
    pub(crate) fn raw(&self, x: u32, watch: Option<u16>) -> Option<Raw> {
        let a: &Author = &self.authors.slots[x as usize];
        a.platform?;
        let (engagement, activity) = match watch {
            None => (a.engagement, a.activity),
            Some(w) => {
                let s = a.watch(w)?;
                (s.engagement, s.activity)
            }
        };
        let d = self.clock.deflation();
        Some(Raw {
            centrality: self.pr.rank(x) * self.pr.node_count() as f64,
            reach: a.followers.map_or(0.0, f64::from),
            engagement: engagement as f64 * d,
            activity: activity as f64 * d,
        })
    }
}

/// A usable handle: trimmed, without a leading `@`, not empty.
fn identity(handle: &str) -> Option<&str> {
    let h = handle.trim();
    let h = h.strip_prefix('@').unwrap_or(h).trim();
    (!h.is_empty()).then_some(h)
}

pub(crate) fn author_ref(a: &Author) -> AuthorRef {
    AuthorRef { platform: a.platform.unwrap_or(Platform::Web), handle: a.handle.to_string() }
}

pub(crate) fn to_time(t: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t, 0)
}

/// When a mention happened, as each step of absorbing it needs it.
struct Moment {
    /// Unix seconds.
    t: i64,
    /// Its minute (for the recent-activity buckets).
    minute: u32,
    /// The clock's inflation at `t`: newer interactions are stored larger instead of older
    /// ones decayed.
    inflation: f64,
    /// Its key, when samples are kept.
    key: Option<SampleKey>,
    /// Samples kept per author.
    keep: usize,
}
