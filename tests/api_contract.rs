//! The HTTP API against its OpenAPI description, with schemathesis: property-based requests
//! (valid and invalid) to every operation of a real `veille run` on loopback, with keys of every
//! role. Each run checks that no request gets a 5xx or a dropped connection, that every answer
//! matches its documented status, content type and schema, and (for keys scoped to one
//! workspace) that no answer holds another workspace's data.
//!
//! Needs schemathesis (`scripts/setup.sh` installs it in `.venv`); without it the test says it
//! was skipped, unless `VEILLE_REQUIRE_REFERENCE=1`. `VEILLE_CONTRACT_SECONDS` sets each run's
//! time budget (default 25), `VEILLE_CONTRACT_SEED` its seed (default 1).

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::server::{free_port, wait_ready, wait_until, Running, ADMIN_KEY};
use serde_json::json;

/// Words only workspace `b` holds: a key scoped to `a` must never read them.
const FOREIGN_MARKERS: &str = "zzsecretofb,zzauthorofb";

fn schemathesis() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("VEILLE_SCHEMATHESIS").map(PathBuf::from),
        Some(common::root().join(".venv/bin/schemathesis")),
    ];
    let found = candidates.into_iter().flatten().find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var("VEILLE_REQUIRE_REFERENCE").as_deref() != Ok("1"),
            "schemathesis is required (VEILLE_REQUIRE_REFERENCE=1): run scripts/setup.sh"
        );
        eprintln!("skipped: schemathesis not installed (run scripts/setup.sh)");
    }
    found
}

