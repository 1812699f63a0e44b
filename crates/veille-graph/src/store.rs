//! Where the API reads key nodes from: the pipeline's live graphs on one machine, or the
//! signals owners' graphs when the stages are scaled out.

use crate::keynodes::{CommunityQuery, CommunityReport, KeyNode, KeyNodeQuery};

/// Key nodes and communities of each workspace, readable while they are fed.
pub trait KeyNodeStore: Send + Sync {
    /// The top authors of `workspace` for `query`, with the components of their score.
    fn key_nodes(&self, workspace: &str, query: &KeyNodeQuery) -> Vec<KeyNode>;

    /// The communities of `workspace` as last detected.
    fn communities(&self, workspace: &str, query: &CommunityQuery) -> CommunityReport;

    /// Why this store cannot answer `query`, if it cannot (a store of published rankings
    /// answers the workspace-wide and per-watch ones, not windowed queries).
    fn refuses(&self, _query: &KeyNodeQuery) -> Option<String> {
        None
    }
}
