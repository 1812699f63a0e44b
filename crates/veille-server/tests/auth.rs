//! The guard: keys, roles, workspaces, rates and limits in front of every route.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use veille_auth::{denied_count, DenialReason, KeyStore, NewKey, Role, Scope};
use veille_config::ServerConfig;
use veille_index::MentionIndex;
use veille_model::{Author, Checkpoint, Mention, Platform};
use veille_server::{router, AppState, Guard};

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
    keys: KeyStore,
}

/// An index with two mentions in workspace `a` and one in `b`, and a key store holding `keys`.
fn fixture(server: ServerConfig) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let index = MentionIndex::open(&dir.path().join("index")).unwrap();
    let mut writer = index.writer(&Default::default()).unwrap();
    for (id, ws, text) in [("1", "a", "acme flight delayed"), ("2", "a", "acme refund"), ("3", "b", "acme secret of b")]
    {
        let mut m = Mention::new(
            Platform::X,
            id,
            text,
            chrono::Utc::now(),
            Author { handle: "ann".into(), ..Default::default() },
        );
        m.workspace = ws.into();
        writer.upsert(&m).unwrap();
    }
    writer.commit(&Checkpoint::default()).unwrap();
    index.reload().unwrap();
    let keys = KeyStore::open(dir.path()).unwrap();
    let state = AppState::new(index).with_guard(Guard::new(Some(keys.clone()), &server));
    state.set_ready(true);
    Fixture { _dir: dir, state, keys }
}

fn key(store: &KeyStore, role: Role, scope: &str) -> String {
    let scope: Scope = scope.parse().unwrap();
    store.create(NewKey { name: format!("{role} {scope}"), role, scope }).unwrap().token.reveal().to_string()
}

async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    key: Option<&str>,
    body: Body,
) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(k) = key {
        req = req.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    let res = router(state.clone()).oneshot(req.body(body).unwrap()).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, headers, json)
}

async fn get(state: &AppState, uri: &str, key: Option<&str>) -> (StatusCode, serde_json::Value) {
    let (status, _, json) = call(state, "GET", uri, key, Body::empty()).await;
    (status, json)
}

#[tokio::test]
async fn without_any_key_the_api_is_open() {
    let f = fixture(ServerConfig::default());
    let (status, res) = get(&f.state, "/api/v1/search?workspace=a", None).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["total"], 2);
}

#[tokio::test]
async fn once_a_key_exists_every_endpoint_but_health_and_dashboard_needs_one() {
    let f = fixture(ServerConfig::default());
    key(&f.keys, Role::Admin, "*");
    let before = denied_count(DenialReason::MissingKey);
    for uri in [
        "/api/v1/search",
        "/api/v1/mentions/x:1",
        "/api/v1/stats/volume",
        "/api/v1/alerts",
        "/api/v1/export",
        "/metrics",
        "/api/v1/live",
        "/nowhere",
    ] {
        let (status, headers, body) = call(&f.state, "GET", uri, None, Body::empty()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}: {body}");
        assert_eq!(headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer", "{uri}");
        assert!(body["error"].as_str().unwrap().contains("API key is required"), "{body}");
    }
    assert!(denied_count(DenialReason::MissingKey) >= before + 8);
    for uri in ["/healthz", "/readyz"] {
        assert_eq!(get(&f.state, uri, None).await.0, StatusCode::OK, "{uri}");
    }
    for uri in ["/", "/assets/app.js"] {
        assert_ne!(get(&f.state, uri, None).await.0, StatusCode::UNAUTHORIZED, "{uri}");
    }
}

#[tokio::test]
async fn malformed_unknown_and_revoked_keys_are_refused() {
    let f = fixture(ServerConfig::default());
    let analyst = key(&f.keys, Role::Analyst, "a");
    assert_eq!(get(&f.state, "/api/v1/search?workspace=a", Some("hunter2")).await.0, StatusCode::UNAUTHORIZED);
    let unknown = format!("vk_{}_{}", "0".repeat(12), "1".repeat(64));
    assert_eq!(get(&f.state, "/api/v1/search?workspace=a", Some(&unknown)).await.0, StatusCode::UNAUTHORIZED);
    let (status, _, _) = call(&f.state, "GET", "/api/v1/search?workspace=a", None, Body::empty()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&f.state, "/api/v1/search?workspace=a", Some(&analyst)).await.0, StatusCode::OK);
    let id = analyst.split('_').nth(1).unwrap();
    f.keys.revoke(id).unwrap();
    let (status, body) = get(&f.state, "/api/v1/search?workspace=a", Some(&analyst)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().unwrap().contains("revoked"), "{body}");
}

