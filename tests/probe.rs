//! What an outside probe of the API broke, one regression test per defect: each drives the
//! real `veille run` over HTTP (two workspaces, a push source, scoped keys, loopback only)
//! and reproduces the probe's request.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::server::{free_port, wait_ready, wait_until, Running, ADMIN_KEY};
use serde_json::{json, Value};

const PUSH_TOKEN: &str = "push-token-for-tests";

/// `veille run` with workspaces `a` and `b` (and `default`) fed by a push source.
fn start(dir: &Path) -> (Running, PathBuf) {
    let port = free_port();
    let toml = format!(
        r#"
[data]
dir = "{data}"
[index]
commit_every_ms = 100
[server]
listen = "127.0.0.1:{port}"
[[sources]]
kind = "push"
name = "hook"
token_env = "VEILLE_PROBE_PUSH_TOKEN"
[[workspaces]]
name = "default"
[[workspaces]]
name = "a"
[[workspaces.watches]]
name = "acme"
kind = "brand"
terms = ["acme"]
[[workspaces]]
name = "b"
[[workspaces.watches]]
name = "acme"
kind = "brand"
terms = ["acme"]
"#,
        data = dir.join("data").display()
    );
    let config = dir.join("veille.toml");
    std::fs::write(&config, toml).unwrap();
    let child = Command::new(common::bin())
        .args(["run", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .env("VEILLE_ADMIN_KEY", ADMIN_KEY)
        .env("VEILLE_PROBE_PUSH_TOKEN", PUSH_TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let running = Running { child, base: format!("http://127.0.0.1:{port}") };
    wait_ready(&running.base);
    (running, config)
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

/// A client whose connections come from `ip` (any 127.0.0.0/8 address reaches the server).
fn client_from(ip: &str) -> reqwest::blocking::Client {
    let ip: IpAddr = ip.parse().unwrap();
    reqwest::blocking::Client::builder().local_address(ip).timeout(Duration::from_secs(30)).build().unwrap()
}

fn answer(resp: reqwest::blocking::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn get_as(key: &str, url: &str) -> (u16, Value) {
    answer(client().get(url).bearer_auth(key).send().unwrap())
}

fn push_as(key: &str, base: &str, query: &str, body: impl Into<reqwest::blocking::Body>) -> (u16, Value) {
    let url = format!("{base}/api/v1/ingest{query}");
    answer(
        client().post(url).bearer_auth(key).header("content-type", "application/x-ndjson").body(body).send().unwrap(),
    )
}

fn mention(workspace: Option<&str>, id: &str, text: &str, created_at: Value) -> String {
    let mut m = json!({
        "platform": "web", "native_id": id, "text": text, "created_at": created_at,
        "author": { "handle": "probe" }
    });
    if let Some(ws) = workspace {
        m["workspace"] = json!(ws);
    }
    m.to_string()
}

fn create_key(config: &Path, role: &str, workspaces: &str) -> String {
    let out = common::veille_ok(&[
        "keys",
        "create",
        "--role",
        role,
        "--workspace",
        workspaces,
        "--name",
        "probe",
        "--config",
        config.to_str().unwrap(),
    ]);
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn count(base: &str, workspace: &str, query: &str) -> u64 {
    let q: String = form_urlencoded(query);
    get_as(ADMIN_KEY, &format!("{base}/api/v1/search?workspace={workspace}&limit=0&q={q}")).1["total"]
        .as_u64()
        .unwrap_or(u64::MAX)
}

fn form_urlencoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn one_workspace_never_overwrites_or_deletes_another_workspaces_mentions() {
    let dir = tempfile::tempdir().unwrap();
    let (app, config) = start(dir.path());
    let base = app.base.clone();
    let b_key = create_key(&config, "ingest", "b");
    let a_key = create_key(&config, "ingest", "a");
    let now = json!("2026-03-01T12:00:00Z");
    let (status, receipt) = push_as(&b_key, &base, "", mention(Some("b"), "secret-b-1", "b's acme plan", now.clone()));
    assert_eq!(status, 202, "{receipt}");
    wait_until("b's mention", Duration::from_secs(30), || count(&base, "b", "") == 1);
    // Workspace a pushes a post with the same platform and native id.
    let (status, receipt) = push_as(&a_key, &base, "", mention(Some("a"), "secret-b-1", "a's acme note", now));
    assert_eq!(status, 202, "{receipt}");
    wait_until("a's mention", Duration::from_secs(30), || count(&base, "a", "") == 1);
    let (status, m) = get_as(ADMIN_KEY, &format!("{base}/api/v1/mentions/web:secret-b-1?workspace=b"));
    assert_eq!((status, m["text"].as_str()), (200, Some("b's acme plan")), "{m}");
    assert_eq!(count(&base, "b", ""), 1);
    let (status, m) = get_as(ADMIN_KEY, &format!("{base}/api/v1/mentions/web:secret-b-1?workspace=a"));
    assert_eq!((status, m["text"].as_str()), (200, Some("a's acme note")), "{m}");
}

#[test]
fn ingest_keys_scoped_to_one_workspace_can_push_to_it_and_only_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let (app, config) = start(dir.path());
    let base = app.base.clone();
    let b_key = create_key(&config, "ingest", "b");
    let at = json!("2026-03-01T12:00:00Z");
    // The probe: b's mentions with b's ingest key were refused as "does not reach workspace default".
    let (status, receipt) = push_as(&b_key, &base, "", mention(Some("b"), "1", "acme one", at.clone()));
    assert_eq!((status, receipt["accepted"].as_u64()), (202, Some(1)), "{receipt}");
    // `?workspace=b` was refused as an unknown field; it now puts every mention in b.
    let (status, receipt) = push_as(&b_key, &base, "?workspace=b", mention(None, "2", "acme two", at.clone()));
    assert_eq!((status, receipt["accepted"].as_u64()), (202, Some(1)), "{receipt}");
    wait_until("b's two mentions", Duration::from_secs(30), || count(&base, "b", "") == 2);
    // Outside its scope: refused whole, saying which line and workspace.
    let (status, refusal) = push_as(&b_key, &base, "", mention(Some("a"), "3", "acme three", at.clone()));
    assert_eq!(status, 403, "{refusal}");
    assert!(refusal["error"].as_str().unwrap().contains("workspace `a`"), "{refusal}");
    let (status, refusal) = push_as(&b_key, &base, "?workspace=a", mention(None, "4", "acme four", at.clone()));
    assert_eq!(status, 403, "{refusal}");
    let (status, refusal) = push_as(&b_key, &base, "", mention(None, "5", "no workspace named", at));
    assert_eq!(status, 403, "{refusal}");
    assert!(refusal["error"].as_str().unwrap().contains("?workspace="), "{refusal}");
    assert_eq!(count(&base, "a", ""), 0);
}

#[test]
fn fresh_valid_keys_pass_concurrently_and_guessing_at_a_key_id_locks_nobody_out() {
    let dir = tempfile::tempdir().unwrap();
    let (app, config) = start(dir.path());
    let base = app.base.clone();
    let key = create_key(&config, "analyst", "a");
    let url = format!("{base}/api/v1/search?workspace=a&limit=0");
    // 16 concurrent first requests with a key nobody used yet.
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..16)
            .map(|_| s.spawn(|| client().get(&url).bearer_auth(&key).send().unwrap().status().as_u16()))
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");

    // A second key; an attacker knowing only its public id sends wrong secrets from one address.
    let victim = create_key(&config, "analyst", "b");
    let id = victim.split('_').nth(1).unwrap();
    let attacker = client_from("127.0.0.2");
    let mut refused = Vec::new();
    for i in 0..16 {
        let wrong = format!("vk_{id}_{i:064x}");
        refused.push(attacker.get(&url).bearer_auth(&wrong).send().unwrap().status().as_u16());
    }
    assert!(refused.iter().all(|s| *s == 401 || *s == 429), "{refused:?}");
    assert!(refused.contains(&429), "the guesser is told to wait: {refused:?}");
    // Meanwhile the owner, from another address, uses the key for the first time.
    let owner = client_from("127.0.0.3");
    let b_url = format!("{base}/api/v1/search?workspace=b&limit=0");
    let status = owner.get(&b_url).bearer_auth(&victim).send().unwrap().status().as_u16();
    assert_eq!(status, 200);
}

#[test]
fn dates_the_index_cannot_hold_are_dead_lettered_and_nothing_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _config) = start(dir.path());
    let base = app.base.clone();
    let live = format!("{base}/api/v1/live?workspace=b&key={ADMIN_KEY}");
    let mut stream = client().get(&live).send().unwrap();
    let lines = [
        mention(Some("b"), "late-9999", "acme from 9999", json!("9999-12-31T23:59:59Z")),
        mention(Some("b"), "late-2200", "acme from 2200", json!("2200-01-01T00:00:00Z")),
        mention(Some("b"), "ok-2199", "acme from 2199", json!("2199-12-31T23:59:59Z")),
        // Integer Unix seconds, which the README lists, were refused.
        mention(Some("b"), "unix", "acme in unix seconds", json!(1_767_323_045)),
    ];
    let (status, receipt) = push_as(ADMIN_KEY, &base, "", lines.join("\n"));
    assert_eq!(status, 202, "{receipt}");
    assert_eq!(receipt["accepted"], 2, "{receipt}");
    let errors = receipt["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{receipt}");
    assert!(errors.iter().all(|e| e["reason"].as_str().unwrap().contains("latest time veille stores")), "{receipt}");
    wait_until("the two storable mentions", Duration::from_secs(30), || count(&base, "b", "") == 2);
    let (status, m) = get_as(ADMIN_KEY, &format!("{base}/api/v1/mentions/web:unix?workspace=b"));
    assert_eq!((status, m["created_at"].as_str()), (200, Some("2026-01-02T03:04:05Z")), "{m}");
    for path in ["stats/volume?interval=1d", "analytics/sentiment?interval=1d"] {
        let (status, body) = get_as(ADMIN_KEY, &format!("{base}/api/v1/{path}&workspace=b"));
        assert!(status == 200 || status == 400, "{path}: {status} {body}");
        assert_ne!(status, 500);
    }
    // The stream goes on after a mention dated 2199.
    let (status, _) =
        push_as(ADMIN_KEY, &base, "", mention(Some("b"), "after", "acme later", json!("2026-03-01T12:00:00Z")));
    assert_eq!(status, 202);
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !seen.contains("web:after") {
        assert!(std::time::Instant::now() < deadline, "the live stream stopped: {seen}");
        let n = std::io::Read::read(&mut stream, &mut buf).unwrap();
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(!seen.contains("event: gap"), "{seen}");
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_written_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let (app, config) = start(dir.path());
    let base = app.base.clone();
    let evil = json!({
        "workspace": "a", "platform": "web", "native_id": "f1", "text": "=cmd|'/c calc'!A1 acme",
        "created_at": "2026-03-01T12:00:00Z", "author": { "handle": "=evil" }
    });
    let (status, receipt) = push_as(ADMIN_KEY, &base, "", evil.to_string());
    assert_eq!(status, 202, "{receipt}");
    wait_until("the mention", Duration::from_secs(30), || count(&base, "a", "") == 1);
    let export = client()
        .get(format!("{base}/api/v1/export?workspace=a&format=csv"))
        .bearer_auth(ADMIN_KEY)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(export.contains("'=cmd|'") && export.contains(",'=evil,"), "{export}");
    assert!(!export.contains(",=cmd") && !export.contains(",=evil"), "{export}");
    let authors = client()
        .get(format!("{base}/api/v1/analytics/authors?workspace=a&format=csv"))
        .bearer_auth(ADMIN_KEY)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(authors.contains("'=evil") && !authors.lines().any(|l| l.starts_with("=evil")), "{authors}");
    drop(app);
    let out = common::veille_ok(&["export", "-w", "a", "-f", "csv", "--config", config.to_str().unwrap()]);
    let cli = String::from_utf8(out.stdout).unwrap();
    assert!(cli.contains("'=cmd|'") && !cli.contains(",=cmd"), "{cli}");
}

#[test]
fn bad_times_queries_and_intervals_are_400s_not_500s_or_dropped_connections() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _config) = start(dir.path());
    let base = app.base.clone();
    let old = mention(Some("a"), "old", "acme then", json!("2026-02-24T00:00:00Z"));
    let new = mention(Some("a"), "new", "acme now", json!("2026-03-01T00:00:00Z"));
    assert_eq!(push_as(ADMIN_KEY, &base, "", format!("{old}\n{new}")).0, 202);
    wait_until("two mentions", Duration::from_secs(30), || count(&base, "a", "") == 2);
    let endpoints = [
        "search",
        "export",
        "stats/volume",
        "analytics/volume",
        "analytics/sentiment",
        "analytics/share-of-voice",
        "analytics/terms",
        "analytics/authors",
        "analytics/breakdown?field=platform&",
        "analytics/audit?watch=acme&",
    ];
    for endpoint in endpoints {
        let sep = if endpoint.ends_with('&') { "" } else { "?" };
        for from in ["now-99999999999d", "now--5d", "now-999999999d"] {
            let url = format!("{base}/api/v1/{endpoint}{sep}workspace=a&from={from}");
            let (status, body) = get_as(ADMIN_KEY, &url);
            assert_eq!(status, 400, "{url}: {body}");
            assert!(body["error"].as_str().unwrap().contains("`from`"), "{url}: {body}");
        }
    }
    for q in ["key:*", "text:*"] {
        let (status, body) = get_as(ADMIN_KEY, &format!("{base}/api/v1/search?workspace=a&q={}", form_urlencoded(q)));
        assert_eq!(status, 400, "{q}: {body}");
    }
    let (status, body) = get_as(ADMIN_KEY, &format!("{base}/api/v1/stats/volume?workspace=a&interval=1s"));
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("buckets, the most is"), "{body}");
}

