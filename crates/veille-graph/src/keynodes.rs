//! Queries: top key nodes and communities, workspace-wide or within a watch,
//! optionally over a recent window of event time.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use veille_model::Platform;

use crate::authors::NO_COMMUNITY;
use crate::error::GraphError;
use crate::graph::{author_ref, to_time, AuthorRef, InteractionGraph};
use crate::recent::minute;
use crate::score::{Raw, ScoreComponents};

/// Which key nodes to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyNodeQuery {
    /// Only authors who wrote or received mentions this watch matched, scored
    /// on their activity and engagement within it; all authors when `None`.
    pub watch: Option<String>,
    /// Only activity within this span before the graph's latest event time
    /// counts: see [`KeyNodeQuery::within`].
    pub window: Option<TimeDelta>,
    /// Most key nodes returned.
    pub limit: usize,
}

impl KeyNodeQuery {
    /// The `limit` highest-scoring authors of the workspace.
    pub fn top(limit: usize) -> Self {
        KeyNodeQuery { watch: None, window: None, limit }
    }

    /// Restricts the query to one watch.
    pub fn in_watch(mut self, watch: impl Into<String>) -> Self {
        self.watch = Some(watch.into());
        self
    }

    /// Counts only the last `span` of event time, ending at the latest event
    /// the graph has seen: the activity and engagement components become the
    /// mentions written and the engagement received in that span (undecayed,
    /// within the watch if one is set), and authors with neither in the span
    /// are left out. Centrality and reach are the graph's current ones.
    ///
    /// Activity is kept per author in a few minute-aligned buckets that merge
    /// as they age, so a window reaching into older activity is counted pro
    /// rata of the bucket it cuts; the most recent activity is exact.
    pub fn within(mut self, span: TimeDelta) -> Self {
        self.window = Some(span);
        self
    }
}

/// Reads a window such as `90s`, `15m`, `24h`, `7d` or `2w` (a positive
/// whole number and a unit), as `window=` parameters are written.
pub fn parse_window(text: &str) -> Result<TimeDelta, GraphError> {
    veille_model::Span::parse(text)
        .map(veille_model::Span::delta)
        .map_err(|_| GraphError::InvalidWindow(text.to_string()))
}

/// An author ranked by key-node score, with what the score is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyNode {
    /// Where the account lives.
    pub platform: Platform,
    /// The handle as the author writes it.
    pub handle: String,
    /// The latest display name seen on the author's own mentions.
    pub display_name: Option<String>,
    /// The latest follower count reported.
    pub followers: Option<u64>,
    /// The key-node score, in [0, 1].
    pub score: f64,
    /// The components the score combines.
    pub components: ScoreComponents,
    /// The author's community at the last community run, if any.
    pub community: Option<u32>,
    /// Keys of recent mentions written by the author (or, for an author who
    /// wrote none, mentioning them), within the watch if the query has one,
    /// oldest first; at most `[graph] samples_per_author`.
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
    /// A name for display: the handle of its highest-scoring author in the query's scope.
    pub label: String,
    /// Authors of the community still held by the graph.
    pub size: usize,
    /// Authors of the community in the query's scope.
    pub authors: usize,
    /// Share, in [0, 1], of the scope's mentions (the watch's, or the
    /// workspace's) written by the community's authors, each mention
    /// weighted by recency like activity.
    pub mention_share: f64,
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CommunityReport {
    /// Event time of the run the communities come from; `None` when never run.
    pub computed_at: Option<DateTime<Utc>>,
    /// Modularity of the whole partition at that run, in [-0.5, 1].
    pub modularity: Option<f64>,
    /// Communities, largest first in the query's scope.
    pub communities: Vec<Community>,
}

/// What a query looks at: a watch (by id) or the workspace, over a window of minutes or all time.
#[derive(Debug, Clone, Copy)]
struct Scope {
    watch: Option<u16>,
    minutes: Option<(u32, u32)>,
}

