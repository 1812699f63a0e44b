//! A tiny HTTP receiver on loopback that records what it accepts.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

/// One accepted request.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Shared state: accepted requests, and statuses to answer before accepting.
#[derive(Debug, Default, Clone)]
pub struct Inbox {
    pub accepted: Arc<Mutex<Vec<Received>>>,
    pub refuse_with: Arc<Mutex<VecDeque<u16>>>,
    pub refused: Arc<Mutex<u32>>,
}

impl Inbox {
    pub fn accepted(&self) -> Vec<Received> {
        self.accepted.lock().unwrap().clone()
    }
}

/// Serves POSTs on any path at `addr` until the returned task is aborted.
pub async fn serve(addr: SocketAddr, inbox: Inbox) -> tokio::task::JoinHandle<()> {
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind the receiver");
    let app = Router::new().route(
        "/{*path}",
        post(move |axum::extract::Path(path): axum::extract::Path<String>, headers: HeaderMap, body: Bytes| {
            let inbox = inbox.clone();
            async move {
                if let Some(code) = inbox.refuse_with.lock().unwrap().pop_front() {
                    *inbox.refused.lock().unwrap() += 1;
                    return StatusCode::from_u16(code).unwrap();
                }
                inbox.accepted.lock().unwrap().push(Received { path, headers, body });
                StatusCode::OK
            }
        }),
    );
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    })
}

/// A loopback address nobody listens on (yet).
pub fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}