#[test]
fn every_413_names_the_limit_that_was_crossed() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _config) = start(dir.path());
    let base = app.base.clone();
    // One line over the 1 MiB line limit, in a body under the 4 MiB body limit.
    let long = mention(Some("a"), "long", &"acme ".repeat(250_000), json!("2026-03-01T00:00:00Z"));
    let (status, body) = push_as(ADMIN_KEY, &base, "", long);
    assert_eq!(status, 413, "{body}");
    assert!(body["error"].as_str().unwrap().contains("line 1 is longer than the limit of 1048576 bytes"), "{body}");
    // A body over the 4 MiB body limit: the server answers on seeing its length, before it
    // is sent (a client that kept writing would see the connection close under it).
    let addr = base.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    write!(
        conn,
        "POST /api/v1/ingest HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {ADMIN_KEY}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        5 * 1024 * 1024
    )
    .unwrap();
    let mut raw = String::new();
    std::io::Read::read_to_string(&mut conn, &mut raw).unwrap();
    let status: u16 = raw.split(' ').nth(1).unwrap().parse().unwrap();
    let body: Value = serde_json::from_str(raw.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(status, 413, "{body}");
    assert!(body["error"].as_str().unwrap().contains("4194304 bytes (server.limits.max_body_bytes)"), "{body}");
}

