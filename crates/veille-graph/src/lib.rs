//! Who carries the conversation: the author interaction graph of each
//! workspace, kept up to date mention by mention, with PageRank, communities
//! and a key-node score per author and per watch.
//!
//! # The graph
//! Nodes are authors, identified by platform and handle (handles compare
//! without regard to case; an author with no handle is known by its id).
//! Every author who writes a mention or is referenced by one is a node. A
//! mention adds a directed edge from its author to the author of the post it
//! replies to, quotes or reposts (`reply_to`, `quote_of`, `repost_of`) and to
//! every handle it @mentions. Each kind has a weight (`[graph.edge_weights]`);
//! a mention that reaches the same account several ways counts once with the
//! largest weight, and self-interactions are ignored. Repeated interactions
//! add up.
//!
//! # Recency
//! Weights decay with event time (`created_at`): an interaction weighs half as
//! much `half_life_hours` after it happened, relative to the latest event the
//! graph has seen (`inf` never forgets). Activity and engagement decay the
//! same way. Late mentions are welcome and simply weigh less.
//!
//! # Bounded memory
//! Each workspace holds at most `max_authors` authors and `max_edges` edges.
//! When a mention pushes the graph past either bound, the coldest authors are
//! evicted, with all their edges, until the graph is back to 90 % of both
//! bounds. Coldness is the decayed sum of the mentions an author wrote and the
//! interactions and engagement they received (ties: least recently seen
//! first); the author of the mention being absorbed is never evicted. An
//! evicted author who comes back starts afresh. Sweeps cost O(authors · log)
//! and happen once per 10 % of the bound, so their cost per mention is small.
//! Besides edges, an author holds a fixed amount: counters, four time buckets
//! of recent activity, and `samples_per_author` recent mention keys, once for
//! the workspace and once per watch the author appears in.
//!
//! # PageRank, fresh at every mention
//! Ranks have the semantics of `networkx.pagerank` (weighted transitions,
//! uniform teleport, dangling rank spread uniformly) and are maintained by
//! local pushes in the manner of Andersen, Chung and Lang: each new edge
//! changes a couple of residuals, and an author's residual is pushed to its
//! out-neighbours only once it is large both against the author's own rank
//! and against what it would move on any one neighbour, so nothing is
//! recomputed from scratch. After every mention, no author holds an
//! unpropagated change that would move any of its out-neighbours by more
//! than `pagerank_tolerance` times the larger of the teleport share and what
//! the author now sends that neighbour; an author's own pending change
//! already counts in its rank. [`InteractionGraph::settle`] tightens the
//! ranking on demand. The batch [`pagerank`] over an [`EdgeList`] (e.g. read
//! from TSV) is the reference, identical in semantics to networkx.
//!
//! # Communities
//! Louvain on the undirected graph. Detection is kept off the ingest path:
//! [`InteractionGraph::communities_due`] says when `communities_every_s`
//! seconds of event time have passed; the caller then either runs
//! [`InteractionGraph::refresh_communities`] in place, or takes a
//! [`CommunitySnapshot`] (a copy of the edges), runs
//! [`CommunitySnapshot::detect`] on another thread and applies the result
//! with [`InteractionGraph::apply_communities`] while mentions keep flowing.
//!
//! # Key-node score
//! A weighted mean, in [0, 1], of four components each mapped to [0, 1] on a
//! log scale that gives 0.5 at a configured midpoint (`[graph.score]`):
//! centrality (PageRank as a multiple of the average author's), reach
//! (followers), engagement received (interactions plus reported engagement
//! counts) and activity (mentions written). Within a watch, engagement and
//! activity count only mentions that the watch matched (`mention.tags`).
//! [`InteractionGraph::observe`] stamps each mention with its author's
//! workspace-wide score at ingest time (`mention.scores.key_node`).
//!
//! # Queries
//! [`InteractionGraph::key_nodes`] lists the top authors of a workspace or a
//! watch ([`KeyNodeQuery`]) with their score, its components, community,
//! display name, followers and the keys of a few recent mentions. Engagement
//! and activity are decayed like edges by default; with a window
//! ([`KeyNodeQuery::within`], e.g. from [`parse_window`]`("24h")`) they are
//! the undecayed amounts within that span of event time instead, and authors
//! with nothing in it are left out. [`InteractionGraph::communities`] describes
//! the last community run ([`CommunityQuery`]): size, label, share of the
//! watch's mentions and top members.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use veille_config::GraphConfig;
//! use veille_graph::{KeyNodeQuery, WorkspaceGraphs};
//! use veille_model::{Author, Mention, Platform};
//!
//! let mut graphs = WorkspaceGraphs::new(&GraphConfig::default()).unwrap();
//! for (i, fan) in ["ann", "bob", "cy", "dee"].iter().enumerate() {
//!     let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, i as u32, 0).unwrap();
//!     let author = Author { handle: fan.to_string(), ..Author::default() };
//!     let mut m = Mention::new(Platform::X, format!("{i}"), "so true @Critic", at, author);
//!     m.mentions = vec!["Critic".into()];
//!     graphs.observe(&mut m);
//!     assert!(m.scores.key_node.is_some());
//! }
//! let graph = graphs.workspace("default").unwrap();
//! let top = graph.key_nodes(&KeyNodeQuery::top(1));
//! assert_eq!(top[0].handle, "Critic");
//! ```

mod authors;
mod batch;
mod clock;
mod community;
mod compact;
mod edgelist;
mod error;
mod graph;
mod incremental;
mod keynodes;
mod prefetch;
mod recent;
mod samples;
mod score;
mod store;
mod workspaces;

pub use batch::{pagerank, PageRankOptions};
pub use community::{CommunitySnapshot, DetectedCommunities};
pub use edgelist::EdgeList;
pub use error::GraphError;
pub use graph::{AuthorRef, GraphStats, Interaction, InteractionGraph};
pub use keynodes::{parse_window, Community, CommunityMember, CommunityQuery, CommunityReport, KeyNode, KeyNodeQuery};
pub use score::{Component, ScoreComponents};
pub use store::KeyNodeStore;
pub use workspaces::WorkspaceGraphs;
