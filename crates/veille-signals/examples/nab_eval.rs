//! Scores the volume detector on NAB-format data, the way `veille eval nab` does.
//!
//! ```text
//! cargo run --release -p veille-signals --example nab_eval -- \
//!     ../shared/data/nab/realTweets ../shared/data/nab/labels/combined_windows.json standard results/
//! ```
//!
//! Without arguments it scores the crate's own small fixture. The JSON it
//! prints has the normalised score of every file (`files`) and over all files
//! (`overall`); with an output directory it also writes NAB results files,
//! which NAB's own scorer can check independently.

use std::path::PathBuf;
use std::process::ExitCode;

use veille_signals::nab::{eval_nab, NabProfile};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nab");
    let data = args.first().map_or_else(|| fixtures.join("data"), PathBuf::from);
    let windows = args.get(1).map_or_else(|| fixtures.join("windows.json"), PathBuf::from);
    let profile = match args.get(2).map_or(Ok(NabProfile::Standard), |p| p.parse::<NabProfile>()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let out = args.get(3).map(PathBuf::from);

    // Streaming, no look-ahead, one fixed parameter set: the `[signals.detector]` defaults.
    match eval_nab(&data, &windows, profile, out.as_deref()) {
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
