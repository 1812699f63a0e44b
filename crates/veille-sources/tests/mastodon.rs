//! The Mastodon connector against a local server: Status entities from the
//! documented format, a stream that ends mid-way, a 500 on reconnect, a 429
//! with Retry-After on the catch-up, malformed events and statuses.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;
use veille_config::{BackoffConfig, MastodonMode, MastodonSource as MastodonConfig};
use veille_sources::MastodonSource;

struct Server {
    statuses: Vec<Value>,
    /// How many statuses the REST timeline shows (the others are not posted yet).
    visible: AtomicUsize,
    streams: AtomicUsize,
    rest_calls: AtomicUsize,
    queries: Mutex<Vec<String>>,
    /// Faults are injected only in the first scenario.
    faults: bool,
    /// The first timeline page is a 200 that is not JSON (a maintenance page).
    unreadable_first: bool,
}

fn id_of(v: &Value) -> u128 {
    v["id"].as_str().unwrap().parse().unwrap()
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer masto-t0ken")
}

async fn timeline(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    assert!(authorized(&headers));
    let call = s.rest_calls.fetch_add(1, Ordering::SeqCst) + 1;
    s.queries.lock().unwrap().push(format!("{q:?}"));
    if s.unreadable_first && call == 1 {
        return (StatusCode::OK, [("content-type", "text/html")], "<html>Down for maintenance</html>").into_response();
    }
    if s.faults && call == 2 {
        return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], "slow down").into_response();
    }
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(20);
    let visible = &s.statuses[..s.visible.load(Ordering::SeqCst)];
    let mut page: Vec<&Value> = match q.get("min_id").map(|m| m.parse::<u128>().unwrap()) {
        // The page just after min_id, newest first.
        Some(min) => visible.iter().filter(|v| id_of(v) > min).take(limit).collect(),
        None => visible.iter().rev().take(limit).collect(),
    };
    page.sort_by_key(|v| std::cmp::Reverse(id_of(v)));
    axum::Json(page.into_iter().cloned().collect::<Vec<_>>()).into_response()
}

async fn stream(State(s): State<Arc<Server>>, headers: HeaderMap) -> Response {
    assert!(authorized(&headers));
    let n = s.streams.fetch_add(1, Ordering::SeqCst) + 1;
    if n == 2 {
        return (StatusCode::INTERNAL_SERVER_ERROR, "stream overloaded").into_response();
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(16);
    let server = s.clone();
    let catch_ups = s.rest_calls.load(Ordering::SeqCst);
    tokio::spawn(async move {
        // New statuses are posted once the client caught up with the timeline.
        while server.rest_calls.load(Ordering::SeqCst) <= catch_ups {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let update = |i: usize| format!("event: update\ndata: {}\n\n", server.statuses[i]);
        if n == 1 {
            let _ = tx.send(":thump\n\n".into()).await;
            server.visible.store(5, Ordering::SeqCst);
            let _ = tx.send(update(3)).await;
            let _ = tx.send(update(4)).await;
            let _ = tx.send("event: update\ndata: {\"id\": \"110000000000000099\", \"content\": \n\n".into()).await;
            let _ = tx.send("event: delete\ndata: 110000000000000003\n\n".into()).await;
            // Posted while the stream is down; the stream then ends mid-way.
            server.visible.store(7, Ordering::SeqCst);
        } else {
            server.visible.store(8, Ordering::SeqCst);
            let _ = tx.send(update(6)).await;
            let _ = tx.send(update(7)).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    });
    let body =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (Ok::<_, Infallible>(c), rx)) });
    ([("content-type", "text/event-stream")], Body::from_stream(body)).into_response()
}

async fn serve(statuses: Vec<Value>, visible: usize, faults: bool) -> (String, Arc<Server>) {
    serve_with(statuses, visible, faults, false).await
}

async fn serve_with(
    statuses: Vec<Value>,
    visible: usize,
    faults: bool,
    unreadable_first: bool,
) -> (String, Arc<Server>) {
    let server = Arc::new(Server {
        statuses,
        visible: AtomicUsize::new(visible),
        streams: AtomicUsize::new(0),
        rest_calls: AtomicUsize::new(0),
        queries: Mutex::new(Vec::new()),
        faults,
        unreadable_first,
    });
    let app = Router::new()
        .route("/api/v1/timelines/tag/{tag}", get(timeline))
        .route("/api/v1/streaming/hashtag", get(stream))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, server)
}

fn config(instance: &str, mode: MastodonMode) -> MastodonConfig {
    std::env::set_var("MASTODON_TEST_TOKEN", "masto-t0ken");
    MastodonConfig {
        name: format!("masto-{mode:?}"),
        instance: instance.into(),
        hashtags: vec!["acme".into()],
        local: false,
        mode,
        token_env: Some("MASTODON_TEST_TOKEN".into()),
        poll_interval_ms: 50,
        flush_ms: 20,
        backoff: BackoffConfig { initial_ms: 20, max_ms: 100 },
        workspace: None,
    }
}

fn statuses() -> Vec<Value> {
    serde_json::from_str(&common::fixture("mastodon_statuses.json")).unwrap()
}

