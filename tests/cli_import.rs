//! Importing mention NDJSON through the real binary: dead letters, upserts, search.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use common::{count, import_summary, veille, veille_ok};

fn fixture() -> String {
    common::root().join("tests/fixtures/mentions.ndjson").to_string_lossy().into_owned()
}

#[test]
fn ndjson_import_indexes_valid_mentions_and_dead_letters_the_rest_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = veille_ok(&["import", "ndjson", &fixture(), "--data-dir", d]);
    // 11 lines: 1 blank, 5 invalid, 5 valid of which one replays key x:100.
    assert_eq!(import_summary(&out), (5, 5));
    assert_eq!(count(dir.path(), "default", "*", &[]), 4, "the replayed x:100 replaces its first copy");
    assert_eq!(count(dir.path(), "default", "edited", &[]), 1);
    assert_eq!(count(dir.path(), "default", "recall", &[]), 1, "titles and text are searched");
    assert_eq!(count(dir.path(), "default", "platform:bluesky", &[]), 1);

    let dead = std::fs::read_to_string(dir.path().join("deadletter.ndjson")).unwrap();
    let reasons: Vec<String> = dead
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["reason"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(reasons.len(), 5);
    assert!(reasons[0].starts_with("line 5: field `author`"), "{}", reasons[0]);
    assert!(reasons[1].starts_with("line 6: field `created_at`"), "{}", reasons[1]);
    assert!(reasons[2].starts_with("line 7: field `author.followers`"), "{}", reasons[2]);
    assert!(reasons[3].starts_with("line 8: field `platform`"), "{}", reasons[3]);
    assert!(reasons[4].starts_with("line 9: invalid JSON"), "{}", reasons[4]);
    let first: serde_json::Value = serde_json::from_str(dead.lines().next().unwrap()).unwrap();
    assert!(first["original"].as_str().unwrap().contains("missing its author"));
    assert!(first["origin"]["location"].as_str().unwrap().ends_with("mentions.ndjson line 5"));
}

#[test]
fn a_finished_import_resumes_at_its_end_and_restart_replays_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    veille_ok(&["import", "ndjson", &fixture(), "--data-dir", d]);
    let again = veille_ok(&["import", "ndjson", &fixture(), "--data-dir", d]);
    assert_eq!(import_summary(&again), (0, 0), "nothing new after the stored cursor");
    let replay = veille_ok(&["import", "ndjson", &fixture(), "--data-dir", d, "--restart"]);
    assert_eq!(import_summary(&replay), (5, 5));
    assert_eq!(count(dir.path(), "default", "*", &[]), 4);
}

#[test]
fn invalid_utf8_and_standard_input_are_handled() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bytes.ndjson");
    let mut bytes = std::fs::read(fixture()).unwrap();
    bytes.extend_from_slice(b"{\"platform\":\"x\",\"native_id\":\"9\",\"text\":\"caf\xe9\"}\n");
    std::fs::write(&input, bytes).unwrap();
    let data = dir.path().join("data");
    let out = veille_ok(&["import", "ndjson", input.to_str().unwrap(), "--data-dir", data.to_str().unwrap()]);
    assert_eq!(import_summary(&out), (5, 6));
    let dead = std::fs::read_to_string(data.join("deadletter.ndjson")).unwrap();
    assert!(dead.lines().last().unwrap().contains("line 12: invalid UTF-8 at byte"), "{dead}");
}

#[test]
fn workspace_flag_scopes_imported_mentions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    veille_ok(&["import", "ndjson", &fixture(), "--data-dir", d, "--workspace", "acme-team"]);
    assert_eq!(count(dir.path(), "acme-team", "*", &[]), 4);
    assert_eq!(count(dir.path(), "default", "*", &[]), 0);
    let bad = veille(&["import", "ndjson", &fixture(), "--data-dir", d, "--workspace", "Acme Team"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("workspace"), "{}", String::from_utf8_lossy(&bad.stderr));
}

#[test]
fn an_import_counts_tagged_mentions_per_workspace_and_warns_about_a_workspace_without_watches() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    // The airline example has watches in workspace `airlines` only; the fixture's mentions are in `default`.
    let config = common::root().join("config/examples/airlines.toml");
    let c = config.to_str().unwrap();
    let out = veille_ok(&["import", "ndjson", &fixture(), "--config", c, "--data-dir", d]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("tagged per workspace: default: 0 of 5 tagged"), "{stdout}");
    assert!(
        stderr.contains("warning: 5 mentions are in workspace `default`, which has no watches")
            && stderr.contains("`airlines` (20 watches)")
            && stderr.contains("--workspace"),
        "{stderr}"
    );
    let args = ["import", "ndjson", &fixture(), "--config", c, "--data-dir", d, "--workspace", "airlines", "--restart"];
    let out = veille_ok(&args);
    assert!(String::from_utf8_lossy(&out.stdout).contains("tagged per workspace: airlines: "), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning:"), "{out:?}");
}

#[test]
fn bad_queries_fail_with_a_message_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = veille(&["search", "text:(oops", "--data-dir", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid query `text:(oops`"), "{err}");
}
