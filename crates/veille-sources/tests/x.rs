//! The X connector against a local filtered stream: rules synced, posts with
//! expansions replayed from the documented format, a drop mid-stream, a 429
//! with x-rate-limit-reset, a 503, a malformed line, and backfill on reconnect.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use veille_config::{BackoffConfig, XRule, XSource as XConfig};
use veille_sources::XSource;

#[derive(Default)]
struct Server {
    lines: Vec<String>,
    connections: AtomicUsize,
    rule_changes: Mutex<Vec<Value>>,
    queries: Mutex<Vec<HashMap<String, String>>>,
}

fn check_token(headers: &HeaderMap) {
    assert_eq!(headers.get("authorization").unwrap(), "Bearer x-t0ken");
}

async fn rules(headers: HeaderMap) -> Json<Value> {
    check_token(&headers);
    Json(serde_json::json!({
        "data": [{"id": "1760000000000000001", "value": "globex lang:en", "tag": "old"}],
        "meta": {"sent": "2026-03-02T10:00:00.000Z", "result_count": 1}
    }))
}

async fn change_rules(State(s): State<Arc<Server>>, headers: HeaderMap, Json(body): Json<Value>) -> Json<Value> {
    check_token(&headers);
    s.rule_changes.lock().unwrap().push(body.clone());
    let sent = "2026-03-02T10:00:01.000Z";
    if body.get("add").is_some() {
        Json(serde_json::json!({
            "data": [{"value": "acme lang:en", "tag": "acme", "id": "1760000000000000100"}],
            "meta": {"sent": sent, "summary": {"created": 1, "not_created": 0, "valid": 1, "invalid": 0}}
        }))
    } else {
        Json(serde_json::json!({"meta": {"sent": sent, "summary": {"deleted": 1, "not_deleted": 0}}}))
    }
}

async fn stream(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    check_token(&headers);
    s.queries.lock().unwrap().push(q);
    let n = s.connections.fetch_add(1, Ordering::SeqCst) + 1;
    match n {
        2 => {
            let reset = (chrono::Utc::now().timestamp() + 1).to_string();
            return (StatusCode::TOO_MANY_REQUESTS, [("x-rate-limit-reset", reset)], Json(serde_json::json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}))).into_response();
        }
        3 => return (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response(),
        _ => {}
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(16);
    let lines = s.lines.clone();
    tokio::spawn(async move {
        if n == 1 {
            let _ = tx.send("\r\n".into()).await;
            for l in &lines[..2] {
                let _ = tx.send(format!("{l}\r\n")).await;
            }
            let _ = tx.send("{\"data\": {\"id\": \"17600000\r\n".into()).await;
            let _ = tx.send(format!("{}\r\n", lines[2])).await;
            let _ = tx.send("{\"errors\": [{\"title\": \"operational-disconnect\", \"disconnect_type\": \"UpstreamOperationalDisconnect\", \"detail\": \"This stream has been disconnected upstream for operational reasons.\", \"type\": \"https://api.twitter.com/2/problems/operational-disconnect\"}]}\r\n".into()).await;
        } else {
            // Backfill replays the last minute: two posts already sent, then what was missed.
            for l in &lines[1..] {
                let _ = tx.send(format!("{l}\r\n")).await;
            }
            for _ in 0..100 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if tx.send("\r\n".into()).await.is_err() {
                    break;
                }
            }
        }
    });
    let body =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (Ok::<_, Infallible>(c), rx)) });
    ([("content-type", "application/json")], Body::from_stream(body)).into_response()
}

fn config(url: &str) -> XConfig {
    std::env::set_var("X_TEST_BEARER", "x-t0ken");
    XConfig {
        name: "x".into(),
        token_env: "X_TEST_BEARER".into(),
        rules: vec![XRule { value: "acme lang:en".into(), tag: Some("acme".into()) }],
        base_url: url.into(),
        backfill_minutes: 1,
        backoff: BackoffConfig { initial_ms: 20, max_ms: 200 },
        network_backoff: BackoffConfig { initial_ms: 10, max_ms: 100 },
        rate_limit_ms: 20,
        stall_ms: 2_000,
        flush_ms: 20,
        workspace: Some("acme".into()),
    }
}

#[tokio::test]
async fn stream_reconnects_as_documented_and_backfill_brings_no_duplicates() {
    let server = Arc::new(Server {
        lines: common::fixture("x_stream.jsonl").lines().map(str::to_string).collect(),
        ..Default::default()
    });
    let app = Router::new()
        .route("/2/tweets/search/stream/rules", get(rules).post(change_rules))
        .route("/2/tweets/search/stream", get(stream))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let mut run = common::start(Box::new(XSource::new(config(&url)).unwrap()), None, 100);
    run.until("five posts", Duration::from_secs(15), |r| r.mentions.len() >= 5).await;
    run.settle(Duration::from_millis(300)).await;
    let run = run.stop().await;

    let expected: Vec<String> = (0..5).map(|i| (1760000000000000000u64 + i).to_string()).collect();
    assert_eq!(run.ids(), expected, "every post once, in order");
    assert!(run.mentions.iter().all(|m| m.workspace == "acme"));
    let reply = &run.mentions[1];
    assert_eq!(
        reply.reply_to.as_ref().map(|r| (r.id.as_str(), r.author.as_deref())),
        Some(("1759999999999999999", Some("Acme")))
    );
    assert_eq!(reply.author.followers, Some(88));
    assert_eq!(reply.mentions, ["Acme"]);
    assert_eq!(run.mentions[2].repost_of.as_ref().and_then(|r| r.author.as_deref()), Some("Acme"));
    assert_eq!(run.mentions[3].quote_of.as_ref().map(|r| r.id.as_str()), Some("1759999999999999999"));
    assert_eq!(run.mentions[4].engagement.likes, 40);
    assert_eq!(run.mentions[0].attributes.get("rules").map(String::as_str), Some("acme"));
    assert_eq!(run.dead.len(), 1);
    assert!(
        run.dead[0].reason.starts_with("not JSON") && run.dead[0].origin.location == "stream line 4",
        "{:?}",
        run.dead[0]
    );

    let changes = server.rule_changes.lock().unwrap().clone();
    assert_eq!(changes[0], serde_json::json!({"delete": {"ids": ["1760000000000000001"]}}));
    assert_eq!(changes[1], serde_json::json!({"add": [{"value": "acme lang:en", "tag": "acme"}]}));
    let queries = server.queries.lock().unwrap().clone();
    assert_eq!(queries.len(), 4, "dropped, rate limited, unavailable, then streaming");
    assert!(queries[0]
        .get("expansions")
        .is_some_and(|e| e.contains("author_id") && e.contains("referenced_tweets.id")));
    assert!(queries[0].get("tweet.fields").is_some_and(|e| e.contains("public_metrics")));
    assert_eq!(queries[0].get("backfill_minutes"), None, "a first connection asks for no backfill");
    assert_eq!(queries[3].get("backfill_minutes").map(String::as_str), Some("1"));
    assert_eq!(run.last_cursor().as_deref(), Some(expected[4].as_str()));
    assert!(veille_sources::health("x").unwrap().errors >= 3);
}
