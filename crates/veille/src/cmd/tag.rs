//! `veille match`: tag mention NDJSON with the configured watches.

use std::io::{BufReader, BufWriter, Write};

use anyhow::{bail, Result};
use clap::Args;
use veille_match::{tag_ndjson, Matcher};
use veille_model::{DeadLetter, Origin};

use crate::context::DataArgs;

#[derive(Debug, Args)]
pub(crate) struct MatchArgs {
    #[command(flatten)]
    data: DataArgs,
}

/// Reads mention NDJSON on standard input and writes the same mentions, in order, with `tags`.
/// Lines that are not valid mentions are written to standard error as dead letters.
pub(crate) fn run(a: MatchArgs) -> Result<()> {
    let config = a.data.load()?;
    if config.workspaces.iter().all(|w| w.watches.is_empty()) {
        bail!("the configuration defines no watches: add [[workspaces.watches]] (see config/examples/airlines.toml)");
    }
    let matcher = Matcher::compile(&config)?;
    let stdin = BufReader::with_capacity(1 << 20, std::io::stdin().lock());
    let stdout = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut stderr = std::io::stderr().lock();
    let stats = tag_ndjson(stdin, stdout, &matcher, |rejected| {
        let origin = Origin { source: "stdin".into(), location: format!("line {}", rejected.line) };
        let dead = DeadLetter::new(origin, rejected.error.to_string(), rejected.text);
        let _ = writeln!(stderr, "{}", serde_json::to_string(&dead).unwrap_or_default());
    })?;
    tracing::info!(
        lines = stats.lines,
        mentions = stats.mentions,
        tagged = stats.tagged,
        rejected = stats.rejected,
        "tagged"
    );
    Ok(())
}
