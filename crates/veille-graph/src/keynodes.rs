//! Queries: top key nodes and communities, workspace-wide or within a watch.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use veille_model::Platform;

use crate::authors::NO_COMMUNITY;
use crate::graph::{author_ref, to_time, AuthorRef, InteractionGraph};
use crate::score::ScoreComponents;

/// Which key nodes to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyNodeQuery {
    /// Only authors who wrote or received mentions this watch matched, scored
    /// on their activity and engagement within it; all authors when `None`.
    pub watch: Option<String>,
    /// Only authors who wrote or were referenced within this span before the
    /// latest event time.
    pub active_within: Option<TimeDelta>,
    /// Most key nodes returned.
    pub limit: usize,
}

impl KeyNodeQuery {
    /// The `limit` highest-scoring authors of the workspace.
    pub fn top(limit: usize) -> Self {
        KeyNodeQuery { watch: None, active_within: None, limit }
    }

    /// Restricts the query to one watch.
    pub fn in_watch(mut self, watch: impl Into<String>) -> Self {
        self.watch = Some(watch.into());
        self
    }

    /// Restricts the query to authors active within `span` of the latest event.
    pub fn active_within(mut self, span: TimeDelta) -> Self {
        self.active_within = Some(span);
        self
    }
}

/// An author ranked by key-node score, with what the score is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyNode {
    /// Where the account lives.
    pub platform: Platform,
    /// The handle as first seen.
    pub handle: String,
    /// The key-node score, in [0, 1].
    pub score: f64,
    /// The components the score combines.
    pub components: ScoreComponents,
    /// The author's community at the last community run, if any.
    pub community: Option<u32>,
    /// Keys of recent mentions written by the author (or, for an author who
    /// wrote none, mentioning them), oldest first.
    pub sample_mentions: Vec<String>,
    /// The latest event time the author wrote or was referenced.
    pub last_seen: Option<DateTime<Utc>>,
}

/// Which communities to describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityQuery {
    /// Only authors active within this watch count; all authors when `None`.
    pub watch: Option<String>,
    /// Most communities returned, largest first.
    pub limit: usize,
    /// Key nodes listed per community.
    pub members: usize,
}

/// One community of authors who interact more among themselves than with others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Community {
    /// The community's id (0 is the largest at the last run).
    pub id: u32,
    /// Authors of the community in the query's scope.
    pub authors: usize,
    /// The community's highest-scoring authors in the query's scope.
    pub key_nodes: Vec<CommunityMember>,
}

/// A key node of a community.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommunityMember {
    /// The author.
    #[serde(flatten)]
    pub author: AuthorRef,
    /// The author's key-node score in the query's scope.
    pub score: f64,
}

/// The communities of a workspace (or of one watch's authors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommunityReport {
    /// Event time of the run the communities come from; `None` when never run.
    pub computed_at: Option<DateTime<Utc>>,
    /// Modularity of the whole partition at that run, in [-0.5, 1].
    pub modularity: Option<f64>,
    /// Communities, largest first in the query's scope.
    pub communities: Vec<Community>,
}

impl InteractionGraph {
    /// The highest-scoring authors matching `query`, best first (ties by handle).
    pub fn key_nodes(&self, query: &KeyNodeQuery) -> Vec<KeyNode> {
        let Some(watch) = self.scope(query.watch.as_deref()) else {
            return Vec::new();
        };
        let since = self.since(query.active_within);
        let mut scored: Vec<(f64, u32)> = self
            .authors
            .live()
            .filter(|(_, a)| a.last_seen >= since)
            .filter_map(|(x, _)| Some((self.scorer.score(self.raw(x, watch)?), x)))
            .collect();
        let order = |a: &(f64, u32), b: &(f64, u32)| {
            b.0.total_cmp(&a.0).then_with(|| {
                let (ha, hb) = (&self.authors.slots[a.1 as usize].handle, &self.authors.slots[b.1 as usize].handle);
                ha.cmp(hb)
            })
        };
        if query.limit < scored.len() {
            if query.limit > 0 {
                scored.select_nth_unstable_by(query.limit - 1, order);
            }
            scored.truncate(query.limit);
        }
        scored.sort_by(order);
        scored.into_iter().filter_map(|(_, x)| self.key_node(x, watch)).collect()
    }

    /// The communities of the last community run, described for `query`.
    ///
    /// Runs are scheduled by `[graph] communities_every_s` or requested with
    /// [`InteractionGraph::refresh_communities`]; authors who arrived since
    /// the last run belong to no community yet.
    pub fn communities(&self, query: &CommunityQuery) -> CommunityReport {
        let mut report = CommunityReport {
            computed_at: self.last_communities.and_then(|c| to_time(c.at)),
            modularity: self.last_communities.map(|c| c.modularity),
            communities: Vec::new(),
        };
        let Some(watch) = self.scope(query.watch.as_deref()) else {
            return report;
        };
        let mut members: Vec<Vec<(f64, u32)>> = Vec::new();
        for (x, a) in self.authors.live() {
            if a.community == NO_COMMUNITY {
                continue;
            }
            let Some(raw) = self.raw(x, watch) else {
                continue;
            };
            let c = a.community as usize;
            if members.len() <= c {
                members.resize_with(c + 1, Vec::new);
            }
            members[c].push((self.scorer.score(raw), x));
        }
        let mut ids: Vec<usize> = (0..members.len()).filter(|&c| !members[c].is_empty()).collect();
        ids.sort_by(|&a, &b| members[b].len().cmp(&members[a].len()).then(a.cmp(&b)));
        ids.truncate(query.limit);
        for c in ids {
            let list = &mut members[c];
            list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            report.communities.push(Community {
                id: c as u32,
                authors: list.len(),
                key_nodes: list
                    .iter()
                    .take(query.members)
                    .map(|&(score, x)| CommunityMember { author: author_ref(&self.authors.slots[x as usize]), score })
                    .collect(),
            });
        }
        report
    }

    /// `Some(None)` for the whole workspace, `Some(Some(id))` for a known
    /// watch, `None` for a watch never seen.
    fn scope(&self, watch: Option<&str>) -> Option<Option<u16>> {
        match watch {
            None => Some(None),
            Some(name) => self.watch_names.iter().position(|w| w == name).and_then(|i| u16::try_from(i).ok()).map(Some),
        }
    }

    fn since(&self, span: Option<TimeDelta>) -> i64 {
        match (span, self.clock.now()) {
            (Some(span), Some(now)) => now.saturating_sub(span.num_seconds()),
            _ => i64::MIN,
        }
    }

    fn key_node(&self, x: u32, watch: Option<u16>) -> Option<KeyNode> {
        let a = &self.authors.slots[x as usize];
        let components = self.scorer.components(self.raw(x, watch)?);
        let samples = match watch {
            None => &a.samples,
            Some(w) => &a.watch(w)?.samples,
        };
        Some(KeyNode {
            platform: a.platform?,
            handle: a.handle.to_string(),
            score: components.score(),
            components,
            community: (a.community != NO_COMMUNITY).then_some(a.community),
            sample_mentions: samples.iter().map(|k| k.to_string()).collect(),
            last_seen: to_time(a.last_seen),
        })
    }
}
