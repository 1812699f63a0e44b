//! PageRank of a TSV edge list, printed as one JSON object `{node: score}`:
//! what `veille eval pagerank --edges FILE [--damping D]` does.
//!
//! ```text
//! cargo run -p veille-graph --example pagerank_tsv -- edges.tsv 0.85
//! ```
//!
//! Without arguments it ranks the small conversation shipped with the tests.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;

use veille_graph::{pagerank, EdgeList, GraphError, PageRankOptions};

fn run() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/conversation.tsv").to_string());
    let damping = match args.next() {
        Some(d) => d.parse().map_err(|_| format!("damping `{d}` is not a number"))?,
        None => 0.85,
    };

    // Each line is `source<TAB>target[<TAB>weight]`; a bad line is an error naming it.
    let file = File::open(&path).map_err(|e| format!("{path}: {e}"))?;
    let graph = EdgeList::read_tsv(BufReader::new(file)).map_err(|e| format!("{path}: {e}"))?;

    // networkx's defaults: tolerance 1e-6 per node, at most 100 iterations.
    let options = PageRankOptions { damping, ..PageRankOptions::default() };
    let ranks = pagerank(&graph, &options).map_err(|e: GraphError| e.to_string())?;
    serde_json::to_string(&ranks).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
