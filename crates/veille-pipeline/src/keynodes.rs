//! The key-node enrichment step: feeds the interaction graph and scores each mention's author.

use veille_graph::WorkspaceGraphs;
use veille_model::Mention;

use crate::Enricher;

/// Sets `scores.key_node` from the author's standing in the workspace's interaction graph.
pub struct KeyNodes {
    graphs: WorkspaceGraphs,
}

impl KeyNodes {
    /// A step with one graph per workspace, shaped by `[graph]`.
    pub fn new(config: &veille_config::GraphConfig) -> Result<Self, veille_graph::GraphError> {
        Ok(KeyNodes { graphs: WorkspaceGraphs::new(config)? })
    }
}

impl Enricher for KeyNodes {
    fn name(&self) -> &'static str {
        "key_nodes"
    }

    fn enrich(&mut self, mention: &mut Mention) {
        self.graphs.observe(mention);
    }
}
