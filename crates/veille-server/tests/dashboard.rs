//! The dashboard's HTTP side: the embedded page and its caching, the watch
//! list, and the live event stream, through the real router.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use std::time::Duration;
use veille_alert::AlertStore;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use veille_index::MentionIndex;
use veille_model::{Author, Checkpoint, Mention, Platform, WatchKind, WatchMatch};
use veille_server::{router, AppState};

fn fixture_mentions() -> Vec<Mention> {
    let text = include_str!("fixtures/mentions.ndjson");
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| Mention::from_json(l).unwrap()).collect()
}

fn indexed(mentions: &[Mention]) -> (tempfile::TempDir, MentionIndex, veille_index::MentionWriter) {
    let dir = tempfile::tempdir().unwrap();
    let index = MentionIndex::open(dir.path()).unwrap();
    let mut writer = index.writer(&Default::default()).unwrap();
    for m in mentions {
        writer.upsert(m).unwrap();
    }
    writer.commit(&Checkpoint::default()).unwrap();
    index.reload().unwrap();
    (dir, index, writer)
}

async fn get(state: &AppState, uri: &str, headers: &[(header::HeaderName, &str)]) -> axum::response::Response {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(k, *v);
    }
    router(state.clone()).oneshot(req.body(Body::empty()).unwrap()).await.unwrap()
}

