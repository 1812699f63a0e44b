//! Request handlers.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use veille_index::{SearchRequest, Sort};

use crate::error::ApiError;
use crate::{params, AppState};

/// The parsed query parameters, or a 400 saying which one is wrong.
pub(crate) fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t).map_err(|e| ApiError::BadRequest(e.body_text()))
}

/// Runs blocking index work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::Internal(e.to_string()))?
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchParams {
    q: Option<String>,
    workspace: Option<String>,
    from: Option<String>,
    to: Option<String>,
    sort: Option<Sort>,
    limit: Option<usize>,
    offset: Option<usize>,
    snippets: Option<bool>,
}

pub(crate) async fn search(
    State(state): State<AppState>,
    q: Result<Query<SearchParams>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let p = query(q)?;
    let mut req = SearchRequest::new(params::workspace(p.workspace)?, p.q.unwrap_or_default());
    req.from = params::time("from", p.from.as_deref())?;
    req.to = params::time("to", p.to.as_deref())?;
    req.sort = p.sort.unwrap_or(Sort::Time);
    req.limit = p.limit.unwrap_or(20);
    req.offset = p.offset.unwrap_or(0);
    req.snippets = p.snippets.unwrap_or(true);
    let index = state.index.clone();
    let started = std::time::Instant::now();
    let res = blocking(move || index.search(&req).map_err(ApiError::from)).await?;
    let took_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(Json(serde_json::json!({ "total": res.total, "took_ms": took_ms, "hits": res.hits })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MentionParams {
    workspace: Option<String>,
}

pub(crate) async fn mention(
    State(state): State<AppState>,
    Path(key): Path<String>,
    q: Result<Query<MentionParams>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = params::workspace(query(q)?.workspace)?;
    let index = state.index.clone();
    let k = key.clone();
    let found = blocking(move || index.get(&ws, &k).map_err(ApiError::from)).await?;
    found.map(Json).ok_or_else(|| ApiError::NotFound(format!("no mention `{key}` in this workspace")))
}

pub(crate) async fn metrics() -> impl IntoResponse {
    let encoder = prometheus::TextEncoder::new();
    match encoder.encode_to_string(&prometheus::gather()) {
        Ok(body) => (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response(),
        Err(e) => ApiError::Internal(e.to_string()).into_response(),
    }
}

/// The OpenAPI 3.1 description of this API, kept beside the code (`src/openapi.json`); a test
/// checks that it lists every route and every parameter the handlers accept.
pub const OPENAPI: &str = include_str!("openapi.json");

pub(crate) async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

pub(crate) async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

pub(crate) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.ready.load(std::sync::atomic::Ordering::Relaxed) {
        (StatusCode::OK, Json(serde_json::json!({ "status": "ready" })))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "starting" })))
    }
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint: see /api/v1/search, /api/v1/mentions/{key}, /api/v1/stats/volume".into())
}
