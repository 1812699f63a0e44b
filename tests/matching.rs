//! Watches tag mentions: `veille match` on a stream, and tags indexed by an import.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{count, veille_ok};

#[test]
fn match_tags_each_mention_in_order_and_reports_bad_lines() {
    let config = common::root().join("config/examples/airlines.toml");
    let input = concat!(
        r#"{"workspace":"airlines","platform":"x","native_id":"1","text":"@united lost my bag again, time to boycott","created_at":"2015-02-24T10:00:00Z","author":{"handle":"a"}}"#,
        "\n",
        "not json\n",
        r#"{"workspace":"airlines","platform":"x","native_id":"2","text":"Lovely weather today","created_at":"2015-02-24T10:00:00Z","author":{"handle":"b"}}"#,
        "\n",
    );
    let mut child = Command::new(common::bin())
        .args(["match", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["native_id"], "1");
    let watches: Vec<&str> =
        lines[0]["tags"].as_array().unwrap().iter().map(|t| t["watch"].as_str().unwrap()).collect();
    assert!(watches.contains(&"united"), "{watches:?}");
    assert!(lines[0]["tags"].as_array().unwrap().iter().any(|t| t["kind"] == "crisis"), "{}", lines[0]);
    assert!(lines[1].get("tags").is_none(), "{}", lines[1]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("invalid JSON"), "{err}");
}

#[test]
fn imported_mentions_are_searchable_by_watch_and_kind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let config = common::root().join("config/veille.toml");
    let fixture = common::root().join("tests/fixtures/mentions.ndjson");
    veille_ok(&["import", "ndjson", fixture.to_str().unwrap(), "--config", config.to_str().unwrap(), "--data-dir", d]);
    assert_eq!(count(dir.path(), "default", "watch:acme", &[]), 4);
    assert_eq!(count(dir.path(), "default", "watch_kind:crisis", &[]), 1, "the recall post");
    assert_eq!(count(dir.path(), "default", "sentiment:negative AND lang:fr", &[]), 1, "le service client est nul");
    assert!(count(dir.path(), "default", "sentiment:positive", &[]) >= 1, "loving the espresso machine");
    assert_eq!(count(dir.path(), "default", "key_node:[0 TO 1]", &[]), 4, "every author has a key-node score");
}

#[test]
fn a_bad_rule_stops_startup_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[[workspaces]]\nname = \"w\"\n[[workspaces.watches]]\nname = \"x\"\nkind = \"brand\"\nterms = [\"acme\"]\nrule = \"acme AND (\"\n").unwrap();
    let out = common::veille(&["match", "--config", config.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("watch `x`") && err.contains("character"), "{err}");
}

#[test]
fn match_warns_when_mentions_are_in_a_workspace_without_watches_and_names_the_configured_ones() {
    // The airline example's watches are in workspace `airlines`; mentions without a
    // `workspace` field are in `default`, which has none.
    let config = common::root().join("config/examples/airlines.toml");
    let mention = |id: &str, workspace: &str| {
        format!(
            r#"{{{workspace}"platform":"x","native_id":"{id}","text":"@united lost my bag","created_at":"2015-02-24T10:00:00Z","author":{{"handle":"a"}}}}"#
        )
    };
    let input = [mention("1", ""), mention("2", ""), mention("3", r#""workspace":"airlines","#)].join("\n");
    let mut child = Command::new(common::bin())
        .args(["match", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 3, "every mention is written out");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tagged 1 of 3 mentions (airlines: 1 of 1 tagged; default: 0 of 2 tagged)"), "{err}");
    let warning = err.lines().find(|l| l.starts_with("warning: ")).unwrap_or_else(|| panic!("no warning: {err}"));
    assert!(warning.contains("2 mentions are in workspace `default`, which has no watches"), "{warning}");
    assert!(warning.contains("The configuration's workspaces: `airlines` (20 watches)"), "{warning}");
    assert_eq!(err.lines().filter(|l| l.starts_with("warning: ")).count(), 1, "no warning about `airlines`: {err}");
}
