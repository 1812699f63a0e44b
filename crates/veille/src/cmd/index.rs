//! `veille index upgrade`: rewrite an index written by an older veille in the current format.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use veille_model::{DeadLetter, Origin};

use crate::context::DataArgs;

/// File, in the data directory, that receives stored mentions an upgrade cannot carry over.
const REFUSED_FILE: &str = "upgrade-refused.ndjson";

/// Maintenance of the mention index.
#[derive(Debug, Subcommand)]
pub(crate) enum IndexCommand {
    /// Rewrite the index (and every Kafka shard) of the data directory in the current format,
    /// keeping checkpoints; needed once after upgrading from a veille whose upserts were not
    /// scoped to workspaces. Stop the pipeline first.
    Upgrade(UpgradeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct UpgradeArgs {
    #[command(flatten)]
    data: DataArgs,
}

pub(crate) fn run(command: IndexCommand) -> Result<()> {
    match command {
        IndexCommand::Upgrade(args) => upgrade(&args.data.load()?.data.dir),
    }
}

/// Every index under `data_dir`: the embedded one and the Kafka shards.
fn indexes(data_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = vec![data_dir.join("index")];
    let shards = data_dir.join(veille_index::SHARDS_DIR);
    if shards.is_dir() {
        let entries = std::fs::read_dir(&shards).with_context(|| format!("cannot list {}", shards.display()))?;
        let mut names: Vec<PathBuf> =
            entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join("meta.json").exists()).collect();
        names.sort();
        found.extend(names);
    }
    Ok(found.into_iter().filter(|p| p.join("meta.json").exists()).collect())
}

fn upgrade(data_dir: &Path) -> Result<()> {
    let mut refused_total = 0;
    let mut upgraded = 0;
    for dir in indexes(data_dir)? {
        let bar = indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} mentions ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(format!("upgrading {}", dir.display()));
        let report = veille_index::upgrade(&dir, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .with_context(|| format!("cannot upgrade the index at {}", dir.display()))?;
        bar.finish_and_clear();
        if !report.upgraded {
            println!("{}: already current", dir.display());
            continue;
        }
        upgraded += 1;
        if !report.unreadable.is_empty() {
            let path = data_dir.join(REFUSED_FILE);
            let mut out = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            for u in &report.unreadable {
                let origin = Origin { source: "index upgrade".into(), location: dir.display().to_string() };
                let line = serde_json::to_string(&DeadLetter::new(origin, u.reason.clone(), u.json.clone()))?;
                writeln!(out, "{line}")?;
            }
            out.sync_all()?;
            refused_total += report.unreadable.len();
        }
        println!(
            "{}: upgraded, {} mentions rewritten, {} refused",
            dir.display(),
            report.mentions,
            report.unreadable.len()
        );
    }
    if upgraded == 0 {
        println!("nothing to upgrade under {}", data_dir.display());
    }
    if refused_total > 0 {
        println!(
            "{refused_total} stored mentions break today's rules (reasons in {}); they were left out",
            data_dir.join(REFUSED_FILE).display()
        );
    }
    Ok(())
}
