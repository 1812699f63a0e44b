//! `veille eval pagerank` against networkx on the @mention graph of the airline tweets.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Command;

use common::veille_ok;

/// `author TAB handle` for every @handle in every well-formed row.
fn airline_edges(csv_path: &std::path::Path) -> String {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(csv_path).unwrap();
    let header = reader.headers().unwrap().clone();
    let (name, text) =
        (header.iter().position(|h| h == "name").unwrap(), header.iter().position(|h| h == "text").unwrap());
    let mut out = String::new();
    for r in reader.records() {
        let r = r.unwrap();
        if r.len() != header.len() {
            continue;
        }
        for word in r[text].split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '@')) {
            if let Some(h) = word.strip_prefix('@').filter(|h| !h.is_empty() && !h.contains('@')) {
                out.push_str(&format!("{}\t{}\n", r[name].trim(), h));
            }
        }
    }
    out
}

#[test]
fn eval_pagerank_matches_networkx_on_every_node() {
    let Some(csv_path) = common::shared("airline/Tweets.csv") else { return };
    let Some(python) = common::reference_python() else { return };
    let mut tsv = tempfile::NamedTempFile::new().unwrap();
    tsv.write_all(airline_edges(&csv_path).as_bytes()).unwrap();
    let path = tsv.path().to_str().unwrap();
    for damping in ["0.85", "0.6"] {
        let ours = veille_ok(&["eval", "pagerank", "--edges", path, "--damping", damping]);
        let ours: BTreeMap<String, f64> = serde_json::from_slice(&ours.stdout).unwrap();
        let script = common::root().join("crates/veille-graph/tests/reference/pagerank.py");
        let theirs = Command::new(&python).arg(script).arg(path).arg(damping).output().unwrap();
        assert!(theirs.status.success(), "{}", String::from_utf8_lossy(&theirs.stderr));
        let theirs: BTreeMap<String, f64> = serde_json::from_slice(&theirs.stdout).unwrap();
        assert_eq!(ours.len(), theirs.len());
        assert!(ours.len() > 5_000, "{} nodes", ours.len());
        let sum: f64 = ours.values().sum();
        assert!((sum - 1.0).abs() < 1e-9, "scores sum to {sum}");
        let worst = ours.iter().map(|(k, v)| (v - theirs[k]).abs()).fold(0.0, f64::max);
        eprintln!("pagerank damping {damping}: {} nodes, largest difference with networkx {worst:e}", ours.len());
        assert!(worst < 1e-6, "largest difference {worst}");
    }
}

#[test]
fn eval_pagerank_names_the_bad_line() {
    let mut tsv = tempfile::NamedTempFile::new().unwrap();
    tsv.write_all(b"a\tb\nc\td\tnot-a-weight\n").unwrap();
    let out = common::veille(&["eval", "pagerank", "--edges", tsv.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2"), "{err}");
}
