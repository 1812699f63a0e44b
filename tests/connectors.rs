//! `veille run` with several platform connectors at once: an RSS feed, a
//! Mastodon hashtag stream, the X filtered stream (all served locally in their
//! platforms' formats) and webhook push, side by side, all indexed.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::time::Duration;

use axum::routing::get;
use axum::Router;
use common::server::{free_port, wait_ready, wait_until};
use serde_json::{json, Value};

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Retail Daily</title><link>https://news.example/</link><description>News</description><language>en</language>
<item><title>Acme opens a flagship store</title><link>https://news.example/acme-flagship</link><guid>https://news.example/acme-flagship</guid><pubDate>Sun, 01 Mar 2026 08:00:00 GMT</pubDate><description>Acme opened downtown.</description></item>
<item><title>Acme recalls routers</title><link>https://news.example/acme-recall</link><guid>https://news.example/acme-recall</guid><pubDate>Mon, 02 Mar 2026 07:15:00 GMT</pubDate><description>&lt;p&gt;A power fault led &lt;b&gt;Acme&lt;/b&gt; to recall routers.&lt;/p&gt;</description></item>
</channel></rss>"#;

fn status(id: u64, text: &str) -> Value {
    json!({
        "id": id.to_string(), "created_at": "2026-03-02T10:00:00.000Z", "in_reply_to_id": null, "in_reply_to_account_id": null,
        "sensitive": false, "spoiler_text": "", "visibility": "public", "language": "en",
        "uri": format!("https://mastodon.example/users/ann/statuses/{id}"), "url": format!("https://mastodon.example/@ann/{id}"),
        "replies_count": 0, "reblogs_count": 1, "favourites_count": 2, "content": format!("<p>{text}</p>"), "reblog": null,
        "account": {"id": "1", "username": "ann", "acct": "ann", "display_name": "Ann", "followers_count": 42},
        "mentions": [], "tags": [{"name": "acme", "url": "https://mastodon.example/tags/acme"}], "emojis": [], "media_attachments": []
    })
}

fn post(id: u64, text: &str) -> String {
    json!({
        "data": {"id": id.to_string(), "text": text, "author_id": "7", "created_at": "2026-03-02T10:05:00.000Z", "lang": "en",
                 "public_metrics": {"retweet_count": 1, "reply_count": 0, "like_count": 5, "quote_count": 0}},
        "includes": {"users": [{"id": "7", "name": "Bo", "username": "bo_b", "public_metrics": {"followers_count": 88}}]},
        "matching_rules": [{"id": "1", "tag": "acme"}]
    })
    .to_string()
}

/// The admin API key `veille run` is provisioned with (`VEILLE_ADMIN_KEY`).
const ADMIN_KEY: &str = common::server::ADMIN_KEY;

