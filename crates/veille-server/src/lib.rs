//! The veille HTTP API.
//!
//! | endpoint | answers |
//! |---|---|
//! | `GET /api/v1/search` | mentions matching a query, newest or most relevant first, with highlighted snippets |
//! | `GET /api/v1/mentions/{key}` | one mention by key |
//! | `GET /api/v1/stats/volume` | mentions per time bucket, optionally split by platform, watch, sentiment or language |
//! | `GET /api/v1/keynodes` | top authors (`watch`, `window`, `limit`) with the components of their score, community and sample mentions |
//! | `GET /api/v1/communities` | communities of authors (`watch`, `limit`, `members`) with their size, label and share of mentions |
//! | `GET /api/v1/alerts` | active alerts (`state=history` for resolved ones, `all` for both), with their explanations |
//! | `GET /api/v1/alerts/{id}` | one alert |
//! | `POST /api/v1/alerts/{id}/ack` | acknowledges an alert; body `{"by": "name"}` |
//! | `GET /metrics` | Prometheus metrics |
//! | `GET /healthz` | 200 while the process runs |
//! | `GET /readyz` | 200 once the index is open and the pipeline started |
//!
//! Every data endpoint takes `workspace` (default `default`) and answers only
//! from that workspace. Errors are JSON `{"error": "...", "status": N}`; a bad
//! query or parameter is a 400 that says what is wrong.

mod alerts;
mod error;
mod keynodes;
mod ops;
mod params;
mod routes;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use veille_index::MentionIndex;

pub use error::ApiError;
pub use ops::serve_ops;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    index: MentionIndex,
    ready: Arc<AtomicBool>,
    alerts: Option<veille_pipeline::Alerts>,
    key_nodes: Option<veille_pipeline::KeyNodes>,
}

impl AppState {
    /// State serving `index`; not ready until [`AppState::set_ready`].
    pub fn new(index: MentionIndex) -> Self {
        AppState { index, ready: Arc::new(AtomicBool::new(false)), alerts: None, key_nodes: None }
    }

    /// Serves key nodes and communities from the pipeline's live graphs too.
    pub fn with_key_nodes(mut self, key_nodes: Option<veille_pipeline::KeyNodes>) -> Self {
        self.key_nodes = key_nodes;
        self
    }

    /// Serves the pipeline's alerts too.
    pub fn with_alerts(mut self, alerts: Option<veille_pipeline::Alerts>) -> Self {
        self.alerts = alerts;
        self
    }

    /// Marks the service ready (or not) for `/readyz`.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }
}

/// The API's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/search", get(routes::search))
        .route("/api/v1/mentions/{key}", get(routes::mention))
        .route("/api/v1/stats/volume", get(routes::volume))
        .route("/api/v1/keynodes", get(keynodes::key_nodes))
        .route("/api/v1/communities", get(keynodes::communities))
        .route("/api/v1/alerts", get(alerts::list))
        .route("/api/v1/alerts/{id}", get(alerts::get))
        .route("/api/v1/alerts/{id}/ack", post(alerts::ack))
        .route("/metrics", get(routes::metrics))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .fallback(routes::not_found)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "API listening");
    }
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}
