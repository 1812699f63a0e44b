//! The operations endpoints alone, for roles that serve no queries (ingest workers).

use axum::routing::get;
use axum::Router;

/// Serves `/metrics`, `/healthz` and `/readyz` (ready while the process runs)
/// on `listener` until `shutdown` completes.
pub async fn serve_ops(
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "metrics and health endpoints listening");
    }
    let router = Router::new()
        .route("/metrics", get(crate::routes::metrics))
        .route("/healthz", get(crate::routes::healthz))
        .route("/readyz", get(crate::routes::healthz))
        .layer(tower_http::trace::TraceLayer::new_for_http());
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}
