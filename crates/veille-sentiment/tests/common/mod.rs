//! Where the shared data sets and the Python reference are, for the tests
//! and benchmarks that use them.

// Each test binary uses the helpers it needs; not all of them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/data` beside the workspace, or `None` (with a notice) when absent.
pub fn shared_data() -> Option<PathBuf> {
    let dir = workspace_root().join("../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: ../shared/data not found");
        None
    }
}

/// The Python interpreter that has the VADER reference packages: `$VEILLE_PYTHON`,
/// else `<workspace>/.venv/bin/python`. `None` (with a notice) when missing,
/// unless `VEILLE_REQUIRE_REFERENCE=1`, which makes a missing reference fatal.
pub fn reference_python() -> Option<PathBuf> {
    let python = std::env::var_os("VEILLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    let works = Command::new(&python)
        .args(["-W", "ignore", "-c", "import vaderSentiment, vaderSentiment_fr"])
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        return Some(python);
    }
    if std::env::var("VEILLE_REQUIRE_REFERENCE").as_deref() == Ok("1") {
        panic!("python reference not available at {} (VEILLE_REQUIRE_REFERENCE=1)", python.display());
    }
    println!("skipped: python reference not available");
    None
}

/// The reference script shipped with the tests.
pub fn reference_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/vader_reference.py")
}

/// The texts of the VADER tweets ground truth (`id TAB rating TAB text`).
pub fn vader_tweets(data: &Path) -> Vec<String> {
    let raw =
        std::fs::read_to_string(data.join("vader/tweets_GroundTruth.txt")).expect("readable tweets_GroundTruth.txt");
    raw.lines().filter_map(|line| line.splitn(3, '\t').nth(2)).map(str::to_string).collect()
}
