//! Key nodes and communities over HTTP (`veille run`) and from the index (`veille keynodes`).

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::time::Duration;

use common::server::{free_port, get, wait_ready, wait_until};
use serde_json::Value;
use veille_sources::Simulator;

const COUNT: u64 = 8_000;

fn config(dir: &std::path::Path, port: u16) -> String {
    format!(
        r#"
[data]
dir = "{data}"
[index]
commit_every_ms = 200
[server]
listen = "127.0.0.1:{port}"
[[sources]]
kind = "simulate"
name = "sim"
brands = ["Acme", "Globex"]
rate = 1.0
speed = 0
count = {COUNT}
authors = 500
start = "2026-02-01T00:00:00Z"
[[workspaces]]
name = "default"
[[workspaces.watches]]
name = "acme"
kind = "brand"
terms = ["Acme"]
handles = ["@acme"]
[[workspaces.watches]]
name = "globex"
kind = "competitor"
terms = ["Globex"]
"#,
        data = dir.join("data").display()
    )
}

/// The handles the simulator makes influential, for the configuration above.
fn influential() -> Vec<String> {
    let start = chrono::DateTime::parse_from_rfc3339("2026-02-01T00:00:00Z").unwrap().to_utc();
    let cfg = veille_config::SimulateSource {
        name: "sim".into(),
        brands: vec!["Acme".into(), "Globex".into()],
        rate: 1.0,
        speed: 0.0,
        history_s: 0,
        count: Some(COUNT),
        start: None,
        seed: 42,
        french_share: 0.35,
        authors: 500,
        crisis: None,
        workspace: None,
    };
    Simulator::new(cfg, start).influential_handles()
}

fn handles(nodes: &Value) -> Vec<String> {
    nodes.as_array().unwrap().iter().map(|n| n["handle"].as_str().unwrap().to_string()).collect()
}

#[test]
fn key_nodes_and_communities_are_served_live_and_rebuilt_from_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut app = common::server::run(dir.path(), &config(dir.path(), port), port);
    let base = app.base.clone();
    wait_ready(&base);
    wait_until("all mentions indexed", Duration::from_secs(120), || {
        get(&format!("{base}/api/v1/search?limit=0")).1["total"] == COUNT
    });
    let expected = influential();

    let (status, body) = get(&format!("{base}/api/v1/keynodes?watch=acme&limit=10"));
    assert_eq!(status, 200, "{body}");
    let nodes = &body["key_nodes"];
    let top = handles(nodes);
    for h in &expected {
        assert!(top.contains(h), "influential @{h} missing from the top 10 on acme: {top:?}");
    }
    let first = &nodes[0];
    for component in ["centrality", "reach", "engagement", "activity"] {
        assert!(first["components"][component]["value"].as_f64().is_some(), "{first}");
    }
    let sample = first["sample_mentions"][0].as_str().expect("sample mention keys");
    let (status, m) = get(&format!("{base}/api/v1/mentions/{sample}"));
    assert_eq!(status, 200, "a sample mention is in the index: {m}");
    assert_eq!(m["author"]["handle"].as_str(), first["handle"].as_str());

    let (status, body) = get(&format!("{base}/api/v1/keynodes?window=1h&limit=5"));
    assert_eq!(status, 200, "{body}");
    assert!(body["key_nodes"].as_array().unwrap().len() <= 5);

    // Communities are detected off the ingest path, on a schedule.
    wait_until("communities", Duration::from_secs(30), || {
        get(&format!("{base}/api/v1/communities")).1["report"]["communities"].as_array().is_some_and(|c| !c.is_empty())
    });
    let (status, body) = get(&format!("{base}/api/v1/communities?limit=5"));
    assert_eq!(status, 200, "{body}");
    let communities = body["report"]["communities"].as_array().unwrap();
    assert!(!communities.is_empty(), "{body}");
    assert!(communities.iter().all(|c| c["size"].as_u64().unwrap() > 0 && c["label"].is_string()), "{body}");

    for (url, needle) in [
        ("/api/v1/keynodes?window=soon", "window"),
        ("/api/v1/keynodes?limit=0", "limit"),
        ("/api/v1/keynodes?top=3", "top"),
        ("/api/v1/communities?limit=100000", "limit"),
    ] {
        let (status, body) = get(&format!("{base}{url}"));
        assert_eq!(status, 400, "{url}: {body}");
        assert!(body["error"].as_str().unwrap().contains(needle), "{url}: {body}");
    }
    let (status, body) = get(&format!("{base}/api/v1/keynodes?workspace=other"));
    assert_eq!(status, 200);
    assert_eq!(body["key_nodes"].as_array().map(Vec::len), Some(0), "another workspace has no key nodes: {body}");
    app.terminate();

    // Offline, from the index alone.
    let config_path = dir.path().join("veille.toml");
    let out = common::veille_ok(&["keynodes", "--config", config_path.to_str().unwrap(), "--watch", "acme", "--json"]);
    let nodes: Value = serde_json::from_slice(&out.stdout).unwrap();
    let top = handles(&Value::Array(nodes.as_array().unwrap().iter().take(10).cloned().collect()));
    for h in &expected {
        assert!(top.contains(h), "influential @{h} missing from `veille keynodes`: {top:?}");
    }
    let out = common::veille_ok(&["keynodes", "--config", config_path.to_str().unwrap(), "--communities"]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.lines().count() > 1, "{table}");
}
