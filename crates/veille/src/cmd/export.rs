//! `veille export`: write the mentions matching a query to a CSV or NDJSON file, oldest first,
//! streaming from the index so that memory stays flat whatever the number of mentions.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use veille_index::Scope;
use veille_server::export::{ExportFormat, MentionEncoder};

use crate::context::{open_index, time, DataArgs};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// One row per mention under a header row.
    Csv,
    /// One mention JSON per line.
    Ndjson,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Query in tantivy syntax; `*` (the default) exports everything.
    #[arg(default_value = "*")]
    query: String,
    /// Workspace to export from.
    #[arg(long, short = 'w', default_value = veille_model::DEFAULT_WORKSPACE)]
    workspace: String,
    /// Only mentions created at or after this time (RFC 3339 or `YYYY-MM-DD HH:MM:SS`).
    #[arg(long)]
    from: Option<String>,
    /// Only mentions created before this time.
    #[arg(long)]
    to: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "csv")]
    format: FormatArg,
    /// Output file; standard output when absent.
    #[arg(long, short = 'o')]
    out: Option<PathBuf>,
    /// Do not show the progress bar.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    data: DataArgs,
}

pub(crate) fn run(a: ExportArgs) -> Result<()> {
    let config = a.data.load()?;
    let index = open_index(&config.data.dir)?;
    let scope = Scope::new(a.workspace.clone(), a.query.clone()).between(time("from", &a.from)?, time("to", &a.to)?);
    let total = index.count(&scope.workspace, &scope.query, scope.from, scope.to)?;
    let format = match a.format {
        FormatArg::Csv => ExportFormat::Csv,
        FormatArg::Ndjson => ExportFormat::Ndjson,
    };
    let mut out: Box<dyn Write> = match &a.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let progress = if a.quiet { ProgressBar::hidden() } else { ProgressBar::new(total as u64) };
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} mentions, {per_sec}, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut encoder = MentionEncoder::new(format)?;
    let mut failure: Option<anyhow::Error> = None;
    let written = index.for_each_in_time_order(&scope, |m| {
        let step = encoder.push(&m).map_err(anyhow::Error::from).and_then(|()| {
            out.write_all(&encoder.take()).context("cannot write the export")?;
            Ok(())
        });
        progress.inc(1);
        match step {
            Ok(()) => true,
            Err(e) => {
                failure = Some(e);
                false
            }
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    out.flush().context("cannot write the export")?;
    progress.finish_and_clear();
    if let Some(path) = &a.out {
        eprintln!("exported {written} mentions to {}", path.display());
    }
    Ok(())
}
