//! A real Prometheus Alertmanager and local HTTP receivers, for tests of alert delivery.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;

use super::server::{free_port, wait_until};

/// The Alertmanager binary, or `None` (saying so) when it is not installed, unless
/// `VEILLE_REQUIRE_REFERENCE` (as in CI) makes that a failure.
pub fn alertmanager_binary() -> Option<PathBuf> {
    let bin = PathBuf::from("/usr/bin/prometheus-alertmanager");
    if bin.exists() {
        return Some(bin);
    }
    assert!(
        std::env::var("VEILLE_REQUIRE_REFERENCE").is_err(),
        "prometheus-alertmanager is required (VEILLE_REQUIRE_REFERENCE is set): apt-get install prometheus-alertmanager"
    );
    eprintln!("skipped: prometheus-alertmanager not installed");
    None
}

/// A child process, killed when dropped.
pub struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Requests a local HTTP receiver accepted: path, headers, body.
pub type Inbox = Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>;

/// Starts an HTTP receiver at `addr` on `rt` that accepts every POST.
pub fn receive(rt: &tokio::runtime::Runtime, addr: SocketAddr) -> Inbox {
    let inbox: Inbox = Arc::default();
    let sink = inbox.clone();
    let app = axum::Router::new().route(
        "/{*path}",
        post(move |axum::extract::Path(path): axum::extract::Path<String>, headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((path, headers, body));
                "ok"
            }
        }),
    );
    let listener = rt.block_on(tokio::net::TcpListener::bind(addr)).unwrap();
    rt.spawn(async move { axum::serve(listener, app).await });
    inbox
}

/// Starts Alertmanager with its state in `dir`, grouping by `group_by` and paging the
/// receiver at `paged` (`/page`), resolutions included; returns it and its base URL.
pub fn start_alertmanager(dir: &Path, paged: SocketAddr, group_by: &str) -> (Process, String) {
    let config = dir.join("alertmanager.yml");
    std::fs::write(
        &config,
        format!(
            "route:\n  receiver: on-call\n  group_by: [{group_by}]\n  group_wait: 1s\n  \
             group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: on-call\n    webhook_configs:\n      \
             - url: http://{paged}/page\n        send_resolved: true\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let child = Command::new("/usr/bin/prometheus-alertmanager")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", dir.join("am").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(dir.join("alertmanager.log")).unwrap()))
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_until("Alertmanager ready", Duration::from_secs(30), || {
        reqwest::blocking::get(format!("{base}/-/ready")).is_ok_and(|r| r.status().is_success())
    });
    (Process(child), base)
}
