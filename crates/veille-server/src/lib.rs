//! The veille HTTP API.
//!
//! | endpoint | answers |
//! |---|---|
//! | `GET /api/v1/search` | mentions matching a query, newest or most relevant first, with highlighted snippets |
//! | `GET /api/v1/mentions/{key}` | one mention by key |
//! | `GET /api/v1/stats/volume` | mentions per time bucket, optionally split by platform, watch, sentiment or language |
//! | `GET /metrics` | Prometheus metrics |
//! | `GET /healthz` | 200 while the process runs |
//! | `GET /readyz` | 200 once the index is open and the pipeline started |
//!
//! Every data endpoint takes `workspace` (default `default`) and answers only
//! from that workspace. Errors are JSON `{"error": "...", "status": N}`; a bad
//! query or parameter is a 400 that says what is wrong.

mod error;
mod params;
mod routes;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use veille_index::MentionIndex;

pub use error::ApiError;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    index: MentionIndex,
    ready: Arc<AtomicBool>,
}

impl AppState {
    /// State serving `index`; not ready until [`AppState::set_ready`].
    pub fn new(index: MentionIndex) -> Self {
        AppState { index, ready: Arc::new(AtomicBool::new(false)) }
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