#[tokio::test]
async fn a_key_reads_only_its_workspaces() {
    let f = fixture(ServerConfig::default());
    let of_a = key(&f.keys, Role::Analyst, "a");
    let (status, res) = get(&f.state, "/api/v1/search?workspace=a&q=acme", Some(&of_a)).await;
    assert_eq!((status, res["total"].as_u64()), (StatusCode::OK, Some(2)));
    let before = denied_count(DenialReason::Workspace);
    for uri in [
        "/api/v1/search?workspace=b",
        "/api/v1/mentions/x:3?workspace=b",
        "/api/v1/alerts?workspace=b",
        "/api/v1/export?workspace=b",
    ] {
        let (status, body) = get(&f.state, uri, Some(&of_a)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {body}");
        assert!(body["error"].as_str().unwrap().contains("`b`"), "{body}");
    }
    assert!(denied_count(DenialReason::Workspace) >= before + 4);
    // No workspace parameter means `default`, which this key does not reach either.
    assert_eq!(get(&f.state, "/api/v1/search", Some(&of_a)).await.0, StatusCode::FORBIDDEN);
    // Naming the workspace twice cannot smuggle a second one past the check.
    assert_ne!(get(&f.state, "/api/v1/search?workspace=a&workspace=b", Some(&of_a)).await.0, StatusCode::OK);
    // Another workspace's mention key is not found from this one.
    assert_eq!(get(&f.state, "/api/v1/mentions/x:3?workspace=a", Some(&of_a)).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn queries_naming_the_workspace_field_are_refused() {
    let f = fixture(ServerConfig::default());
    let of_a = key(&f.keys, Role::Analyst, "a");
    for q in ["workspace:b", "acme%20OR%20workspace:b", "(workspace:b)", "-workspace:a", "%2Bworkspace:%22b%22"] {
        let (status, body) = get(&f.state, &format!("/api/v1/search?workspace=a&q={q}"), Some(&of_a)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{q}: {body}");
        assert!(body["error"].as_str().unwrap().contains("workspace"), "{body}");
    }
}

#[tokio::test]
async fn roles_limit_what_a_key_may_do() {
    let f = fixture(ServerConfig::default());
    let ingest = key(&f.keys, Role::Ingest, "a");
    let analyst = key(&f.keys, Role::Analyst, "a");
    let admin = key(&f.keys, Role::Admin, "*");
    let (status, body) = get(&f.state, "/api/v1/search?workspace=a", Some(&ingest)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["error"].as_str().unwrap().contains("`ingest`"), "{body}");
    let (status, _, _) = call(&f.state, "POST", "/api/v1/ingest?workspace=a", Some(&analyst), Body::from("{}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "analysts do not push");
    let (status, _, _) = call(&f.state, "POST", "/api/v1/ingest?workspace=a", Some(&ingest), Body::from("{}")).await;
    assert_ne!(status, StatusCode::FORBIDDEN, "the ingest key passes the guard");
    assert_ne!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) =
        call(&f.state, "POST", "/api/v1/alerts/x/ack?workspace=a", Some(&ingest), Body::from("{}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "ingest keys do not acknowledge");
    let (status, _, _) = call(&f.state, "DELETE", "/api/v1/search?workspace=a", Some(&analyst), Body::empty()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "anything but reads, exports, acks and ingest is for admins");
    assert_eq!(get(&f.state, "/metrics", Some(&analyst)).await.0, StatusCode::FORBIDDEN, "metrics span workspaces");
    assert_eq!(get(&f.state, "/metrics", Some(&admin)).await.0, StatusCode::OK);
    assert_eq!(get(&f.state, "/api/v1/search?workspace=b", Some(&admin)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_live_stream_alone_takes_the_key_in_the_query_and_never_passes_it_on() {
    let f = fixture(ServerConfig::default());
    let of_a = key(&f.keys, Role::Analyst, "a");
    let (status, _) = get(&f.state, &format!("/api/v1/search?workspace=a&key={of_a}"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let req = Request::get(format!("/api/v1/live?workspace=a&key={of_a}")).body(Body::empty()).unwrap();
    let res = router(f.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the live handler accepts the request once the key is removed");
    let (status, _) = get(&f.state, &format!("/api/v1/live?workspace=b&key={of_a}"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_naming_the_limit() {
    let mut server = ServerConfig::default();
    server.limits.max_body_bytes = 1024;
    let f = fixture(server);
    let admin = key(&f.keys, Role::Admin, "*");
    let before = denied_count(DenialReason::BodyTooLarge);
    let big = serde_json::json!({ "by": "x".repeat(4096) }).to_string();
    let mut req = Request::post("/api/v1/alerts/x/ack?workspace=a")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(header::CONTENT_TYPE, "application/json");
    req = req.header(header::CONTENT_LENGTH, big.len());
    let res = router(f.state.clone()).oneshot(req.body(Body::from(big)).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let message = body["error"].as_str().unwrap();
    assert!(message.contains("1024 bytes") && message.contains("max_body_bytes"), "{message}");
    assert_eq!(denied_count(DenialReason::BodyTooLarge), before + 1);
}

#[tokio::test]
async fn a_key_over_its_rate_gets_429_with_retry_after() {
    let mut server = ServerConfig::default();
    server.limits.rate_per_second = 0.5;
    server.limits.rate_burst = 2;
    let f = fixture(server);
    let analyst = key(&f.keys, Role::Analyst, "a");
    let other = key(&f.keys, Role::Analyst, "a");
    for _ in 0..2 {
        assert_eq!(get(&f.state, "/api/v1/search?workspace=a", Some(&analyst)).await.0, StatusCode::OK);
    }
    let (status, headers, body) =
        call(&f.state, "GET", "/api/v1/search?workspace=a", Some(&analyst), Body::empty()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let retry: u64 = headers.get(header::RETRY_AFTER).unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert!(body["error"].as_str().unwrap().contains("rate_per_second"), "{body}");
    assert_eq!(
        get(&f.state, "/api/v1/search?workspace=a", Some(&other)).await.0,
        StatusCode::OK,
        "other keys are not slowed"
    );
}

#[tokio::test]
async fn oversized_pages_and_costly_queries_are_refused_before_they_run() {
    let f = fixture(ServerConfig::default());
    let analyst = key(&f.keys, Role::Analyst, "a");
    for (uri, needle) in [
        ("/api/v1/search?workspace=a&limit=5000".to_string(), "max_page_size"),
        ("/api/v1/search?workspace=a&q=a*%20b*%20c*%20d*%20e*".to_string(), "max_query_wildcards"),
        (format!("/api/v1/search?workspace=a&q={}", "t%20".repeat(65)), "max_query_clauses"),
        (format!("/api/v1/search?workspace=a&q={}a{}", "(".repeat(9), ")".repeat(9)), "max_query_depth"),
        (format!("/api/v1/search?workspace=a&q={}", "x".repeat(5000)), "max_query_bytes"),
    ] {
        let (status, body) = get(&f.state, &uri, Some(&analyst)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(body["error"].as_str().unwrap().contains(needle), "{needle}: {body}");
    }
    assert_eq!(
        get(&f.state, "/api/v1/search?workspace=a&q=acme*%20AND%20refund&limit=1000", Some(&analyst)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn exports_have_their_own_per_key_rate() {
    let mut server = ServerConfig::default();
    server.limits.exports_per_minute = 1;
    let f = fixture(server);
    let analyst = key(&f.keys, Role::Analyst, "a");
    assert_ne!(get(&f.state, "/api/v1/export?workspace=a", Some(&analyst)).await.0, StatusCode::TOO_MANY_REQUESTS);
    let (status, headers, body) =
        call(&f.state, "GET", "/api/v1/export?workspace=a", Some(&analyst), Body::empty()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert!(body["error"].as_str().unwrap().contains("exports_per_minute"), "{body}");
    assert_eq!(
        get(&f.state, "/api/v1/search?workspace=a", Some(&analyst)).await.0,
        StatusCode::OK,
        "searches still pass"
    );
}

#[tokio::test]
async fn cors_is_off_by_default_and_on_for_listed_origins_only() {
    let f = fixture(ServerConfig::default());
    let req = Request::get("/healthz").header(header::ORIGIN, "https://evil.example").body(Body::empty()).unwrap();
    let res = router(f.state.clone()).oneshot(req).await.unwrap();
    assert!(!res.headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));

    let mut server = ServerConfig::default();
    server.cors.allow_origins = vec!["https://dash.example.com".into()];
    let f = fixture(server);
    key(&f.keys, Role::Admin, "*");
    let preflight = |origin: &str| {
        Request::options("/api/v1/search")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization")
            .body(Body::empty())
            .unwrap()
    };
    let res = router(f.state.clone()).oneshot(preflight("https://dash.example.com")).await.unwrap();
    assert_eq!(res.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "https://dash.example.com");
    let res = router(f.state.clone()).oneshot(preflight("https://evil.example")).await.unwrap();
    assert!(!res.headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}

#[tokio::test]
async fn no_endpoint_gives_a_key_of_workspace_a_anything_of_workspace_b() {
    let f = fixture(ServerConfig::default());
    let of_a = key(&f.keys, Role::Analyst, "a");
    let endpoints = [
        "/api/v1/search?q=acme",
        "/api/v1/search?q=secret",
        "/api/v1/mentions/x:3",
        "/api/v1/stats/volume?interval=1h",
        "/api/v1/keynodes",
        "/api/v1/communities",
        "/api/v1/alerts?state=all",
        "/api/v1/watches",
        "/api/v1/analytics/volume?interval=1h",
        "/api/v1/analytics/sentiment",
        "/api/v1/analytics/share-of-voice",
        "/api/v1/analytics/terms",
        "/api/v1/analytics/authors",
        "/api/v1/analytics/breakdown?field=lang",
        "/api/v1/analytics/audit?watch=acme",
        "/api/v1/export?format=ndjson",
        "/api/v1/export?format=csv",
        "/api/v1/live",
    ];
    for endpoint in endpoints {
        // Asking for workspace b outright is refused, naming the workspace.
        let uri = format!("{endpoint}{}workspace=b", if endpoint.contains('?') { '&' } else { '?' });
        let (status, body) = get(&f.state, &uri, Some(&of_a)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {body}");
        if endpoint.starts_with("/api/v1/live") {
            continue; // a live stream of workspace a never ends; its scope is checked above and in the live tests
        }
        // Asking within workspace a never shows b's mention, whatever the endpoint.
        let uri = format!("{endpoint}{}workspace=a", if endpoint.contains('?') { '&' } else { '?' });
        let (status, body) = get(&f.state, &uri, Some(&of_a)).await;
        let text = body.to_string();
        assert!(!text.contains("secret of b") && !text.contains("\"x:3\""), "{uri} ({status}) leaks b: {text}");
        assert!(!text.contains("\"workspace\":\"b\""), "{uri} ({status}) names b's data: {text}");
    }
}
