//! HTTPS with rustls, from the PEM files named in `[server.tls]`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;
use veille_config::TlsConfig;

/// Why HTTPS could not start.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("cannot read the TLS {what} {path}: {source}")]
    Read {
        /// `certificate` or `private key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The files were read but do not make a usable certificate and key.
    #[error("the TLS certificate {cert} and key {key} are unusable: {message}")]
    Unusable {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls says.
        message: String,
    },
    /// Serving failed.
    #[error("HTTPS server: {0}")]
    Serve(#[from] std::io::Error),
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read { what, path: path.to_path_buf(), source })
}

/// Serves `app` over HTTPS on `listener` until `shutdown` completes, then lets requests in
/// flight finish for up to 10 seconds.
pub(crate) async fn serve_tls(
    listener: std::net::TcpListener,
    app: axum::Router,
    tls: &TlsConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), TlsError> {
    let cert = read("certificate", &tls.cert)?;
    let key = read("private key", &tls.key)?;
    let config = RustlsConfig::from_pem(cert, key).await.map_err(|e| TlsError::Unusable {
        cert: tls.cert.clone(),
        key: tls.key.clone(),
        message: e.to_string(),
    })?;
    listener.set_nonblocking(true)?;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, cert = %tls.cert.display(), "API listening (HTTPS)");
    }
    let handle = axum_server::Handle::new();
    let stopping = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopping.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    axum_server::from_tcp_rustls(listener, config)?
        .handle(handle)
        .serve(app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .await?;
    Ok(())
}
