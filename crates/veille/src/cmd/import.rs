//! `veille import`: load a file into the index, resumably.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use veille_config::{CsvSource, NdjsonSource, SourceConfig};
use veille_match::WorkspaceCounts;
use veille_model::{Mention, Platform};
use veille_pipeline::{Enricher, Pipeline, RunReport, DEADLETTER_FILE};

use crate::cmd::tag::{per_workspace, unwatched};
use crate::context::{open_index, DataArgs};

/// Counts mentions and tagged mentions per workspace, once the watches tagged them.
struct TagCounts(Arc<Mutex<BTreeMap<String, WorkspaceCounts>>>);

impl Enricher for TagCounts {
    fn name(&self) -> &'static str {
        "tag_counts"
    }

    fn enrich(&mut self, mention: &mut Mention) {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let c = match counts.get_mut(&mention.workspace) {
            Some(c) => c,
            None => counts.entry(mention.workspace.clone()).or_default(),
        };
        c.mentions += 1;
        c.tagged += u64::from(!mention.tags.is_empty());
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum ImportCommand {
    /// Mention NDJSON (one JSON object per line); `-` reads standard input.
    Ndjson(NdjsonArgs),
    /// A CSV export with a header line, mapped to mention fields with --map.
    Csv(CsvArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CommonArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Put every mention in this workspace.
    #[arg(long)]
    workspace: Option<String>,
    /// Read the file from the start even if an earlier import of it was interrupted.
    #[arg(long)]
    restart: bool,
}

#[derive(Debug, Args)]
pub(crate) struct NdjsonArgs {
    /// The file to import, or `-` for standard input.
    file: PathBuf,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CsvArgs {
    /// The file to import, or `-` for standard input.
    file: PathBuf,
    /// Mention field = column, comma-separated: `id=tweet_id,text=text,author=name,created_at=tweet_created`.
    /// Fields: id, text, created_at (required), author, author_id, author_name, followers, lang, url,
    /// title, likes, reposts, replies, quotes, workspace, and attr.NAME to keep any column as an attribute.
    #[arg(long, required = true)]
    map: String,
    /// The platform the rows come from.
    #[arg(long, default_value = "x")]
    platform: Platform,
    /// Field delimiter.
    #[arg(long, default_value = ",")]
    delimiter: char,
    /// Character encoding of the file (utf-8, windows-1252, iso-8859-1, ...).
    #[arg(long, default_value = "utf-8")]
    encoding: String,
    #[command(flatten)]
    common: CommonArgs,
}

fn parse_map(map: &str) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for pair in map.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((field, column)) = pair.split_once('=') else { bail!("--map: `{pair}` is not FIELD=COLUMN") };
        if out.insert(field.trim().to_string(), column.trim().to_string()).is_some() {
            bail!("--map: field `{}` is mapped twice", field.trim());
        }
    }
    Ok(out)
}

/// The source name keys the resume cursor: one per file.
fn source_name(kind: &str, file: &Path) -> String {
    if file == Path::new("-") {
        return format!("import-{kind}:stdin");
    }
    let path = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    format!("import-{kind}:{}", path.display())
}

pub(crate) fn run(cmd: ImportCommand) -> Result<()> {
    let (source, common) = source_of(cmd)?;
    let mut config = common.data.load()?;
    config.sources = vec![source];
    // The import's own settings (map, workspace) are checked like configuration.
    config.validate("command line")?;
    let index = open_index(&config.data.dir)?;
    let data_dir = config.data.dir.clone();
    let watches = config.clone();
    let counts = Arc::new(Mutex::new(BTreeMap::new()));
    let pipeline =
        Pipeline::new(config, index)?.ignore_cursors(common.restart).enrich_with(Box::new(TagCounts(counts.clone())));
    let started = Instant::now();
    let report = run_with_progress(pipeline)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "imported {} mentions, {} dead-lettered{}, {} commits, in {:.1}s ({:.0} records/s)",
        report.indexed,
        report.deadlettered,
        if report.deadlettered > 0 {
            format!(" (reasons in {})", data_dir.join(DEADLETTER_FILE).display())
        } else {
            String::new()
        },
        report.commits,
        secs,
        (report.indexed + report.deadlettered) as f64 / secs.max(1e-9)
    );
    let counts = counts.lock().unwrap_or_else(PoisonError::into_inner);
    if !counts.is_empty() {
        println!("tagged per workspace: {}", per_workspace(&counts));
    }
    for warning in unwatched(&watches, &counts, "import them with --workspace NAME, or give each a \"workspace\" field")
    {
        eprintln!("warning: {warning}");
    }
    Ok(())
}

/// The file source an import command reads, and its common options.
fn source_of(cmd: ImportCommand) -> Result<(SourceConfig, CommonArgs)> {
    Ok(match cmd {
        ImportCommand::Ndjson(a) => {
            let name = source_name("ndjson", &a.file);
            let ws = a.common.workspace.clone();
            (SourceConfig::Ndjson(NdjsonSource { name, path: a.file, workspace: ws }), a.common)
        }
        ImportCommand::Csv(a) => {
            let name = source_name("csv", &a.file);
            let map = parse_map(&a.map)?;
            let ws = a.common.workspace.clone();
            let cfg = CsvSource {
                name,
                path: a.file,
                map,
                platform: a.platform,
                delimiter: a.delimiter,
                encoding: a.encoding,
                workspace: ws,
            };
            (SourceConfig::Csv(cfg), a.common)
        }
    })
}

/// Runs the import's pipeline with a progress bar; Ctrl-C commits what was read and stops.
fn run_with_progress(pipeline: Pipeline) -> Result<RunReport> {
    let progress = pipeline.progress();
    let bar = match pipeline.size_hint() {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let report = runtime.block_on(async {
        let cancel = tokio_util::sync::CancellationToken::new();
        let on_signal = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::warn!("interrupted: committing what was read, run the same import again to resume");
                on_signal.cancel();
            }
        });
        let ticker_bar = bar.clone();
        let ticker = tokio::spawn(async move {
            loop {
                ticker_bar.set_position(progress.total_bytes_read());
                ticker_bar.set_message(format!(
                    "{} indexed, {} dead-lettered",
                    progress.indexed.load(Ordering::Relaxed),
                    progress.deadlettered.load(Ordering::Relaxed)
                ));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        let report = pipeline.run(cancel).await;
        ticker.abort();
        report
    })?;
    bar.finish_and_clear();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_parses_pairs_and_rejects_garbage() {
        let m = parse_map("id=tweet_id, text=text,attr.airline=airline").unwrap();
        assert_eq!(m["attr.airline"], "airline");
        assert!(parse_map("id").is_err());
        assert!(parse_map("id=a,id=b").is_err());
    }
}
