//! Who carries a conversation: stream mentions (NDJSON) through the
//! interaction graph, then list the key nodes and communities.
//!
//! ```text
//! cargo run -p veille-graph --example key_nodes -- mentions.ndjson
//! ```
//!
//! Without arguments it reads the small conversation shipped with the tests:
//! a reviewer's complaint about a kettle that others reply to, repost and
//! quote, a celebrity nobody engages with, a promotion bot, and a separate
//! circle talking about a rival.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use std::process::ExitCode;

use veille_config::GraphConfig;
use veille_graph::{parse_window, CommunityQuery, KeyNodeQuery, WorkspaceGraphs};
use veille_model::Mention;

fn run() -> Result<(), String> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mentions.ndjson").to_string());
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;

    // One graph per workspace, with the default settings of `[graph]`.
    let mut graphs = WorkspaceGraphs::new(&GraphConfig::default()).map_err(|e| e.to_string())?;

    // Each mention adds edges from its author to whoever it replies to,
    // quotes, reposts or @mentions, and is stamped with its author's
    // key-node score as it stood right after.
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut mention = Mention::from_ndjson_line(line, i as u64 + 1).map_err(|e| format!("{path}: {e}"))?;
        let score = graphs.observe(&mut mention).unwrap_or(0.0);
        println!("{:>8} @{:<14} key-node score at ingest {score:.3}", mention.key(), mention.author.handle);
    }

    let names: Vec<String> = graphs.iter().map(|(w, _)| w.to_string()).collect();
    for workspace in names {
        let Some(graph) = graphs.workspace_mut(&workspace) else {
            continue;
        };
        // Communities are normally due on a schedule and detected off the
        // ingest path; here we ask for them once, at the end.
        graph.refresh_communities();
        println!("\nworkspace {workspace}: {:?}", graph.stats());

        // The three accounts that matter most, with what their score is made of.
        for node in graph.key_nodes(&KeyNodeQuery::top(3)) {
            let c = node.components;
            println!(
                "@{:<14} score {:.3} = centrality {:.2} (x{:.1} average) · reach {:.2} ({} followers) · engagement {:.2} · activity {:.2}; community {:?}; e.g. {:?}",
                node.handle, node.score, c.centrality.normalized, c.centrality.value,
                c.reach.normalized, c.reach.value, c.engagement.normalized,
                c.activity.normalized, node.community, node.sample_mentions,
            );
        }

        // One watch's key nodes over the last day of event time, as
        // `GET /api/v1/keynodes?watch=acme&window=24h` serves them.
        let window = parse_window("24h").map_err(|e| e.to_string())?;
        let recent = graph.key_nodes(&KeyNodeQuery::top(3).in_watch("acme").within(window));
        println!("{}", serde_json::to_string_pretty(&recent).map_err(|e| e.to_string())?);

        // Communities as the API serves them, for one watch.
        let report = graph.communities(&CommunityQuery { watch: Some("acme".into()), limit: 5, members: 3 });
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
