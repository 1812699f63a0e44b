//! `veille keynodes`: who carries the conversation, rebuilt from the index.

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use veille_graph::{parse_window, CommunityQuery, KeyNodeQuery, WorkspaceGraphs};

use crate::context::{open_view, DataArgs};

#[derive(Debug, Args)]
pub(crate) struct KeyNodesArgs {
    /// Workspace to read.
    #[arg(long, short = 'w', default_value = veille_model::DEFAULT_WORKSPACE)]
    workspace: String,
    /// Rank authors on this watch only (activity and engagement on it).
    #[arg(long)]
    watch: Option<String>,
    /// Count activity and engagement over this span before the newest mention (`24h`, `7d`, `2w`).
    #[arg(long)]
    window: Option<String>,
    /// Authors (or communities) to show.
    #[arg(long, short = 'n', default_value_t = 20)]
    limit: usize,
    /// Show communities instead of authors.
    #[arg(long)]
    communities: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
}

pub(crate) fn run(a: KeyNodesArgs) -> Result<()> {
    let config = a.data.load()?;
    let index = open_view(&config)?;
    let window = a.window.as_deref().map(parse_window).transpose().context("--window")?;
    let mut graphs = WorkspaceGraphs::new(&config.graph)?;
    let total = index.count(&a.workspace, "*", None, None)?;
    let bar = ProgressBar::new(total as u64).with_style(
        ProgressStyle::with_template("{spinner} replaying mentions into the graph {bar:30} {pos}/{len} ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    index.scan(&a.workspace, "*", None, None, |mut mention| {
        graphs.observe(&mut mention);
        bar.inc(1);
        true
    })?;
    bar.finish_and_clear();
    if a.communities {
        if let Some(graph) = graphs.workspace_mut(&a.workspace) {
            let detected = graph.community_snapshot().detect();
            graph.apply_communities(detected);
        }
        let query = CommunityQuery { watch: a.watch.clone(), limit: a.limit, members: 5 };
        let report = graphs.communities(&a.workspace, &query);
        if a.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            println!("{:>4}  {:>7}  {:>6}  {:<24}  top members", "id", "authors", "share", "label");
            for c in &report.communities {
                let members: Vec<_> = c.key_nodes.iter().map(|m| format!("@{}", m.author.handle)).collect();
                println!(
                    "{:>4}  {:>7}  {:>5.1}%  {:<24}  {}",
                    c.id,
                    c.authors,
                    c.mention_share * 100.0,
                    c.label,
                    members.join(" ")
                );
            }
        }
        return Ok(());
    }
    let mut query = KeyNodeQuery::top(a.limit);
    if let Some(w) = &a.watch {
        query = query.in_watch(w.clone());
    }
    if let Some(span) = window {
        query = query.within(span);
    }
    let nodes = graphs.key_nodes(&a.workspace, &query);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&nodes)?);
        return Ok(());
    }
    println!(
        "{:>3}  {:<24} {:>6}  {:>10}  {:>10}  {:>9}  {:>10}  {:>9}",
        "#", "author", "score", "centrality", "followers", "engaged", "activity", "community"
    );
    for (rank, n) in nodes.iter().enumerate() {
        let c = &n.components;
        println!(
            "{:>3}  {:<24} {:>6.3}  {:>10.3}  {:>10}  {:>9.1}  {:>10.1}  {:>9}",
            rank + 1,
            format!("@{}", n.handle),
            n.score,
            c.centrality.normalized,
            n.followers.map_or("-".to_string(), |f| f.to_string()),
            c.engagement.value,
            c.activity.value,
            n.community.map_or("-".to_string(), |id| id.to_string()),
        );
    }
    Ok(())
}
