//! A `veille run` process under test, and HTTP helpers to talk to it.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The admin key every test server is provisioned with (through `VEILLE_ADMIN_KEY`).
pub const ADMIN_KEY: &str = "vk_000000000001_0000000000000000000000000000000000000000000000000000000000000001";

/// A running `veille run`; killed when dropped.
pub struct Running {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Stops the process with SIGTERM and asserts it exits cleanly within 30 s.
    pub fn terminate(&mut self) {
        // SAFETY: signalling a child process we spawned and still own.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}");
                return;
            }
            assert!(Instant::now() < deadline, "veille did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A loopback port nobody listens on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `veille run --config CONFIG` where CONFIG is `toml` written in `dir`; the
/// server listens on `port`.
pub fn run(dir: &Path, toml: &str, port: u16) -> Running {
    let config = dir.join("veille.toml");
    std::fs::write(&config, toml).unwrap();
    let child = Command::new(super::bin())
        .args(["run", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .env("VEILLE_ADMIN_KEY", ADMIN_KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    Running { child, base: format!("http://127.0.0.1:{port}") }
}

/// GET `url`: status and JSON body (a string when the body is not JSON).
pub fn get(url: &str) -> (u16, Value) {
    let resp = reqwest::blocking::Client::new().get(url).bearer_auth(ADMIN_KEY).send().unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// POST `body` as JSON to `url`: status and JSON body.
pub fn post(url: &str, body: &Value) -> (u16, Value) {
    let resp = reqwest::blocking::Client::new().post(url).bearer_auth(ADMIN_KEY).json(body).send().unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// POST `body` as NDJSON to `base`'s ingest endpoint with the admin key: status and JSON receipt.
pub fn push_ndjson(client: &reqwest::blocking::Client, base: &str, body: Vec<u8>) -> (u16, Value) {
    let resp = client
        .post(format!("{base}/api/v1/ingest"))
        .bearer_auth(ADMIN_KEY)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Polls `ok` every 100 ms until it holds; panics naming `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until `veille run` at `base` answers `/readyz`.
pub fn wait_ready(base: &str) {
    wait_until("readiness", Duration::from_secs(60), || {
        reqwest::blocking::get(format!("{base}/readyz")).is_ok_and(|r| r.status().is_success())
    });
}