/// GET `url` with the admin key: status and JSON body (a string when the body is not JSON).
fn get_json(url: &str) -> (u16, Value) {
    let resp = reqwest::blocking::Client::new().get(url).bearer_auth(ADMIN_KEY).send().unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Serves the feed, the Mastodon timeline and stream, and the X rules and stream.
fn platforms(rt: &tokio::runtime::Runtime) -> String {
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/feed.xml", get(|| async { ([("content-type", "application/rss+xml")], FEED) }))
        .route(
            "/api/v1/timelines/tag/acme",
            get(|| async { axum::Json(json!([status(110002, "Acme support rocks"), status(110001, "Is Acme down?")])) }),
        )
        .route(
            "/api/v1/streaming/hashtag",
            get(|| async {
                let body = format!(":thump\n\nevent: update\ndata: {}\n\n", status(110003, "Acme is back up"));
                ([("content-type", "text/event-stream")], body)
            }),
        )
        .route(
            "/2/tweets/search/stream/rules",
            get(|| async { axum::Json(json!({"meta": {"sent": "2026-03-02T10:00:00.000Z", "result_count": 0}})) }).post(|| async {
                axum::Json(json!({"meta": {"sent": "2026-03-02T10:00:00.000Z", "summary": {"created": 1, "not_created": 0, "valid": 1, "invalid": 0}}}))
            }),
        )
        .route(
            "/2/tweets/search/stream",
            get(|| async { format!("\r\n{}\r\n{}\r\n", post(1760000000000000001, "Acme app crashed"), post(1760000000000000002, "Acme fixed it")) }),
        );
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[test]
fn run_indexes_mentions_from_several_connectors_side_by_side() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let platforms = platforms(&rt);
    std::env::set_var("VEILLE_TEST_INGEST_TOKEN", "push-s3cret");
    std::env::set_var("VEILLE_ADMIN_KEY", ADMIN_KEY);
    std::env::set_var("VEILLE_TEST_X_TOKEN", "x-s3cret");
    let dir = tempfile::tempdir().unwrap();
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
kind = "rss"
name = "news"
feeds = [{{ url = "{platforms}/feed.xml" }}]
interval_ms = 500

[[sources]]
kind = "mastodon"
name = "masto"
instance = "{platforms}"
hashtags = ["acme"]
backoff = {{ initial_ms = 200, max_ms = 1000 }}

[[sources]]
kind = "x"
name = "x"
token_env = "VEILLE_TEST_X_TOKEN"
base_url = "{platforms}"
rules = [{{ value = "acme", tag = "acme" }}]
network_backoff = {{ initial_ms = 200, max_ms = 1000 }}

[[sources]]
kind = "push"
name = "crm"
token_env = "VEILLE_TEST_INGEST_TOKEN"
"#,
        data = dir.path().join("data").display()
    );
    let mut app = common::server::run(dir.path(), &toml, port);
    let base = app.base.clone();
    wait_ready(&base);

    let ingest = format!("{base}/api/v1/ingest");
    let client = reqwest::blocking::Client::new();
    let body = concat!(
        r#"{"platform":"web","native_id":"crm-1","text":"Acme refunded me quickly","created_at":"2026-03-02T11:00:00Z","author":{"handle":"ann"}}"#,
        "\n",
        r#"{"platform":"web","native_id":"crm-2","text":"Acme lost my parcel","created_at":"2026-03-02T11:05:00Z"}"#,
        "\n",
        r#"{"platform":"web","native_id":"crm-3","text":"Acme again","created_at":"2026-03-02T11:06:00Z","author":{"handle":"cleo"}}"#,
    );
    // `veille run` enforces API keys: an admin (or `ingest`) key pushes to the only push source.
    let (status, receipt) = common::server::push_ndjson(&client, &base, body.as_bytes().to_vec());
    assert_eq!(status, 202, "{receipt}");
    assert_eq!((receipt["accepted"].as_u64(), receipt["dead_lettered"].as_u64()), (Some(2), Some(1)), "{receipt}");
    assert_eq!(receipt["errors"][0]["line"].as_u64(), Some(2));
    assert!(receipt["errors"][0]["reason"].as_str().unwrap().contains("author"), "{receipt}");

    let resp = client.post(&ingest).bearer_auth("push-s3cret").body(body).send().unwrap();
    assert_eq!(resp.status().as_u16(), 401, "a push token is not an API key once keys are enforced");
    let resp = client.post(&ingest).bearer_auth("wrong").body(body).send().unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let resp = client.post(&ingest).body(body).send().unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let long = format!("{{}}\n{}", "x".repeat(1024 * 1024 + 1));
    let resp = client.post(&ingest).bearer_auth(ADMIN_KEY).body(long).send().unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    let refusal: Value = resp.json().unwrap();
    assert!(refusal["error"].as_str().unwrap().contains("limit of"), "the refusal names the limit: {refusal}");

    // 2 articles + 3 statuses + 2 posts + 2 pushed mentions.
    wait_until("every connector's mentions indexed", Duration::from_secs(60), || {
        get_json(&format!("{base}/api/v1/search?limit=0")).1["total"] == 9
    });
    let (_, res) = get_json(&format!("{base}/api/v1/search?q=*&limit=50"));
    let mut keys: Vec<String> =
        res["hits"].as_array().unwrap().iter().map(|h| h["mention"]["key"].as_str().unwrap().to_string()).collect();
    keys.sort();
    let host = platforms.trim_start_matches("http://").split(':').next().unwrap();
    let mut expected = vec![
        "rss:https://news.example/acme-flagship".to_string(),
        "rss:https://news.example/acme-recall".to_string(),
        format!("mastodon:{host}/110001"),
        format!("mastodon:{host}/110002"),
        format!("mastodon:{host}/110003"),
        "x:1760000000000000001".to_string(),
        "x:1760000000000000002".to_string(),
        "web:crm-1".to_string(),
        "web:crm-3".to_string(),
    ];
    expected.sort();
    assert_eq!(keys, expected);
    let (_, metrics) = get_json(&format!("{base}/metrics"));
    let metrics = metrics.as_str().unwrap_or_default().to_string();
    for source in ["news", "masto", "x", "crm"] {
        assert!(
            metrics.contains(&format!("veille_source_mentions_total{{source=\"{source}\"}}")),
            "{source} in /metrics"
        );
    }
    assert!(metrics.contains("veille_source_last_event_age_seconds"), "last event age exported");
    app.terminate();
}
