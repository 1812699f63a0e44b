//! The RSS/Atom connector against a local server: an RSS 2.0 news feed with
//! ETags, a Google Alerts Atom feed with Last-Modified behind a 500 and a 429,
//! and a feed that is not one.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use veille_config::{BackoffConfig, FeedConfig, RssSource as RssConfig};
use veille_sources::RssSource;

#[derive(Default)]
struct Server {
    news_version: AtomicUsize,
    not_modified: AtomicUsize,
    alerts_calls: AtomicUsize,
    validators: Mutex<Vec<String>>,
}

const ALERTS_MODIFIED: &str = "Mon, 02 Mar 2026 09:00:00 GMT";

async fn news(State(s): State<Arc<Server>>, headers: HeaderMap) -> Response {
    let version = s.news_version.load(Ordering::SeqCst).max(1);
    let etag = format!("\"v{version}\"");
    if let Some(v) = headers.get("if-none-match").and_then(|v| v.to_str().ok()) {
        s.validators.lock().unwrap().push(v.to_string());
        if v == etag {
            // The second unchanged poll finds a new article.
            if s.not_modified.fetch_add(1, Ordering::SeqCst) == 0 {
                s.news_version.store(2, Ordering::SeqCst);
            }
            return StatusCode::NOT_MODIFIED.into_response();
        }
    }
    let body = common::fixture(if version == 1 { "news_rss_v1.xml" } else { "news_rss_v2.xml" });
    ([("content-type", "application/rss+xml"), ("etag", etag.as_str())], body).into_response()
}

async fn alerts(State(s): State<Arc<Server>>, headers: HeaderMap) -> Response {
    match s.alerts_calls.fetch_add(1, Ordering::SeqCst) {
        0 => return (StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response(),
        1 => return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], "later").into_response(),
        _ => {}
    }
    if headers.get("if-modified-since").is_some_and(|v| v == ALERTS_MODIFIED) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    ([("content-type", "application/atom+xml"), ("last-modified", ALERTS_MODIFIED)], common::fixture("alerts_atom.xml"))
        .into_response()
}

async fn broken() -> Response {
    ([("content-type", "text/html")], common::fixture("broken_feed.html")).into_response()
}

/// A feed whose server accepts the request and never answers in time.
async fn stalled() -> Response {
    tokio::time::sleep(Duration::from_secs(120)).await;
    StatusCode::OK.into_response()
}

async fn serve() -> (String, Arc<Server>) {
    let server = Arc::new(Server::default());
    let app = Router::new()
        .route("/feed.xml", get(news))
        .route("/alerts.xml", get(alerts))
        .route("/broken.xml", get(broken))
        .route("/stalled.xml", get(stalled))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, server)
}

fn config(url: &str) -> RssConfig {
    RssConfig {
        name: "news".into(),
        feeds: vec![
            FeedConfig { url: format!("{url}/feed.xml"), interval_ms: None },
            FeedConfig { url: format!("{url}/alerts.xml"), interval_ms: Some(30) },
            FeedConfig { url: format!("{url}/broken.xml"), interval_ms: Some(60_000) },
        ],
        interval_ms: 50,
        user_agent: "veille-test".into(),
        backoff: BackoffConfig { initial_ms: 20, max_ms: 100 },
        workspace: None,
    }
}

#[tokio::test]
async fn entries_arrive_once_with_conditional_gets_faults_and_a_restart() {
    let (url, server) = serve().await;
    let mut run = common::start(Box::new(RssSource::new(config(&url)).unwrap()), None, 100);
    run.until("six articles", Duration::from_secs(15), |r| r.mentions.len() >= 6).await;
    run.settle(Duration::from_millis(300)).await;
    let run = run.stop().await;

    let mut ids = run.ids();
    ids.sort();
    assert_eq!(
        ids,
        [
            "https://actu.example/acme-lyon",
            "https://blog.example/acme-outage",
            "https://news.example/2026/03/acme-flagship",
            "https://news.example/2026/03/acme-recall",
            "https://news.example/2026/03/acme-shares",
            "https://news.example/2026/03/price-war",
        ],
        "every article once"
    );
    let recall = run.mentions.iter().find(|m| m.native_id().ends_with("acme-recall")).unwrap();
    assert_eq!(recall.title.as_deref(), Some("Acme recalls X200 routers"));
    assert_eq!(recall.text, "A fault in the power supply led Acme to recall 40,000 routers.");
    assert_eq!(recall.lang.as_deref(), Some("en"));
    assert_eq!(recall.attributes.get("feed").map(String::as_str), Some("Retail Daily"));
    let alert = run.mentions.iter().find(|m| m.native_id().ends_with("acme-outage")).unwrap();
    assert_eq!(alert.title.as_deref(), Some("Acme customers report app outage"));
    assert_eq!(alert.url.as_deref(), Some("https://blog.example/acme-outage"));
    assert_eq!(alert.author.handle, "Google Alert - acme");
    let news_order: Vec<&str> =
        run.mentions.iter().filter(|m| m.native_id().contains("news.example")).map(|m| m.native_id()).collect();
    assert_eq!(
        news_order.last().copied(),
        Some("https://news.example/2026/03/acme-shares"),
        "the new article comes last"
    );

    assert_eq!(run.dead.len(), 1, "the broken feed is polled once a minute: {:?}", run.dead);
    assert!(
        run.dead[0].reason.starts_with("not an RSS or Atom feed")
            && run.dead[0].origin.location.ends_with("/broken.xml")
    );
    assert!(server.validators.lock().unwrap().iter().any(|v| v == "\"v1\""), "the second poll is conditional");
    assert!(veille_sources::health("news").unwrap().errors >= 3, "500, 429 and the broken feed are counted");
    for kind in ["server", "rate_limited", "malformed"] {
        assert_eq!(common::errors_of("news", kind), 1, "{kind}");
    }

    // A restart sends the stored validators and reads nothing twice.
    let mut again = common::start(Box::new(RssSource::new(config(&url)).unwrap()), run.last_cursor(), 100);
    again.settle(Duration::from_millis(400)).await;
    let again = again.stop().await;
    assert!(again.mentions.is_empty(), "{:?}", again.ids());
    assert_eq!(server.validators.lock().unwrap().last().map(String::as_str), Some("\"v2\""));
}

#[tokio::test]
async fn a_stalled_feed_does_not_hold_the_others_back() {
    let (url, _server) = serve().await;
    let mut cfg = config(&url);
    cfg.name = "news-with-a-stall".into();
    cfg.feeds = vec![
        FeedConfig { url: format!("{url}/stalled.xml"), interval_ms: None },
        FeedConfig { url: format!("{url}/feed.xml"), interval_ms: None },
    ];
    let mut run = common::start(Box::new(RssSource::new(cfg).unwrap()), None, 100);
    // The stalled request waits for the read timeout (far longer than this); each feed is
    // polled on its own, so the news feed's articles come meanwhile.
    run.until("the news feed's articles", Duration::from_secs(10), |r| r.mentions.len() >= 3).await;
    let run = run.stop().await;
    assert!(run.mentions.iter().all(|m| m.native_id().contains("news.example")), "{:?}", run.ids());
    assert!(run.dead.is_empty(), "{:?}", run.dead);
}
