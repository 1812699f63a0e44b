//! `veille keys create|list|revoke`, the first admin key of a fresh install, and a TLS
//! `veille serve` that enforces them.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::server::free_port;

/// A child process killed when dropped.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn write_config(dir: &Path, port: u16, tls: Option<(&Path, &Path)>) -> String {
    let mut toml =
        format!("[data]\ndir = \"{}\"\n[server]\nlisten = \"127.0.0.1:{port}\"\n", dir.join("data").display());
    if let Some((cert, key)) = tls {
        toml.push_str(&format!("[server.tls]\ncert = \"{}\"\nkey = \"{}\"\n", cert.display(), key.display()));
    }
    let path = dir.join("veille.toml");
    std::fs::write(&path, toml).unwrap();
    path.display().to_string()
}

fn keys(config: &str, args: &[&str]) -> String {
    let mut all = vec!["keys"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--config", config]);
    String::from_utf8(common::veille_ok(&all).stdout).unwrap()
}

/// A self-signed certificate for localhost and 127.0.0.1, written as PEM files.
fn self_signed(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let cert_pem = certified.cert.pem();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, &cert_pem).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key, cert_pem)
}

fn https_client(cert_pem: &str) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .tls_built_in_root_certs(false)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn status(client: &reqwest::blocking::Client, url: &str, key: Option<&str>) -> u16 {
    let mut req = client.get(url);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    req.send().map(|r| r.status().as_u16()).unwrap_or(0)
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn keys_are_created_listed_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), free_port(), None);
    assert_eq!(keys(&config, &["list", "--json"]), "", "a fresh install has no key");

    let key = keys(&config, &["create", "--role", "analyst", "--workspace", "acme,globex", "--name", "agency"]);
    let key = key.trim();
    assert!(key.starts_with("vk_") && key.len() == 80, "{key}");
    let id = key.split('_').nth(1).unwrap();
    let listed: serde_json::Value = serde_json::from_str(keys(&config, &["list", "--json"]).trim()).unwrap();
    assert_eq!(listed["id"], id);
    assert_eq!(listed["role"], "analyst");
    assert_eq!(listed["workspaces"], serde_json::json!(["acme", "globex"]));
    assert_eq!(listed["name"], "agency");
    assert!(listed["revoked_at"].is_null());
    let table = keys(&config, &["list"]);
    assert!(table.contains(id) && table.contains("active") && !table.contains(&key[20..]), "{table}");

    let text = std::fs::read_to_string(dir.path().join("data/keys.json")).unwrap();
    assert!(!text.contains(&key[20..]), "the key file holds no secret");

    keys(&config, &["revoke", id]);
    let listed: serde_json::Value = serde_json::from_str(keys(&config, &["list", "--json"]).trim()).unwrap();
    assert!(listed["revoked_at"].is_string());
    let again = common::veille(&["keys", "revoke", id, "--config", &config]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already revoked"));
    let bad = common::veille(&["keys", "create", "--role", "owner", "--workspace", "acme", "--config", &config]);
    assert!(!bad.status.success());
}

#[test]
fn serve_over_tls_enforces_keys_roles_workspaces_and_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key_file, cert_pem) = self_signed(dir.path());
    let port = free_port();
    let config = write_config(dir.path(), port, Some((&cert, &key_file)));
    let analyst = keys(&config, &["create", "--role", "analyst", "--workspace", "acme"]).trim().to_string();
    let _serving = Serving(
        Command::new(common::bin())
            .args(["serve", "--config", &config])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let client = https_client(&cert_pem);
    let base = format!("https://127.0.0.1:{port}");
    wait_for("HTTPS readiness", || status(&client, &format!("{base}/readyz"), None) == 200);

    assert_eq!(status(&client, &format!("{base}/healthz"), None), 200);
    let plain = reqwest::blocking::Client::new().get(format!("http://127.0.0.1:{port}/healthz")).send();
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true), "no plain HTTP on the TLS port");

    let search = format!("{base}/api/v1/search?workspace=acme");
    assert_eq!(status(&client, &search, None), 401);
    assert_eq!(status(&client, &search, Some(&analyst)), 200);
    assert_eq!(status(&client, &format!("{base}/api/v1/search?workspace=globex"), Some(&analyst)), 403);
    assert_eq!(status(&client, &format!("{base}/metrics"), Some(&analyst)), 403);

    let id = analyst.split('_').nth(1).unwrap().to_string();
    keys(&config, &["revoke", &id]);
    wait_for("the revocation to reach the server", || status(&client, &search, Some(&analyst)) == 401);
}

#[test]
fn a_fresh_install_prints_one_admin_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), port, None);
    let start = || {
        Serving(
            Command::new(common::bin())
                .args(["serve", "--config", &config])
                .env("RUST_LOG", "warn")
                .env_remove("VEILLE_ADMIN_KEY")
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap(),
        )
    };
    let mut first = start();
    let stdout = first.0.stdout.take().unwrap();
    let admin = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.starts_with("vk_"))
        .expect("the first start prints the admin key");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::blocking::Client::new();
    wait_for("readiness", || status(&client, &format!("{base}/readyz"), None) == 200);
    assert_eq!(status(&client, &format!("{base}/api/v1/search?workspace=anything"), Some(&admin)), 200);
    assert_eq!(status(&client, &format!("{base}/metrics"), Some(&admin)), 200);
    assert_eq!(status(&client, &format!("{base}/api/v1/search"), None), 401);
    drop(first);

    let mut second = start();
    let mut out = second.0.stdout.take().unwrap();
    wait_for("readiness after restart", || status(&client, &format!("{base}/readyz"), None) == 200);
    drop(second);
    let mut printed = String::new();
    std::io::Read::read_to_string(&mut out, &mut printed).unwrap();
    assert!(!printed.contains("vk_"), "the key is printed once only: {printed}");
    let listed = keys(&config, &["list", "--json"]);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("\"admin\"") && listed.contains("[\"*\"]"), "{listed}");
}
