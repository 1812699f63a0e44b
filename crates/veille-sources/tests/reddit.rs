//! The Reddit connector against a local server: listings of Things in the
//! documented format, OAuth client credentials, new posts beyond one page, the
//! last item read deleted, a 500, a 429 with Retry-After and a malformed comment.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;
use veille_config::{BackoffConfig, RedditSource as RedditConfig};
use veille_sources::RedditSource;

struct Server {
    posts: Mutex<Vec<Value>>,
    comments: Vec<Value>,
    all_posts: Vec<Value>,
    comment_pages: AtomicUsize,
    post_pages: AtomicUsize,
    tokens: AtomicUsize,
    afters: Mutex<Vec<String>>,
}

async fn token(State(s): State<Arc<Server>>, headers: HeaderMap, body: String) -> Response {
    // Basic base64("reddit-id:reddit-s3cret")
    assert_eq!(headers.get("authorization").unwrap(), "Basic cmVkZGl0LWlkOnJlZGRpdC1zM2NyZXQ=");
    assert_eq!(body, "grant_type=client_credentials");
    s.tokens.fetch_add(1, Ordering::SeqCst);
    Json(serde_json::json!({"access_token": "tok-1", "token_type": "bearer", "expires_in": 86400, "scope": "*"}))
        .into_response()
}

/// A listing page of `items` (oldest first) newest first, after `after`.
fn page(items: &[Value], q: &HashMap<String, String>) -> Value {
    let limit: usize = q["limit"].parse().unwrap();
    let newest_first: Vec<&Value> = items.iter().rev().collect();
    let start = match q.get("after") {
        Some(a) => {
            newest_first.iter().position(|t| t["data"]["name"] == a.as_str()).map_or(newest_first.len(), |p| p + 1)
        }
        None => 0,
    };
    let children: Vec<Value> = newest_first.iter().skip(start).take(limit).map(|v| (*v).clone()).collect();
    let more = start + children.len() < newest_first.len();
    let after = if more { children.last().map(|c| c["data"]["name"].clone()) } else { None };
    serde_json::json!({"kind": "Listing", "data": {"after": after, "dist": children.len(), "modhash": "", "geo_filter": "", "children": children, "before": null}})
}

async fn listing(
    State(s): State<Arc<Server>>,
    Path((sub, file)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(sub, "acme");
    assert_eq!(headers.get("authorization").unwrap(), "Bearer tok-1");
    assert_eq!(q.get("raw_json").map(String::as_str), Some("1"));
    let rate = [("x-ratelimit-remaining", "99.0"), ("x-ratelimit-used", "1"), ("x-ratelimit-reset", "420")];
    if file == "comments.json" {
        if s.comment_pages.fetch_add(1, Ordering::SeqCst) == 0 {
            // After the first poll: five new posts, and the newest post read is deleted.
            let mut posts = s.posts.lock().unwrap();
            *posts = s.all_posts.iter().filter(|p| p["data"]["name"] != "t3_1b0003").cloned().collect();
        }
        return (rate, Json(page(&s.comments, &q))).into_response();
    }
    let n = s.post_pages.fetch_add(1, Ordering::SeqCst) + 1;
    if let Some(a) = q.get("after") {
        s.afters.lock().unwrap().push(a.clone());
    }
    match n {
        2 => (StatusCode::INTERNAL_SERVER_ERROR, "we took too long").into_response(),
        3 => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], "too many").into_response(),
        4 => {
            (StatusCode::OK, [("content-type", "text/html")], "<html>our CDN is having a moment</html>").into_response()
        }
        _ => (rate, Json(page(&s.posts.lock().unwrap(), &q))).into_response(),
    }
}