impl InteractionGraph {
    /// The highest-scoring authors matching `query`, best first (ties by handle).
    pub fn key_nodes(&self, query: &KeyNodeQuery) -> Vec<KeyNode> {
        let Some(scope) = self.scope(query.watch.as_deref(), query.window) else {
            return Vec::new();
        };
        let mut scored: Vec<(f64, u32)> =
            self.authors.live().filter_map(|(x, _)| Some((self.scorer.score(self.raw_in(x, scope)?), x))).collect();
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
        scored.into_iter().filter_map(|(_, x)| self.key_node(x, scope)).collect()
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
        let Some(scope) = self.scope(query.watch.as_deref(), None) else {
            return report;
        };
        // Per community: every member held, decayed mentions written in scope, members in scope.
        let mut size: Vec<usize> = Vec::new();
        let mut written: Vec<f64> = Vec::new();
        let mut members: Vec<Vec<(f64, u32)>> = Vec::new();
        let mut all_written = 0.0;
        for (x, a) in self.authors.live() {
            let activity = match scope.watch {
                None => a.activity as f64,
                Some(w) => a.watch(w).map_or(0.0, |s| s.activity as f64),
            };
            all_written += activity;
            if a.community == NO_COMMUNITY {
                continue;
            }
            let c = a.community as usize;
            if members.len() <= c {
                members.resize_with(c + 1, Vec::new);
                size.resize(c + 1, 0);
                written.resize(c + 1, 0.0);
            }
            size[c] += 1;
            written[c] += activity;
            if let Some(raw) = self.raw_in(x, scope) {
                members[c].push((self.scorer.score(raw), x));
            }
        }
        let mut ids: Vec<usize> = (0..members.len()).filter(|&c| !members[c].is_empty()).collect();
        ids.sort_by(|&a, &b| members[b].len().cmp(&members[a].len()).then(a.cmp(&b)));
        ids.truncate(query.limit);
        for c in ids {
            let list = &mut members[c];
            list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let handle = |x: u32| self.authors.slots[x as usize].handle.to_string();
            report.communities.push(Community {
                id: c as u32,
                label: list.first().map(|&(_, x)| handle(x)).unwrap_or_default(),
                size: size[c],
                authors: list.len(),
                mention_share: if all_written > 0.0 { (written[c] / all_written).clamp(0.0, 1.0) } else { 0.0 },
                key_nodes: list
                    .iter()
                    .take(query.members)
                    .map(|&(score, x)| CommunityMember { author: author_ref(&self.authors.slots[x as usize]), score })
                    .collect(),
            });
        }
        report
    }

    /// The scope of a query, or `None` for a watch never seen.
    fn scope(&self, watch: Option<&str>, window: Option<TimeDelta>) -> Option<Scope> {
        let watch = match watch {
            None => None,
            Some(name) => Some(self.watch_names.iter().position(|w| w == name).and_then(|i| u16::try_from(i).ok())?),
        };
        let minutes = match (window, self.clock.now()) {
            (Some(span), Some(now)) => {
                let from = now.saturating_sub(span.num_seconds()).saturating_add(1);
                Some((minute(from), minute(now)))
            }
            (Some(_), None) => Some((u32::MAX, 0)),
            (None, _) => None,
        };
        Some(Scope { watch, minutes })
    }

    /// Raw score inputs of slot `x` in `scope`; `None` when the author has
    /// nothing in it (no activity in the watch, or none in the window).
    fn raw_in(&self, x: u32, scope: Scope) -> Option<Raw> {
        let mut raw = self.raw(x, scope.watch)?;
        if let Some((from, to)) = scope.minutes {
            let a = &self.authors.slots[x as usize];
            let recent = match scope.watch {
                None => &a.recent,
                Some(w) => &a.watch(w)?.recent,
            };
            let counted = recent.within(from, to);
            if counted.activity <= 0.0 && counted.engagement <= 0.0 {
                return None;
            }
            raw.activity = counted.activity;
            raw.engagement = counted.engagement;
        }
        Some(raw)
    }

    fn key_node(&self, x: u32, scope: Scope) -> Option<KeyNode> {
        let a = &self.authors.slots[x as usize];
        let components = self.scorer.components(self.raw_in(x, scope)?);
        let samples = match scope.watch {
            None => &a.samples,
            Some(w) => &a.watch(w)?.samples,
        };
        Some(KeyNode {
            platform: a.platform?,
            handle: a.handle.to_string(),
            display_name: a.display_name.as_deref().map(str::to_string),
            followers: a.followers.map(u64::from),
            score: components.score(),
            components,
            community: (a.community != NO_COMMUNITY).then_some(a.community),
            sample_mentions: samples.keys().map(str::to_string).collect(),
            last_seen: to_time(a.last_seen),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_a_number_and_a_unit() {
        assert_eq!(parse_window("24h").unwrap(), TimeDelta::hours(24));
        assert_eq!(parse_window(" 15m ").unwrap(), TimeDelta::minutes(15));
        assert_eq!(parse_window("7d").unwrap(), TimeDelta::days(7));
        assert_eq!(parse_window("2w").unwrap(), TimeDelta::weeks(2));
        assert_eq!(parse_window("90s").unwrap(), TimeDelta::seconds(90));
        for bad in ["", "h", "24", "0h", "-1h", "1.5h", "3y", "99999999999999999999d"] {
            assert!(matches!(parse_window(bad), Err(GraphError::InvalidWindow(_))), "{bad}");
        }
    }
}
