//! Helpers shared by the integration tests: the real `veille` binary and the shared data sets.
#![allow(dead_code)]

pub mod alerting;
pub mod broker;
pub mod role;
pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `veille` binary built for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_veille"))
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

/// `../shared/data/<rel>` when the shared data sets are present; prints why a test is skipped otherwise.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = root().join("../shared/data").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: ../shared/data not found ({rel})");
        None
    }
}

/// Runs `veille` with `args` and returns its output; panics with its stderr when it fails.
pub fn veille_ok(args: &[&str]) -> Output {
    let out = veille(args);
    assert!(out.status.success(), "veille {args:?} failed: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    out
}

/// Runs `veille` with `args`.
pub fn veille(args: &[&str]) -> Output {
    Command::new(bin()).args(args).env("RUST_LOG", "warn").output().expect("run veille")
}

/// Number printed by `veille search QUERY --count`.
pub fn count(data_dir: &Path, workspace: &str, query: &str, extra: &[&str]) -> u64 {
    let dir = data_dir.to_str().expect("utf-8 path");
    let mut args = vec!["search", query, "--count", "--data-dir", dir, "--workspace", workspace];
    args.extend_from_slice(extra);
    let out = veille_ok(&args);
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("a count")
}

/// Parses `imported N mentions, M dead-lettered ...` from an import's output.
pub fn import_summary(out: &Output) -> (u64, u64) {
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("imported ")).unwrap_or_else(|| panic!("no summary in {text}"));
    let nums: Vec<u64> = line.split(|c: char| !c.is_ascii_digit()).filter_map(|s| s.parse().ok()).collect();
    (nums[0], nums[1])
}

/// The Python interpreter with the reference tools (`VEILLE_PYTHON`, else `.venv/bin/python`).
/// `None` (with a message) when missing, unless `VEILLE_REQUIRE_REFERENCE=1` makes that a failure.
pub fn reference_python() -> Option<PathBuf> {
    let p = std::env::var_os("VEILLE_PYTHON").map(PathBuf::from).unwrap_or_else(|| root().join(".venv/bin/python"));
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var("VEILLE_REQUIRE_REFERENCE").as_deref() != Ok("1"),
        "python reference required but {} is missing",
        p.display()
    );
    eprintln!("skipped: python reference not available");
    None
}
