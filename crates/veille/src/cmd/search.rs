//! `veille search`: query the index from the command line.

use anyhow::Result;
use clap::{Args, ValueEnum};
use veille_index::{SearchRequest, Sort, MAX_LIMIT};

use crate::context::{open_view, time, DataArgs};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SortArg {
    /// Newest first.
    Time,
    /// Oldest first.
    TimeAsc,
    /// Best match first.
    Relevance,
}

#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// Query in tantivy syntax (see README: fields and operators); `*` matches everything.
    query: String,
    /// Workspace to search.
    #[arg(long, short = 'w', default_value = veille_model::DEFAULT_WORKSPACE)]
    workspace: String,
    /// Only mentions created at or after this time (RFC 3339 or `YYYY-MM-DD HH:MM:SS`).
    #[arg(long)]
    from: Option<String>,
    /// Only mentions created before this time.
    #[arg(long)]
    to: Option<String>,
    /// Result order.
    #[arg(long, value_enum, default_value = "time")]
    sort: SortArg,
    /// Hits to show.
    #[arg(long, short = 'n', default_value_t = 20)]
    limit: usize,
    /// Hits to skip.
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Print only the number of matching mentions.
    #[arg(long)]
    count: bool,
    #[command(flatten)]
    data: DataArgs,
}

pub(crate) fn run(a: SearchArgs) -> Result<()> {
    let config = a.data.load()?;
    let index = open_view(&config)?;
    let (from, to) = (time("from", &a.from)?, time("to", &a.to)?);
    if a.count {
        println!("{}", index.count(&a.workspace, &a.query, from, to)?);
        return Ok(());
    }
    let mut req = SearchRequest::new(a.workspace.clone(), a.query.clone());
    req.from = from;
    req.to = to;
    req.sort = match a.sort {
        SortArg::Time => Sort::Time,
        SortArg::TimeAsc => Sort::TimeAsc,
        SortArg::Relevance => Sort::Relevance,
    };
    req.limit = a.limit.min(MAX_LIMIT);
    req.offset = a.offset;
    let res = index.search(&req)?;
    if a.json {
        println!("{}", serde_json::json!({ "total": res.total, "hits": res.hits }));
        return Ok(());
    }
    println!("{} mentions match", res.total);
    for hit in &res.hits {
        let m = &hit.mention;
        let text: String = m.text.replace(['\n', '\r'], " ").chars().take(100).collect();
        println!(
            "{}  {:<9} @{:<18} {:<28} {}",
            m.created_at.format("%Y-%m-%d %H:%M"),
            m.platform().as_str(),
            m.author.handle.chars().take(18).collect::<String>(),
            hit.key.chars().take(28).collect::<String>(),
            text
        );
    }
    Ok(())
}
