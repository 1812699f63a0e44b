//! `veille match`: tag mention NDJSON with the configured watches.

use std::collections::BTreeMap;
use std::io::{BufReader, BufWriter, Write};

use anyhow::{bail, Result};
use clap::Args;
use veille_config::Config;
use veille_match::{tag_ndjson, Matcher, WorkspaceCounts};
use veille_model::{DeadLetter, Origin};

use crate::context::DataArgs;

#[derive(Debug, Args)]
pub(crate) struct MatchArgs {
    #[command(flatten)]
    data: DataArgs,
}

/// Reads mention NDJSON on standard input and writes the same mentions, in order, with `tags`.
/// Lines that are not valid mentions are written to standard error as dead letters, then a
/// summary of what was tagged per workspace, and a warning per workspace without watches.
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
    let _ = writeln!(
        stderr,
        "tagged {} of {} mentions ({}), {} lines refused",
        stats.tagged,
        stats.mentions,
        per_workspace(&stats.workspaces),
        stats.rejected
    );
    for warning in unwatched(&config, &stats.workspaces, "give each mention a \"workspace\" field naming one of them") {
        let _ = writeln!(stderr, "warning: {warning}");
    }
    Ok(())
}

/// Tagged and all mentions per workspace, as the end-of-run summaries say them:
/// `airlines: 12034 of 14640 tagged`.
pub(crate) fn per_workspace(counts: &BTreeMap<String, WorkspaceCounts>) -> String {
    if counts.is_empty() {
        return "no mentions".into();
    }
    let parts: Vec<String> =
        counts.iter().map(|(ws, c)| format!("{ws}: {} of {} tagged", c.tagged, c.mentions)).collect();
    parts.join("; ")
}

/// One warning per workspace of `counts` that has no watches in `config` (when any workspace
/// has some), naming the workspaces the configuration has; `remedy` says what to do.
pub(crate) fn unwatched(config: &Config, counts: &BTreeMap<String, WorkspaceCounts>, remedy: &str) -> Vec<String> {
    let watches = |ws: &str| config.workspaces.iter().find(|w| w.name == ws).map_or(0, |w| w.watches.len());
    if config.workspaces.iter().all(|w| w.watches.is_empty()) {
        return Vec::new();
    }
    let configured: Vec<String> = config
        .workspaces
        .iter()
        .map(|w| match w.watches.len() {
            0 => format!("`{}` (no watches)", w.name),
            1 => format!("`{}` (1 watch)", w.name),
            n => format!("`{}` ({n} watches)", w.name),
        })
        .collect();
    counts
        .iter()
        .filter(|(ws, c)| c.mentions > 0 && watches(ws) == 0)
        .map(|(ws, c)| {
            format!(
                "{} mentions are in workspace `{ws}`, which has no watches, so none was tagged. The configuration's \
                 workspaces: {}; {remedy}.",
                c.mentions,
                configured.join(", ")
            )
        })
        .collect()
}
