//! The dashboard in a real browser: headless Chromium, driven by Playwright
//! (`tests/browser/dashboard.spec.mjs`), loads the page served by `veille run`
//! over a simulated stream, checks the charts, runs a search, sees a crisis
//! alert appear live and acknowledges it. Screenshots land in
//! `target/artefacts/dashboard/`.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::server::{free_port, get, wait_ready, wait_until};
use serde_json::Value;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The browser test's folder when Chromium and Playwright are installed; `None` (with a
/// message) otherwise, unless `VEILLE_REQUIRE_BROWSER=1` makes that a failure.
fn browser_tests() -> Option<PathBuf> {
    let dir = common::root().join("tests/browser");
    let installed = Path::new(CHROMIUM).exists()
        && dir.join("node_modules/playwright-core/package.json").exists()
        && Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if installed {
        return Some(dir);
    }
    assert!(
        std::env::var("VEILLE_REQUIRE_BROWSER").as_deref() != Ok("1"),
        "the browser test is required (VEILLE_REQUIRE_BROWSER=1) but chromium or tests/browser/node_modules is \
         missing: run scripts/setup.sh"
    );
    eprintln!("skipped: chromium/playwright not installed");
    None
}

fn config(dir: &Path, port: u16, start: DateTime<Utc>, after_s: i64) -> String {
    format!(
        r#"
[data]
dir = "{data}"
[index]
commit_every_ms = 500
[server]
listen = "127.0.0.1:{port}"
[[sources]]
kind = "simulate"
name = "live"
brands = ["Acme", "Globex"]
rate = 0.2
speed = 1
authors = 400
start = "{start}"
[sources.crisis]
brand = "Acme"
after_s = {after_s}
duration_s = 60
intensity = 20
[[workspaces]]
name = "default"
[[workspaces.watches]]
name = "acme"
kind = "brand"
terms = ["Acme"]
handles = ["@acme"]
[[workspaces.watches]]
name = "globex"
kind = "competitor"
terms = ["Globex"]
[[workspaces.watches]]
name = "crisis"
kind = "crisis"
lexicons = ["crisis-en", "crisis-fr"]
[signals]
allowed_lateness_s = 10
[signals.rules.volume_spike]
resolve_after_s = 60
[signals.rules.crisis_burst]
resolve_after_s = 60
"#,
        data = dir.join("data").display(),
        start = start.to_rfc3339(),
    )
}

#[test]
fn the_dashboard_charts_searches_and_acknowledges_a_live_crisis_alert_in_chromium() {
    let Some(browser_dir) = browser_tests() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Two days of history replayed at once, then live; the burst starts on a minute
    // boundary at least 90 s away, so the page is open before the alert fires.
    let now = Utc::now().timestamp();
    let burst = (now + 30).div_euclid(60) * 60 + 60;
    let history = 2 * 86_400;
    let start = DateTime::from_timestamp(burst - history, 0).unwrap();
    let port = free_port();
    let mut app = common::server::run(dir.path(), &config(dir.path(), port, start, history), port);
    let base = app.base.clone();
    wait_ready(&base);
    wait_until("the replayed history in the index", Duration::from_secs(120), || {
        let (_, v) = get(&format!("{base}/api/v1/search?q=*&limit=1&from=now-2h"));
        v["total"].as_u64().is_some_and(|n| n >= 500)
    });
    let (_, before) = get(&format!("{base}/api/v1/alerts"));
    assert_eq!(before["total"], 0, "an alert fired before the burst: {before}");

    let artefacts = common::root().join("target/artefacts/dashboard");
    let _ = std::fs::remove_dir_all(&artefacts);
    let wait_s = (burst + 240 - Utc::now().timestamp()).max(60);
    let mut node = Command::new("node")
        .arg("dashboard.spec.mjs")
        .current_dir(&browser_dir)
        .env("VEILLE_URL", &base)
        .env("VEILLE_KEY", common::server::ADMIN_KEY)
        .env("VEILLE_ARTEFACTS", &artefacts)
        .env("VEILLE_ALERT_WAIT_S", wait_s.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run node");
    let deadline = Instant::now() + Duration::from_secs(wait_s.unsigned_abs() + 180);
    let status = loop {
        if let Some(status) = node.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = node.kill();
            let _ = node.wait();
            panic!("the browser test did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut out = String::new();
    node.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(status.success(), "the browser checks failed ({status}); see the log above. Output: {out}");
    let findings: Value = out.lines().last().and_then(|l| serde_json::from_str(l).ok()).unwrap_or_else(|| {
        panic!("no findings printed: {out}");
    });
    eprintln!("dashboard findings: {findings}");

    // What the browser acknowledged, the API shows acknowledged.
    let id = findings["alert"]["id"].as_str().expect("an alert id").to_string();
    let (status, alert) = get(&format!("{base}/api/v1/alerts/{id}"));
    assert_eq!(status, 200, "{alert}");
    assert_eq!(alert["ack"]["by"], "browser-test", "{alert}");
    assert!(alert["explanation"]["examples"].as_array().is_some_and(|e| !e.is_empty()), "{alert}");
    for shot in ["1-overview.png", "2-search.png", "3-alert.png", "4-acknowledged.png"] {
        let size = std::fs::metadata(artefacts.join(shot)).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "screenshot {shot} is missing or empty ({size} bytes)");
    }
    app.terminate();
}