fn start(dir: &Path) -> (Running, PathBuf) {
    let port = free_port();
    let toml = format!(
        r#"
[data]
dir = "{data}"
[index]
commit_every_ms = 200
[server]
listen = "127.0.0.1:{port}"
# The run sends thousands of requests a minute with one key: rates must not hide the handlers.
[server.limits]
rate_per_second = 1000000.0
rate_burst = 1000000
exports_per_minute = 1000000
[[sources]]
kind = "simulate"
name = "sim"
brands = ["Acme", "Globex"]
rate = 5.0
speed = 0
count = 6000
start = "2026-02-01T00:00:00Z"
workspace = "a"
[sources.crisis]
brand = "Acme"
after_s = 900
duration_s = 300
intensity = 8.0
[[sources]]
kind = "push"
name = "hook"
token_env = "VEILLE_CONTRACT_PUSH_TOKEN"
[[workspaces]]
name = "default"
[[workspaces]]
name = "a"
[[workspaces.watches]]
name = "acme"
kind = "brand"
terms = ["acme"]
[[workspaces.watches]]
name = "globex"
kind = "competitor"
terms = ["globex"]
[[workspaces.watches]]
name = "crisis"
kind = "crisis"
lexicons = ["crisis-en", "crisis-fr"]
[[workspaces]]
name = "b"
[[workspaces.watches]]
name = "zzwatchofb"
kind = "brand"
terms = ["acme"]
[sentiment]
enabled = true
[graph]
enabled = true
[signals]
enabled = true
[alerts]
enabled = true
"#,
        data = dir.join("data").display()
    );
    let config = dir.join("veille.toml");
    std::fs::write(&config, toml).unwrap();
    let child = Command::new(common::bin())
        .args(["run", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "error")
        .env("VEILLE_ADMIN_KEY", ADMIN_KEY)
        .env("VEILLE_CONTRACT_PUSH_TOKEN", "unused")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let running = Running { child, base: format!("http://127.0.0.1:{port}") };
    wait_ready(&running.base);
    (running, config)
}

fn create_key(config: &Path, role: &str, workspaces: &str) -> String {
    let config = config.to_str().unwrap();
    let out = common::veille_ok(&["keys", "create", "--role", role, "--workspace", workspaces, "--config", config]);
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// One schemathesis run; returns the number of test cases it generated.
fn run(st: &Path, base: &str, name: &str, key: &str, workspace: Option<&str>, checks: &str, dir: &Path) -> u64 {
    let seconds = std::env::var("VEILLE_CONTRACT_SECONDS").unwrap_or_else(|_| "25".into());
    let seed = std::env::var("VEILLE_CONTRACT_SEED").unwrap_or_else(|_| "1".into());
    let config = dir.join(format!("{name}.toml"));
    let fixed = workspace.map(|w| format!("[parameters]\n\"query.workspace\" = \"{w}\"\n")).unwrap_or_default();
    std::fs::write(&config, fixed).unwrap();
    let started = Instant::now();
    let out = Command::new(st)
        .args(["--config-file", config.to_str().unwrap(), "run", &format!("{base}/api/v1/openapi.json")])
        .args(["--header", &format!("Authorization: Bearer {key}")])
        .args(["--checks", checks])
        // The live stream never ends: its contract is tested by the server's own tests.
        .args(["--exclude-path", "/api/v1/live"])
        .args(["--max-time", &seconds, "--seed", &seed, "--workers", "1", "--request-timeout", "30"])
        .args(["--output-truncate", "true"])
        .env("PYTHONPATH", common::root().join("tests/contract"))
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .env("VEILLE_FOREIGN_MARKERS", FOREIGN_MARKERS)
        .env("NO_COLOR", "1")
        .output()
        .expect("run schemathesis");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found failures with the {name} key:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // "Test cases:" then "  6,148 generated, 6,148 passed".
    let generated = text
        .lines()
        .filter(|l| l.contains(" generated"))
        .find_map(|l| l.split_whitespace().next().and_then(|n| n.replace(',', "").parse().ok()))
        .unwrap_or_else(|| panic!("no test case count in schemathesis's output:\n{text}"));
    println!("{name}: {generated} requests in {:.0} s, no failure", started.elapsed().as_secs_f64());
    generated
}

#[test]
fn the_api_keeps_its_contract_under_property_based_requests_with_every_role() {
    let Some(st) = schemathesis() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (app, config) = start(dir.path());
    let base = app.base.clone();
    // Workspace b's mentions carry words no other workspace holds.
    let b_lines: Vec<String> = (0..20)
        .map(|i| {
            json!({
                "workspace": "b", "platform": "web", "native_id": format!("b{i}"),
                "text": format!("acme zzsecretofb note {i}"), "created_at": "2026-02-01T00:30:00Z",
                "author": { "handle": "zzauthorofb" }
            })
            .to_string()
        })
        .collect();
    let client = reqwest::blocking::Client::new();
    let (status, receipt) = common::server::push_ndjson(&client, &base, b_lines.join("\n").into_bytes());
    assert_eq!(status, 202, "{receipt}");
    wait_until("the simulated history", Duration::from_secs(120), || {
        common::server::get(&format!("{base}/api/v1/search?workspace=a&limit=0")).1["total"] == 6000
    });
    let analyst = create_key(&config, "analyst", "a");
    let ingest = create_key(&config, "ingest", "a");
    let contract = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";
    let isolated = format!("{contract},no_other_workspace_data");
    let mut total = 0;
    let started = Instant::now();
    total += run(&st, &base, "analyst-of-a-in-a", &analyst, Some("a"), &isolated, dir.path());
    total += run(&st, &base, "analyst-of-a", &analyst, None, &isolated, dir.path());
    total += run(&st, &base, "ingest-of-a", &ingest, None, &isolated, dir.path());
    total += run(&st, &base, "admin", ADMIN_KEY, None, contract, dir.path());
    println!("{total} requests in {:.0} s over four keys", started.elapsed().as_secs_f64());
    assert!(total > 1_000, "too few requests to mean anything: {total}");
    // The server is still healthy after all of it.
    assert_eq!(common::server::get(&format!("{base}/healthz")).0, 200);
}
