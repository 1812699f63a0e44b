//! One interaction graph per workspace.

use std::collections::BTreeMap;

use veille_config::GraphConfig;
use veille_model::Mention;

use crate::community::{CommunitySnapshot, DetectedCommunities};
use crate::error::GraphError;
use crate::graph::InteractionGraph;
use crate::keynodes::{CommunityQuery, CommunityReport, KeyNode, KeyNodeQuery};

/// The interaction graphs of every workspace, created on first mention.
///
/// Workspaces never share authors, edges or scores; each graph has its own
/// memory bounds (`[graph] max_authors`, `max_edges`).
#[derive(Debug)]
pub struct WorkspaceGraphs {
    config: GraphConfig,
    graphs: BTreeMap<String, InteractionGraph>,
}

impl WorkspaceGraphs {
    /// No graph yet; every workspace's graph will use `config`.
    pub fn new(config: &GraphConfig) -> Result<Self, GraphError> {
        config.validate()?;
        Ok(WorkspaceGraphs { config: config.clone(), graphs: BTreeMap::new() })
    }

    /// Absorbs a mention into its workspace's graph and stamps
    /// `mention.scores.key_node`; see [`InteractionGraph::observe`].
    pub fn observe(&mut self, mention: &mut Mention) -> Option<f64> {
        if !self.graphs.contains_key(&mention.workspace) {
            // The configuration was validated in `new`, so this cannot fail.
            let graph = InteractionGraph::new(&self.config).ok()?;
            self.graphs.insert(mention.workspace.clone(), graph);
        }
        self.graphs.get_mut(&mention.workspace)?.observe(mention)
    }

    /// The graph of `workspace`, if it has seen a mention.
    pub fn workspace(&self, workspace: &str) -> Option<&InteractionGraph> {
        self.graphs.get(workspace)
    }

    /// The key nodes of `workspace` matching `query` (see
    /// [`InteractionGraph::key_nodes`]); none when the workspace has no graph.
    pub fn key_nodes(&self, workspace: &str, query: &KeyNodeQuery) -> Vec<KeyNode> {
        self.graphs.get(workspace).map(|g| g.key_nodes(query)).unwrap_or_default()
    }

    /// The communities of `workspace` described for `query` (see
    /// [`InteractionGraph::communities`]); an empty report when the workspace has no graph.
    pub fn communities(&self, workspace: &str, query: &CommunityQuery) -> CommunityReport {
        self.graphs.get(workspace).map(|g| g.communities(query)).unwrap_or_default()
    }

    /// The graph of `workspace` for maintenance (communities, settling).
    pub fn workspace_mut(&mut self, workspace: &str) -> Option<&mut InteractionGraph> {
        self.graphs.get_mut(workspace)
    }

    /// Snapshots of every graph whose community schedule is due (see
    /// [`InteractionGraph::communities_due`]), to detect off the ingest path.
    pub fn due_community_snapshots(&mut self) -> Vec<(String, CommunitySnapshot)> {
        self.graphs
            .iter_mut()
            .filter(|(_, g)| g.communities_due())
            .map(|(name, g)| (name.clone(), g.community_snapshot()))
            .collect()
    }

    /// Applies communities detected on a snapshot of `workspace`'s graph;
    /// returns false when that workspace has no graph.
    pub fn apply_communities(&mut self, workspace: &str, detected: DetectedCommunities) -> bool {
        match self.graphs.get_mut(workspace) {
            Some(g) => {
                g.apply_communities(detected);
                true
            }
            None => false,
        }
    }

    /// Every workspace with a graph, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &InteractionGraph)> + '_ {
        self.graphs.iter().map(|(k, v)| (k.as_str(), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphs_can_be_read_from_other_threads_and_unknown_workspaces_are_empty() {
        fn shared<T: Send + Sync>() {}
        shared::<WorkspaceGraphs>();
        let graphs = WorkspaceGraphs::new(&GraphConfig::default()).unwrap();
        assert!(graphs.key_nodes("nowhere", &KeyNodeQuery::top(5)).is_empty());
        let query = CommunityQuery { watch: None, limit: 5, members: 3 };
        assert_eq!(graphs.communities("nowhere", &query), CommunityReport::default());
    }
}