async fn serve() -> (String, Arc<Server>) {
    let things: Value = serde_json::from_str(&common::fixture("reddit_things.json")).unwrap();
    let all_posts = things["posts"].as_array().unwrap().clone();
    let server = Arc::new(Server {
        posts: Mutex::new(all_posts[..3].to_vec()),
        comments: things["comments"].as_array().unwrap().clone(),
        all_posts,
        comment_pages: AtomicUsize::new(0),
        post_pages: AtomicUsize::new(0),
        tokens: AtomicUsize::new(0),
        afters: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/api/v1/access_token", post(token))
        .route("/r/{sub}/{file}", get(listing))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, server)
}

fn config(url: &str) -> RedditConfig {
    std::env::set_var("REDDIT_TEST_ID", "reddit-id");
    std::env::set_var("REDDIT_TEST_SECRET", "reddit-s3cret");
    RedditConfig {
        name: "reddit".into(),
        subreddits: vec!["acme".into()],
        search: None,
        comments: true,
        client_id_env: Some("REDDIT_TEST_ID".into()),
        client_secret_env: Some("REDDIT_TEST_SECRET".into()),
        base_url: Some(url.into()),
        token_url: format!("{url}/api/v1/access_token"),
        user_agent: "veille-test/1.0".into(),
        poll_interval_ms: 50,
        limit: 3,
        backoff: BackoffConfig { initial_ms: 20, max_ms: 100 },
        workspace: None,
    }
}

#[tokio::test]
async fn posts_and_comments_arrive_once_across_pages_faults_and_a_restart() {
    let (url, server) = serve().await;
    let mut run = common::start(Box::new(RedditSource::new(config(&url)).unwrap()), None, 100);
    run.until("eight posts and two comments", Duration::from_secs(15), |r| r.mentions.len() >= 10).await;
    run.settle(Duration::from_millis(300)).await;
    let run = run.stop().await;

    let expected = [
        "t3_1b0001",
        "t3_1b0002",
        "t3_1b0003",
        "t1_kc0001",
        "t1_kc0002",
        "t3_1b0004",
        "t3_1b0005",
        "t3_1b0006",
        "t3_1b0007",
        "t3_1b0008",
    ];
    common::assert_exactly(&run.ids(), &expected);
    let first = &run.mentions[0];
    assert_eq!(first.title.as_deref(), Some("Acme app keeps logging me out"));
    assert_eq!(first.mentions, ["acme_support"]);
    assert_eq!(first.author.id.as_deref(), Some("t2_user1"));
    let comment = &run.mentions[3];
    assert_eq!(
        comment.reply_to.as_ref().map(|r| (r.id.as_str(), r.author.as_deref())),
        Some(("t3_1b0001", Some("user1")))
    );
    let link_post = &run.mentions[2];
    assert_eq!(link_post.attributes.get("link").map(String::as_str), Some("https://news.example/acme/3"));
    assert_eq!(run.dead.len(), 2, "{:?}", run.dead);
    assert!(
        run.dead.iter().any(|d| d.reason.contains("parent_id") && d.origin.location.contains("t1_kc0003")),
        "{:?}",
        run.dead
    );
    // A page that cannot be read is kept with its reason, and read again.
    assert!(
        run.dead.iter().any(|d| d.original.contains("CDN") && d.origin.location.contains("/r/acme/new.json")),
        "{:?}",
        run.dead
    );
    assert_eq!(server.tokens.load(Ordering::SeqCst), 1, "one token serves every request");
    assert!(!server.afters.lock().unwrap().is_empty(), "five new posts took a second page");
    assert!(veille_sources::health("reddit").unwrap().errors >= 3, "the 500, the 429 and the page are counted");
    for kind in ["server", "rate_limited", "malformed"] {
        assert_eq!(common::errors_of("reddit", kind), 1, "{kind}");
    }

    // A restart from the last cursor reads nothing twice.
    let mut again = common::start(Box::new(RedditSource::new(config(&url)).unwrap()), run.last_cursor(), 100);
    again.settle(Duration::from_millis(400)).await;
    let again = again.stop().await;
    assert!(again.mentions.is_empty() && again.dead.is_empty(), "{:?}", again.ids());
}