#[tokio::test]
async fn stream_catches_up_after_a_drop_without_loss_or_duplicates() {
    let statuses = statuses();
    let (url, server) = serve(statuses.clone(), 3, true).await;
    let host = url.trim_start_matches("http://").split(':').next().unwrap().to_string();
    let mut run = common::start(Box::new(MastodonSource::new(config(&url, MastodonMode::Stream)).unwrap()), None, 100);
    run.until("seven statuses", Duration::from_secs(15), |r| r.mentions.len() >= 7 && r.dead.len() >= 2).await;
    run.settle(Duration::from_millis(300)).await;
    let run = run.stop().await;

    let expected: Vec<String> =
        [0, 2, 3, 4, 5, 6, 7].iter().map(|&i| format!("{host}/{}", statuses[i]["id"].as_str().unwrap())).collect();
    assert_eq!(run.ids(), expected, "every status once, in order");
    let first = &run.mentions[0];
    assert_eq!(first.text, "Loving the new #acme app");
    assert_eq!(first.author.handle, format!("bob@social.example"));
    assert_eq!(first.author.followers, Some(207));
    assert_eq!(run.mentions[1].text, "Acme's support took three days to answer & still nothing");
    let reply = &run.mentions[3];
    assert_eq!(reply.reply_to.as_ref().map(|r| r.id.as_str()), Some(expected[0].as_str()));
    assert_eq!(reply.reply_to.as_ref().and_then(|r| r.author.as_deref()), Some("bob@social.example"));
    let boost = &run.mentions[6];
    assert_eq!(boost.repost_of.as_ref().map(|r| r.id.as_str()), Some(expected[0].as_str()));
    assert_eq!(boost.text, first.text, "a boost carries the boosted words");

    assert_eq!(run.dead.len(), 2, "{:?}", run.dead);
    assert!(run.dead.iter().any(|d| d.reason.contains("created_at") && d.original.contains("not-a-date")));
    assert!(run.dead.iter().any(|d| d.reason.starts_with("not a JSON Status")));
    let queries = server.queries.lock().unwrap().clone();
    assert!(queries.iter().skip(1).all(|q| q.contains("min_id")), "catch-ups start from the cursor: {queries:?}");
    assert!(queries.iter().any(|q| q.contains("110000000000000005")), "{queries:?}");
    let cursor: Value = serde_json::from_str(&run.last_cursor().unwrap()).unwrap();
    assert_eq!(cursor["tag:acme"], statuses[7]["id"]);
    assert!(veille_sources::health("masto-Stream").unwrap().errors >= 3, "drop, 500 and 429 are counted");
}

#[tokio::test]
async fn polling_pages_forward_from_the_cursor() {
    let template = statuses().remove(0);
    let many: Vec<Value> = (1..=95u128)
        .map(|i| {
            let mut s = template.clone();
            s["id"] = Value::String((110000000000000000 + i).to_string());
            s
        })
        .collect();
    let (url, server) = serve(many, 95, false).await;
    let resume = serde_json::json!({ "tag:acme": "110000000000000005" }).to_string();
    let mut run =
        common::start(Box::new(MastodonSource::new(config(&url, MastodonMode::Poll)).unwrap()), Some(resume), 32);
    run.until("statuses 6 to 95", Duration::from_secs(10), |r| r.mentions.len() >= 90).await;
    run.settle(Duration::from_millis(200)).await;
    let run = run.stop().await;
    let ids: Vec<u128> =
        run.ids().iter().map(|k| k.rsplit('/').next().unwrap().parse::<u128>().unwrap() - 110000000000000000).collect();
    assert_eq!(ids, (6..=95).collect::<Vec<_>>());
    let queries = server.queries.lock().unwrap().clone();
    assert!(queries[0].contains("110000000000000005") && queries[1].contains("110000000000000045"), "{queries:?}");
}

#[tokio::test]
async fn an_unreadable_timeline_page_is_dead_lettered_counted_as_malformed_and_read_again() {
    let statuses = statuses();
    let (url, server) = serve_with(statuses.clone(), 3, false, true).await;
    let mut cfg = config(&url, MastodonMode::Poll);
    cfg.name = "masto-unreadable".into();
    let mut run = common::start(Box::new(MastodonSource::new(cfg).unwrap()), None, 100);
    run.until("the first page, read again", Duration::from_secs(10), |r| r.mentions.len() >= 2).await;
    run.settle(Duration::from_millis(200)).await;
    let run = run.stop().await;
    assert!(server.rest_calls.load(Ordering::SeqCst) >= 2);
    let page: Vec<_> = run.dead.iter().filter(|d| d.original.contains("maintenance")).collect();
    assert_eq!(page.len(), 1, "the unreadable page is kept once, with its reason: {:?}", run.dead);
    assert!(page[0].reason.starts_with("not a JSON array of statuses"), "{}", page[0].reason);
    assert!(page[0].origin.location.contains("/api/v1/timelines/tag/acme"), "{:?}", page[0].origin);
    assert_eq!(common::errors_of("masto-unreadable", "malformed"), 1, "the maintenance page is counted as malformed");
    assert_eq!(common::errors_of("masto-unreadable", "client"), 0);
}
