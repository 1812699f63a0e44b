//! `veille eval`: measure veille's algorithms against reference data.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use veille_graph::{pagerank, EdgeList, PageRankOptions};

#[derive(Debug, Subcommand)]
pub(crate) enum EvalCommand {
    /// PageRank of a TSV edge list (source TAB target [TAB weight]), printed as one JSON object {node: score}.
    Pagerank(PagerankArgs),
    /// Run the volume detector, streaming, over NAB-format CSVs and print NAB scores as JSON.
    Nab(NabArgs),
}

#[derive(Debug, Args)]
pub(crate) struct NabArgs {
    /// Folder of NAB-format CSV files (`timestamp,value`).
    #[arg(long)]
    data: PathBuf,
    /// NAB label windows (`combined_windows.json`).
    #[arg(long)]
    windows: PathBuf,
    /// Scoring profile: standard, reward_low_FP_rate or reward_low_FN_rate.
    #[arg(long, default_value = "standard")]
    profile: String,
    /// Also write the detector's output per file in NAB's results format here.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct PagerankArgs {
    /// The edge list; repeated edges add their weights, as in a weighted directed graph.
    #[arg(long)]
    edges: PathBuf,
    /// Probability of following an edge rather than jumping to a random node.
    #[arg(long, default_value_t = 0.85)]
    damping: f64,
    /// Convergence threshold per node (iteration stops when the L1 change is below tol × nodes).
    #[arg(long, default_value_t = 1e-6)]
    tol: f64,
    /// Most power iterations.
    #[arg(long, default_value_t = 100)]
    max_iter: usize,
}

pub(crate) fn run(cmd: EvalCommand) -> Result<()> {
    match cmd {
        EvalCommand::Nab(a) => {
            let profile: veille_signals::nab::NabProfile = a.profile.parse()?;
            let report = veille_signals::nab::eval_nab(&a.data, &a.windows, profile, a.out.as_deref())?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        EvalCommand::Pagerank(a) => {
            let file = File::open(&a.edges).with_context(|| format!("cannot open {}", a.edges.display()))?;
            let graph = EdgeList::read_tsv(BufReader::new(file)).with_context(|| format!("{}", a.edges.display()))?;
            let options = PageRankOptions { damping: a.damping, tol: a.tol, max_iter: a.max_iter };
            let ranks = pagerank(&graph, &options)?;
            println!("{}", serde_json::to_string(&ranks)?);
            Ok(())
        }
    }
}
