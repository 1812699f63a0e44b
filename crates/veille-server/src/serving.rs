//! Listening and serving, the same way for every role: the configured address, plain HTTP or
//! HTTPS (`[server.tls]`), a warning when plain HTTP reaches beyond loopback, and the client's
//! address kept for the guard.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use veille_config::{ServerConfig, TlsConfig};

use crate::guard::{self, Guard};
use crate::{ingest_routes, routes, TlsError};

/// Why the API could not listen or serve.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `server.listen`.
        address: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// HTTPS could not start or failed.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// Serving failed.
    #[error("API server: {0}")]
    Io(#[from] std::io::Error),
}

/// Binds `server.listen`; warns when plain HTTP would reach beyond this machine.
pub async fn bind(server: &ServerConfig) -> Result<tokio::net::TcpListener, ServeError> {
    let listener = tokio::net::TcpListener::bind(&server.listen)
        .await
        .map_err(|source| ServeError::Bind { address: server.listen.clone(), source })?;
    let loopback = listener.local_addr().map(|a| a.ip().is_loopback()).unwrap_or(false);
    if !loopback && server.tls.is_none() {
        tracing::warn!(listen = %server.listen, "the API listens beyond loopback in plain HTTP: set [server.tls] or put a TLS proxy in front");
    }
    Ok(listener)
}

/// Serves `app` on `listener` until `shutdown` completes: over HTTPS (rustls) when `tls` is
/// given, plain HTTP otherwise.
pub async fn serve_app(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: Option<&TlsConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    match tls {
        Some(tls) => crate::tls::serve_tls(listener.into_std()?, app, tls, shutdown).await?,
        None => {
            if let Ok(addr) = listener.local_addr() {
                tracing::info!(%addr, "API listening");
            }
            axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
                .with_graceful_shutdown(shutdown)
                .await?
        }
    }
    Ok(())
}

async fn ready(State(ready): State<Arc<AtomicBool>>) -> impl IntoResponse {
    if ready.load(Ordering::Relaxed) {
        (StatusCode::OK, Json(serde_json::json!({ "status": "ready" })))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "starting" })))
    }
}

/// The routes of a role that takes pushes and answers no queries (`veille ingest`), behind
/// `guard`: `POST /api/v1/ingest` for `push`, `/metrics`, `/healthz`, `/readyz` (200 once
/// `ready` holds) and the API's description. Every other path is a 404.
pub fn ingest_router(push: veille_sources::PushHandles, guard: Guard, ready: Arc<AtomicBool>) -> Router {
    let routes = Router::new()
        .merge(ingest_routes(Some(push)))
        .route("/metrics", get(routes::metrics))
        .route("/api/v1/openapi.json", get(routes::openapi))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(self::ready))
        .fallback(routes::not_found)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(ready);
    guard::secure(routes, Arc::new(guard))
}