async fn text(resp: axum::response::Response) -> String {
    String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

fn header_of(resp: &axum::response::Response, name: header::HeaderName) -> &str {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

#[tokio::test]
async fn the_page_is_served_at_the_root_with_a_strict_content_policy() {
    let (_dir, index, _w) = indexed(&[]);
    let state = AppState::new(index);
    let resp = get(&state, "/", &[]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header_of(&resp, header::CONTENT_TYPE), "text/html; charset=utf-8");
    assert_eq!(header_of(&resp, header::CACHE_CONTROL), "no-cache");
    assert!(header_of(&resp, header::CONTENT_SECURITY_POLICY).contains("script-src 'self'"));
    let page = text(resp).await;
    assert!(page.contains("<title>veille dashboard</title>") && page.contains("aria-live=\"polite\""));
}

#[tokio::test]
async fn an_unchanged_asset_is_revalidated_with_a_304_and_the_library_is_cached_for_good() {
    let (_dir, index, _w) = indexed(&[]);
    let state = AppState::new(index);
    let first = get(&state, "/assets/app.js", &[]).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(header_of(&first, header::CONTENT_TYPE), "text/javascript; charset=utf-8");
    let etag = header_of(&first, header::ETAG).to_string();
    assert!(etag.starts_with('"'), "{etag}");
    let again = get(&state, "/assets/app.js", &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(text(again).await.is_empty());

    let library = get(&state, "/assets/vendor/uplot-1.6.32.min.js", &[]).await;
    assert_eq!(header_of(&library, header::CACHE_CONTROL), "public, max-age=31536000, immutable");
    assert!(text(library).await.contains("uPlot"));
    assert_eq!(get(&state, "/assets/nope.js", &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&state, "/assets/../Cargo.toml", &[]).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn watches_come_from_the_configuration_when_given_and_from_the_index_otherwise() {
    let (_dir, index, _w) = indexed(&fixture_mentions());
    let from_index = serde_json::from_str::<serde_json::Value>(
        &text(get(&AppState::new(index.clone()), "/api/v1/watches", &[]).await).await,
    )
    .unwrap();
    assert_eq!(from_index["source"], "index");
    let names: Vec<&str> =
        from_index["watches"].as_array().unwrap().iter().map(|w| w["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["acme", "globex"], "{from_index}");
    assert_eq!(from_index["watches"][1]["kind"], "competitor");

    let config = veille_config::Config::from_toml_str(
        "[[workspaces]]\nname = \"default\"\n[[workspaces.watches]]\nname = \"initech\"\nkind = \"brand\"\nterms = [\"Initech\"]\n",
        "test.toml",
    )
    .unwrap();
    let state = AppState::new(index).with_watches(&config.workspaces);
    let configured: serde_json::Value =
        serde_json::from_str(&text(get(&state, "/api/v1/watches", &[]).await).await).unwrap();
    assert_eq!(configured["source"], "config");
    assert_eq!(configured["watches"], serde_json::json!([{ "name": "initech", "kind": "brand" }]));
}

/// The next complete event of an SSE body, skipping keep-alive comments.
async fn next_event(body: &mut Body, pending: &mut String) -> (String, serde_json::Value) {
    loop {
        if let Some(end) = pending.find("\n\n") {
            let raw: String = pending.drain(..end + 2).collect();
            let name = raw.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or("message").to_string();
            let data: String = raw.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
            if data.is_empty() {
                continue;
            }
            return (name, serde_json::from_str(&data).unwrap());
        }
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame()).await.expect("an event within 10 s");
        let bytes = frame.expect("the stream goes on").unwrap().into_data().unwrap();
        pending.push_str(std::str::from_utf8(&bytes).unwrap());
    }
}

#[tokio::test]
async fn the_live_stream_pushes_mentions_indexed_after_it_opened_and_only_those_matching() {
    let (_dir, index, mut writer) = indexed(&fixture_mentions());
    let state = AppState::new(index.clone());
    let resp = get(&state, "/api/v1/live?workspace=default&q=globex", &[]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header_of(&resp, header::CONTENT_TYPE), "text/event-stream");
    let mut body = resp.into_body();
    let mut pending = String::new();
    let (name, ready) = next_event(&mut body, &mut pending).await;
    assert_eq!((name.as_str(), &ready["alerts"]), ("ready", &serde_json::json!(false)));

    let now = chrono::Utc::now();
    let author = Author { handle: "zoe".into(), ..Default::default() };
    let mut acme = Mention::new(Platform::Bluesky, "live-acme", "Acme again", now, author.clone());
    acme.tags.push(WatchMatch { watch: "acme".into(), kind: WatchKind::Brand, hits: Vec::new() });
    let globex = Mention::new(Platform::Bluesky, "live-globex", "Globex opens a store", now, author);
    writer.upsert(&acme).unwrap();
    writer.upsert(&globex).unwrap();
    writer.commit(&Checkpoint::default()).unwrap();
    index.reload().unwrap();

    let (name, mention) = next_event(&mut body, &mut pending).await;
    assert_eq!(name, "mention");
    assert_eq!(mention["key"], "bluesky:live-globex");
    assert_eq!(mention["text"], "Globex opens a store");
    let more = tokio::time::timeout(Duration::from_millis(2500), next_event(&mut body, &mut pending)).await;
    assert!(more.is_err(), "the Acme mention does not match `globex`: {more:?}");
}

#[tokio::test]
async fn a_live_stream_with_a_bad_query_is_refused_before_it_starts() {
    let (_dir, index, _w) = indexed(&[]);
    let resp = get(&AppState::new(index), "/api/v1/live?q=text:(unclosed", &[]).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(text(resp).await.contains("invalid query"));
}

async fn post_json(state: &AppState, uri: &str, body: serde_json::Value) -> (StatusCode, serde_json::Value) {
    let req = Request::post(uri).header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string()));
    let resp = router(state.clone()).oneshot(req.unwrap()).await.unwrap();
    let status = resp.status();
    (status, serde_json::from_str(&text(resp).await).unwrap())
}

#[tokio::test]
async fn acknowledging_an_incident_acknowledges_every_active_alert_in_it() {
    let config = veille_config::Config::from_toml_str(
        r#"
[[workspaces]]
name = "default"
[[workspaces.watches]]
name = "acme"
kind = "brand"
terms = ["Acme"]
[[workspaces.watches]]
name = "globex"
kind = "competitor"
terms = ["Globex"]
"#,
        "test.toml",
    )
    .unwrap();
    // An influential author turns on both brands at once: one key-node alert per watch, and
    // since they start together, one incident.
    let alerts = veille_pipeline::Alerts::new(&config).unwrap();
    let mention = Mention::from_json(&format!(
        r#"{{"platform":"x","native_id":"1","text":"Acme and Globex both lied to us","created_at":"{}",
        "author":{{"handle":"star","followers":900000}},
        "tags":[{{"watch":"acme","kind":"brand"}},{{"watch":"globex","kind":"competitor"}}],
        "scores":{{"key_node":0.95,"sentiment":{{"label":"negative","compound":-0.8,"positive":0.0,
        "neutral":0.4,"negative":0.6,"scorer":"vader"}}}}}}"#,
        chrono::Utc::now().to_rfc3339()
    ))
    .unwrap();
    alerts.observe(&mention);
    let active = alerts.list(veille_alert::AlertScope::Active, Some("default"));
    assert_eq!(active.len(), 2, "{active:?}");
    let incident = active[0].incident_id().to_string();
    assert!(active.iter().all(|a| a.incident_id() == incident), "{active:?}");

    let (_dir, index, _w) = indexed(&[]);
    let state = AppState::new(index).with_alerts(Some(alerts.clone()));
    let uri = format!("/api/v1/alerts/incidents/{incident}/ack");
    let (status, body) = post_json(&state, &uri, serde_json::json!({ "by": " " })).await;
    assert_eq!(status, StatusCode::CONFLICT, "an acknowledgement names who: {body}");
    let (status, body) = post_json(&state, &uri, serde_json::json!({ "by": "ann" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["incident"], incident.as_str());
    assert_eq!(body["acknowledged"].as_array().unwrap().len(), 2, "{body}");
    assert!(body["alerts"].as_array().unwrap().iter().all(|a| a["ack"]["by"] == "ann"), "{body}");
    assert!(alerts.list(veille_alert::AlertScope::Active, None).iter().all(|a| a.ack.is_some()));

    let (status, body) = post_json(&state, &format!("{uri}?workspace=other"), serde_json::json!({ "by": "ann" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another workspace's incident does not exist there: {body}");
    let (status, body) =
        post_json(&state, "/api/v1/alerts/incidents/nope/ack", serde_json::json!({ "by": "ann" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body["error"].as_str().unwrap().contains("no incident `nope` in workspace `default`"), "{body}");
}
