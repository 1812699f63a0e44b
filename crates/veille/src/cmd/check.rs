//! `veille check`: lints configurations (and test files) without running them.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use veille_testkit::{check_config, check_test_file, Level};

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The configuration to lint (repeatable); a `*.test.toml` file is linted as a test file.
    #[arg(long, short = 'c', default_value = "config/veille.toml")]
    config: Vec<PathBuf>,
}

/// Prints every finding; `Ok(false)` when one is an error.
pub(crate) fn run(a: CheckArgs) -> Result<bool> {
    let (mut errors, mut warnings) = (0, 0);
    for path in &a.config {
        let is_test = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".test.toml"));
        let findings = if is_test { check_test_file(path, None) } else { check_config(path) };
        for f in &findings {
            match f.level {
                Level::Error => errors += 1,
                Level::Warning => warnings += 1,
            }
            println!("{f}");
        }
        if findings.is_empty() {
            println!("{}: ok", path.display());
        }
    }
    println!("{errors} errors, {warnings} warnings");
    Ok(errors == 0)
}
