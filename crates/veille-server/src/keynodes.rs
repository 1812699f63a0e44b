//! Key-node and community handlers, answered from the pipeline's live interaction graphs.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use veille_graph::KeyNodeStore;
use veille_graph::{parse_window, CommunityQuery, KeyNodeQuery};

use crate::error::ApiError;
use crate::routes::query;
use crate::{params, AppState};

/// Most authors or communities one request may ask for.
const MAX_LIMIT: usize = 1_000;

fn graphs(state: &AppState) -> Result<&dyn KeyNodeStore, ApiError> {
    state.key_nodes.as_deref().ok_or_else(|| {
        ApiError::Unavailable(
            "key nodes come from the pipeline's live graph: this server has none (start `veille run` with [graph] \
             enabled, or use `veille keynodes`)"
                .into(),
        )
    })
}

fn limit(value: Option<usize>, default: usize) -> Result<usize, ApiError> {
    match value.unwrap_or(default) {
        0 => Err(ApiError::BadRequest("`limit` must be at least 1".into())),
        n if n > MAX_LIMIT => Err(ApiError::BadRequest(format!("`limit` is {n}, the most is {MAX_LIMIT}"))),
        n => Ok(n),
    }
}

/// `GET /api/v1/keynodes` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyNodeParams {
    workspace: Option<String>,
    watch: Option<String>,
    /// Span of activity counted, before the newest mention: `24h`, `7d`...
    window: Option<String>,
    limit: Option<usize>,
}

pub(crate) async fn key_nodes(
    State(state): State<AppState>,
    q: Result<Query<KeyNodeParams>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = query(q)?;
    let workspace = params::workspace(p.workspace)?;
    let mut query = KeyNodeQuery::top(limit(p.limit, 20)?);
    if let Some(w) = p.watch {
        query = query.in_watch(w);
    }
    if let Some(w) = p.window.as_deref() {
        query = query.within(parse_window(w).map_err(|e| ApiError::BadRequest(format!("`window`: {e}")))?);
    }
    let store = graphs(&state)?;
    if let Some(reason) = store.refuses(&query) {
        return Err(ApiError::BadRequest(reason));
    }
    let nodes = store.key_nodes(&workspace, &query);
    Ok(Json(serde_json::json!({ "workspace": workspace, "key_nodes": nodes })))
}

/// `GET /api/v1/communities` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommunityParams {
    workspace: Option<String>,
    watch: Option<String>,
    limit: Option<usize>,
    /// Top members listed per community.
    members: Option<usize>,
}

pub(crate) async fn communities(
    State(state): State<AppState>,
    q: Result<Query<CommunityParams>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = query(q)?;
    let workspace = params::workspace(p.workspace)?;
    let query = CommunityQuery { watch: p.watch, limit: limit(p.limit, 20)?, members: limit(p.members, 5)? };
    let report = graphs(&state)?.communities(&workspace, &query);
    Ok(Json(serde_json::json!({ "workspace": workspace, "report": report })))
}
