//! Scores the volume detector on NAB-format data, the way `veille eval nab` does.
//!
//! ```text
//! cargo run --release -p veille-signals --example nab_eval -- \
//!     ../shared/data/nab ../shared/data/nab/labels/combined_windows.json results/
//! ```
//!
//! Without arguments it scores the crate's own small fixture. The JSON it
//! prints has, for each of NAB's three profiles, the normalised score over
//! all files and per category, and every file's raw score and counts; with
//! an output directory it also writes NAB results files, which NAB's own
//! scorer can check independently.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use std::path::PathBuf;
use std::process::ExitCode;

use veille_signals::nab::eval_nab;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nab");
    let data = args.first().map_or_else(|| fixtures.join("data"), PathBuf::from);
    let windows = args.get(1).map_or_else(|| fixtures.join("windows.json"), PathBuf::from);
    let out = args.get(2).map(PathBuf::from);

    // Streaming, no look-ahead, one fixed parameter set: the `[signals.detector]` defaults.
    match eval_nab(&data, &windows, out.as_deref()) {
        Ok(report) => {
            let json = serde_json::to_string_pretty(&report).unwrap_or_default();
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
