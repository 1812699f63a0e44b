//! Helpers shared by the integration tests: locating the shared data and the
//! Python reference, and reading the airline tweets as interactions.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/data` next to the workspace, or `None` (after saying so) when absent.
pub fn shared_data() -> Option<PathBuf> {
    let dir = workspace_root().join("../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: ../shared/data not found");
        None
    }
}

/// The Python interpreter with networkx, or `None` (after saying so) when it
/// is missing and `VEILLE_REQUIRE_REFERENCE=1` is not set.
pub fn reference_python() -> Option<PathBuf> {
    let python = std::env::var_os("VEILLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    let usable =
        Command::new(&python).args(["-c", "import networkx, scipy"]).output().is_ok_and(|o| o.status.success());
    if usable {
        return Some(python);
    }
    if std::env::var("VEILLE_REQUIRE_REFERENCE").as_deref() == Ok("1") {
        panic!(
            "python reference required (VEILLE_REQUIRE_REFERENCE=1) but {} cannot import networkx and scipy",
            python.display()
        );
    }
    println!("skipped: python reference not available");
    None
}

/// Runs `tests/reference/pagerank.py` on a TSV file with the given options
/// and parses its JSON output.
pub fn networkx_pagerank(
    python: &Path,
    tsv: &Path,
    options: &veille_graph::PageRankOptions,
) -> std::collections::BTreeMap<String, f64> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/pagerank.py");
    let out = Command::new(python)
        .arg(script)
        .arg(tsv)
        .arg(options.damping.to_string())
        .arg(options.tol.to_string())
        .arg(options.max_iter.to_string())
        .output()
        .expect("run the python reference");
    assert!(out.status.success(), "reference failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("reference prints one JSON object")
}

/// One tweet of the airline data set reduced to what the graph needs.
pub struct Tweet {
    pub id: String,
    pub author: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Distinct @handles in the text other than the author's, lowercased, in text order.
    pub targets: Vec<String>,
}

/// Reads `airline/Tweets.csv`: author = `name` column, targets = @handles in
/// `text`, both lowercased (handles are case-insensitive). Malformed rows
/// (unreadable CSV, no author, or a `tweet_created` that is not a timestamp)
/// are skipped.
pub fn airline_tweets(data: &Path) -> Vec<Tweet> {
    let mut reader = csv::Reader::from_path(data.join("airline/Tweets.csv")).expect("open Tweets.csv");
    let headers = reader.headers().expect("header row").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (id_col, name_col, text_col, time_col) = (col("tweet_id"), col("name"), col("text"), col("tweet_created"));
    let mut tweets = Vec::new();
    for record in reader.records() {
        let Ok(record) = record else { continue };
        let (Some(id), Some(name), Some(text), Some(time)) =
            (record.get(id_col), record.get(name_col), record.get(text_col), record.get(time_col))
        else {
            continue;
        };
        let Ok(created_at) = veille_model::parse_timestamp(time) else {
            continue;
        };
        let author = name.trim().to_lowercase();
        if author.is_empty() || author.contains('\t') {
            continue;
        }
        let mut targets: Vec<String> = Vec::new();
        for handle in handles(text) {
            let h = handle.to_lowercase();
            if h != author && !targets.contains(&h) {
                targets.push(h);
            }
        }
        tweets.push(Tweet { id: id.to_string(), author, created_at, targets });
    }
    tweets
}

/// `@handle`s in a text: `@` not preceded by a word character, then `[A-Za-z0-9_]+`.
pub fn handles(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'@' {
            continue;
        }
        if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
            continue;
        }
        let end = bytes[i + 1..]
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
            .map_or(bytes.len(), |p| i + 1 + p);
        if end > i + 1 {
            out.push(&text[i + 1..end]);
        }
    }
    out
}
