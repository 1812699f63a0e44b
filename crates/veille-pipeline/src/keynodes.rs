//! The key-node enrichment step: feeds the interaction graph and scores each mention's author.

use std::sync::{Arc, Mutex, MutexGuard};

use veille_graph::{CommunityQuery, CommunityReport, KeyNode, KeyNodeQuery, KeyNodeStore, WorkspaceGraphs};
use veille_model::Mention;

use crate::Enricher;

/// Sets `scores.key_node` from the author's standing in the workspace's interaction graph.
///
/// The graphs are shared: the API reads key nodes and communities from them while the
/// pipeline feeds them. Clones share the same graphs.
#[derive(Clone)]
pub struct KeyNodes {
    graphs: Arc<Mutex<WorkspaceGraphs>>,
}

impl KeyNodes {
    /// A step with one graph per workspace, shaped by `[graph]`.
    pub fn new(config: &veille_config::GraphConfig) -> Result<Self, veille_graph::GraphError> {
        Ok(KeyNodes { graphs: Arc::new(Mutex::new(WorkspaceGraphs::new(config)?)) })
    }

    fn lock(&self) -> MutexGuard<'_, WorkspaceGraphs> {
        // Every update leaves the graphs consistent, so a poisoned lock is still usable.
        self.graphs.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The workspace-wide key-node scores of the `limit` best-scored authors of `workspace`.
    #[cfg(feature = "kafka")]
    pub(crate) fn scores(&self, workspace: &str, limit: usize) -> Vec<(veille_model::Platform, String, f64)> {
        let nodes = self.lock().key_nodes(workspace, &KeyNodeQuery::top(limit));
        nodes.into_iter().map(|k| (k.platform, k.handle, k.score)).collect()
    }

    /// Detects communities in the graphs whose schedule is due. The detection runs on a
    /// snapshot, without holding the graphs, so ingestion goes on meanwhile.
    pub(crate) fn refresh_communities(&self) {
        let due = self.lock().due_community_snapshots();
        for (workspace, snapshot) in due {
            let edges = snapshot.edge_count();
            let started = std::time::Instant::now();
            let detected = snapshot.detect();
            self.lock().apply_communities(&workspace, detected);
            tracing::debug!(%workspace, edges, ms = started.elapsed().as_millis() as u64, "communities detected");
        }
    }
}

impl KeyNodeStore for KeyNodes {
    fn key_nodes(&self, workspace: &str, query: &KeyNodeQuery) -> Vec<KeyNode> {
        self.lock().key_nodes(workspace, query)
    }

    fn communities(&self, workspace: &str, query: &CommunityQuery) -> CommunityReport {
        self.lock().communities(workspace, query)
    }
}

impl Enricher for KeyNodes {
    fn name(&self) -> &'static str {
        "key_nodes"
    }

    fn enrich(&mut self, mention: &mut Mention) {
        self.lock().observe(mention);
    }
}
