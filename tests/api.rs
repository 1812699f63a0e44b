//! `veille run` end to end: the simulator feeds the pipeline, the API answers over HTTP.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::time::Duration;

use common::server::{free_port, get, wait_ready, wait_until, Running};

fn start(dir: &std::path::Path, count: u64) -> Running {
    let port = free_port();
    let toml = format!(
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
count = {count}
start = "2026-02-01T00:00:00Z"
[[workspaces]]
name = "default"
"#,
        data = dir.join("data").display()
    );
    common::server::run(dir, &toml, port)
}

#[test]
fn run_serves_search_mentions_volume_metrics_and_health() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = start(dir.path(), 3_000);
    let base = app.base.clone();
    wait_ready(&base);
    wait_until("all mentions indexed", Duration::from_secs(60), || {
        get(&format!("{base}/api/v1/search?limit=0")).1["total"] == 3_000
    });

    let (status, health) = get(&format!("{base}/healthz"));
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));

    let (status, res) = get(&format!("{base}/api/v1/search?q=acme&limit=5&sort=relevance"));
    assert_eq!(status, 200);
    let total = res["total"].as_u64().unwrap();
    assert!(total > 100 && total < 3_000, "{total}");
    let hits = res["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 5);
    assert!(hits[0]["snippet"].as_str().unwrap().to_lowercase().contains("<b>acme</b>"), "{}", hits[0]);

    let key = hits[0]["key"].as_str().unwrap();
    let (status, m) = get(&format!("{base}/api/v1/mentions/{key}"));
    assert_eq!(status, 200);
    assert_eq!(m["key"].as_str(), Some(key));
    let (status, _) = get(&format!("{base}/api/v1/mentions/{key}?workspace=other"));
    assert_eq!(status, 404, "a key of another workspace is not found");

    let (status, vol) = get(&format!("{base}/api/v1/stats/volume?interval=1h&split=platform"));
    assert_eq!(status, 200);
    assert_eq!(vol["total"].as_u64(), Some(3_000));
    assert!(vol["buckets"].as_array().unwrap().len() > 1);
    assert!(vol["buckets"][0]["split"].as_object().is_some_and(|s| !s.is_empty()));

    let (status, page) =
        get(&format!("{base}/api/v1/search?q=*&from=2026-02-01T01:00:00Z&to=2026-02-01T02:00:00Z&limit=1000"));
    assert_eq!(status, 200);
    for hit in page["hits"].as_array().unwrap() {
        let t = hit["mention"]["created_at"].as_str().unwrap();
        assert!(("2026-02-01T01:00:00".."2026-02-01T02:00:00").contains(&t), "{t}");
    }

    for (url, needle) in [
        ("/api/v1/search?q=text:(oops", "invalid query"),
        ("/api/v1/search?limit=5000", "limit"),
        ("/api/v1/search?from=yesterday", "`from`"),
        ("/api/v1/search?qq=acme", "qq"),
        ("/api/v1/stats/volume?interval=weekly", "interval"),
        ("/api/v1/search?workspace=Not%20Valid", "workspace"),
    ] {
        let (status, body) = get(&format!("{base}{url}"));
        assert_eq!(status, 400, "{url}: {body}");
        assert!(body["error"].as_str().unwrap().contains(needle), "{url}: {body}");
    }
    let (status, _) = get(&format!("{base}/api/v1/nothing"));
    assert_eq!(status, 404);

    let metrics = reqwest::blocking::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(common::server::ADMIN_KEY)
        .send()
        .unwrap()
        .text()
        .unwrap();
    for name in [
        "veille_index_commits_total",
        "veille_pipeline_records_total",
        "veille_source_mentions_total",
        "veille_bus_batches_total",
    ] {
        assert!(metrics.contains(name), "missing {name}");
    }

    // SIGTERM: a clean stop.
    app.terminate();
}
