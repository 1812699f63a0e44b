//! The OpenAPI description (`src/openapi.json`, served at `/api/v1/openapi.json`) is a contract:
//! every route of the router is in it, and each operation lists exactly the parameters its
//! handler accepts (the handlers refuse unknown parameters and name the ones they know).

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use veille_index::MentionIndex;
use veille_server::{router, AppState, OPENAPI};

fn spec() -> Value {
    serde_json::from_str(OPENAPI).expect("openapi.json is JSON")
}

/// The routes the router declares, as written in its source, in OpenAPI's `{param}` form.
fn router_routes() -> BTreeSet<(String, String)> {
    let source = include_str!("../src/lib.rs");
    let mut routes = BTreeSet::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let path_start = rest.find('"').unwrap() + 1;
        let path_end = path_start + rest[path_start..].find('"').unwrap();
        let path = rest[path_start..path_end].replace("{*path}", "{path}");
        let after = &rest[path_end..];
        for method in ["get", "post"] {
            let call = format!("{method}(");
            if after[..after.find(")\n").unwrap_or(after.len()).min(200)].contains(&call) {
                routes.insert((method.to_string(), path.clone()));
            }
        }
    }
    routes
}

fn spec_routes(spec: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.clone(), path.clone()));
        }
    }
    out
}

/// Parameters (query and path) of an operation, references resolved.
fn spec_params(spec: &Value, op: &Value, place: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        let p = match p["$ref"].as_str() {
            Some(r) => &spec["components"]["parameters"][r.rsplit('/').next().unwrap()],
            None => p,
        };
        if p["in"] == place {
            out.insert(p["name"].as_str().unwrap().to_string());
        }
    }
    out
}

#[test]
fn every_route_is_described_and_every_description_is_a_route() {
    let spec = spec();
    assert_eq!(spec["openapi"], "3.1.0");
    let dashboard: BTreeSet<(String, String)> =
        [("get", "/"), ("get", "/assets/{path}")].iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let routes: BTreeSet<_> = router_routes().difference(&dashboard).cloned().collect();
    assert!(routes.len() >= 20, "the router's routes were not found in its source: {routes:?}");
    let spec_routes = spec_routes(&spec);
    let missing: Vec<_> = routes.difference(&spec_routes).collect();
    let extra: Vec<_> = spec_routes.difference(&routes).collect();
    assert!(missing.is_empty() && extra.is_empty(), "not described: {missing:?}; described but not routed: {extra:?}");
}

async fn call(app: axum::Router, uri: &str, method: &str) -> (StatusCode, String) {
    let req = Request::builder().method(method).uri(uri).body(Body::empty()).unwrap();
    let resp = app.oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn each_operation_lists_exactly_the_parameters_its_handler_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let index = MentionIndex::open(dir.path()).unwrap();
    let app = router(AppState::new(index));
    let spec = spec();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let declared = spec_params(&spec, op, "query");
            let concrete = path.replace("{key}", "x:1").replace("{id}", "a1");
            let uri = format!("{concrete}?zz_not_a_parameter=1");
            let (status, body) = call(app.clone(), &uri, &method.to_uppercase()).await;
            // Handlers without parameters ignore them; the others name what they accept.
            let message = serde_json::from_str::<Value>(&body).ok().and_then(|v| v["error"].as_str().map(String::from));
            // serde's words: "unknown field `zz_not_a_parameter`, expected `a`" or "expected one of `a`, `b`".
            let Some(known) = message.as_deref().and_then(|m| m.split("`zz_not_a_parameter`, expected").nth(1)) else {
                assert!(declared.is_empty() || path == "/api/v1/live", "{method} {path}: {status} {body}");
                continue;
            };
            // serde names them between backticks: `workspace`, `state`, `incident`.
            let accepted: BTreeSet<String> = known.split('`').skip(1).step_by(2).map(str::to_string).collect();
            let mut declared = declared;
            if path == "/api/v1/live" {
                // `key` is taken (and removed) by the guard before the handler sees the request.
                declared.remove("key");
            }
            assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}");
            assert_eq!(declared, accepted, "{method} {path}: described (left) and accepted (right) differ");
            checked += 1;
        }
    }
    assert!(checked >= 18, "only {checked} operations checked");
}

#[tokio::test]
async fn the_description_is_served_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let index = MentionIndex::open(dir.path()).unwrap();
    let (status, body) = call(router(AppState::new(index)), "/api/v1/openapi.json", "GET").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), spec());
}