#[test]
fn gzip_bodies_are_decoded_when_declared_and_refused_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _config) = start(dir.path());
    let base = app.base.clone();
    let line = mention(Some("a"), "gz", "acme compressed", json!("2026-03-01T00:00:00Z"));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(line.as_bytes()).unwrap();
    let compressed = gz.finish().unwrap();
    let undeclared = push_as(ADMIN_KEY, &base, "", compressed.clone());
    assert_eq!(undeclared.0, 400, "{}", undeclared.1);
    assert!(undeclared.1["error"].as_str().unwrap().contains("Content-Encoding: gzip"), "{}", undeclared.1);
    let url = format!("{base}/api/v1/ingest");
    let declared = answer(
        client()
            .post(&url)
            .bearer_auth(ADMIN_KEY)
            .header("content-encoding", "gzip")
            .header("content-type", "application/x-ndjson")
            .body(compressed)
            .send()
            .unwrap(),
    );
    assert_eq!((declared.0, declared.1["accepted"].as_u64()), (202, Some(1)), "{}", declared.1);
    let other =
        answer(client().post(&url).bearer_auth(ADMIN_KEY).header("content-encoding", "br").body(line).send().unwrap());
    assert_eq!(other.0, 415, "{}", other.1);
    wait_until("the gzip mention", Duration::from_secs(30), || count(&base, "a", "compressed") == 1);
    // Dead letters hold every workspace's raw input: owner-only.
    let (status, _) = push_as(ADMIN_KEY, &base, "", "not json");
    assert_eq!(status, 202);
    let dead = dir.path().join("data/deadletter.ndjson");
    wait_until("the dead letter", Duration::from_secs(30), || std::fs::metadata(&dead).is_ok_and(|m| m.len() > 0));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&dead).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn configurations_that_would_leak_a_secret_or_lose_mentions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let write = |toml: &str| {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, toml).unwrap();
        common::veille(&["search", "acme", "--count", "--config", path.to_str().unwrap()])
    };
    let secret = "AKIAIOSFODNN7EXAMPLE";
    let out = write(&format!("[[sources]]\nkind = \"push\"\nname = \"hook\"\ntoken_env = \"{secret}\"\n"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("looks like a secret"), "{err}");
    assert!(!err.contains(secret), "the secret is printed back: {err}");
    let out = write(
        "[[sources]]\nkind = \"push\"\nname = \"hook\"\ntoken_env = \"T\"\nworkspace = \"acmee\"\n[[workspaces]]\nname = \"acme\"\n",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("`acmee` is not a declared workspace"), "{err}");
}
