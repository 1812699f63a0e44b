//! The dashboard in a real browser: headless Chromium, driven by Playwright.
//!
//! - `tests/browser/dashboard.spec.mjs` is a newcomer's first minutes: `veille run` with the
//!   default configuration (`config/veille.toml`) from an empty data directory. The first
//!   screen charts the simulator's history, no alert is active before the crisis, the crisis
//!   comes live as one incident card holding its alerts, and it is acknowledged from the
//!   keyboard. Screenshots land in `target/artefacts/dashboard/` (`first-minutes.jpg` is the
//!   README's).
//! - `tests/browser/chart.spec.mjs` checks the charts' helper (`assets/scale.js`) with the real
//!   charting library: the x-axis spans the period, at least 20 buckets, labels that fit.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::server::{free_port, get, post, wait_ready, Running, ADMIN_KEY};
use serde_json::{json, Value};

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

/// Waits for a spec run by `node` (killing it after `timeout`, or as soon as `fail` says why it
/// must stop) and returns its findings, the JSON line it prints last.
fn findings(mut node: Child, timeout: Duration, mut fail: impl FnMut() -> Option<String>) -> Value {
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = node.try_wait().unwrap() {
            break status;
        }
        let why =
            fail().or_else(|| (Instant::now() > deadline).then(|| "the browser test did not finish in time".into()));
        if let Some(why) = why {
            let _ = node.kill();
            let _ = node.wait();
            panic!("{why}");
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let mut out = String::new();
    node.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(status.success(), "the browser checks failed ({status}); see the log above. Output: {out}");
    out.lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no findings printed: {out}"))
}

#[test]
fn the_chart_helper_spans_the_period_and_fits_its_labels_in_chromium() {
    let Some(browser_dir) = browser_tests() else {
        return;
    };
    let artefacts = common::root().join("target/artefacts/charts");
    let node = Command::new("node")
        .arg("chart.spec.mjs")
        .current_dir(&browser_dir)
        .env("VEILLE_ASSETS", common::root().join("crates/veille-server/assets"))
        .env("VEILLE_ARTEFACTS", &artefacts)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run node");
    let found = findings(node, Duration::from_secs(120), || None);
    eprintln!("chart findings: {found}");
}

#[test]
fn a_first_run_charts_two_days_of_history_and_gathers_the_crisis_in_one_incident_in_chromium() {
    let Some(browser_dir) = browser_tests() else {
        return;
    };
    let config_path = common::root().join("config/veille.toml");
    let config = veille_config::Config::load(&config_path).unwrap();
    let Some(veille_config::SourceConfig::Simulate(sim)) = config.sources.first() else {
        panic!("the default configuration starts with the simulator");
    };
    assert!(sim.history_s >= 86_400, "the default simulator writes at least a day of history");
    let crisis_after = sim.crisis.as_ref().expect("the default simulator has a crisis").after_s;

    // The default configuration, as a newcomer runs it; only where it writes and listens moves.
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let started = Utc::now();
    let child = Command::new(common::bin())
        .args(["run", "--config", config_path.to_str().unwrap()])
        .env("VEILLE_DATA_DIR", dir.path().join("data"))
        .env("VEILLE_SERVER_LISTEN", format!("127.0.0.1:{port}"))
        .env("VEILLE_ADMIN_KEY", ADMIN_KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut app = Running { child, base: format!("http://127.0.0.1:{port}") };
    let base = app.base.clone();
    wait_ready(&base);
    // The simulator goes live when it starts, a moment after the process: the crisis begins
    // `after_s` later, not sooner.
    let crisis_at = started + chrono::Duration::seconds(i64::try_from(crisis_after).unwrap());

    let artefacts = common::root().join("target/artefacts/dashboard");
    let _ = std::fs::remove_dir_all(&artefacts);
    let wait_s = (crisis_at - Utc::now()).num_seconds() + 240;
    let node = Command::new("node")
        .arg("dashboard.spec.mjs")
        .current_dir(&browser_dir)
        .env("VEILLE_URL", &base)
        .env("VEILLE_KEY", ADMIN_KEY)
        .env("VEILLE_ARTEFACTS", &artefacts)
        .env("VEILLE_STARTED_MS", started.timestamp_millis().to_string())
        .env("VEILLE_FIRST_SCREEN_S", "60")
        .env("VEILLE_ALERT_WAIT_S", wait_s.to_string())
        .env("VEILLE_CRISIS_AT_MS", crisis_at.timestamp_millis().to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run node");
    // While the page is open: until the crisis begins, no alert fires, not even one that
    // resolved since (the history replays two days of the daily cycle through the detectors).
    let found = findings(node, Duration::from_secs(wait_s.unsigned_abs() + 240), || {
        if Utc::now() >= crisis_at {
            return None;
        }
        let (_, all) = get(&format!("{base}/api/v1/alerts?state=all"));
        (all["total"] != 0).then(|| format!("an alert fired before the crisis: {all}"))
    });
    eprintln!("dashboard findings: {found}");

    // What the browser acknowledged, the API shows acknowledged: every alert of the incident.
    let incident = found["incident"]["id"].as_str().expect("an incident id").to_string();
    let (status, members) = get(&format!("{base}/api/v1/alerts?incident={incident}&state=all"));
    assert_eq!(status, 200, "{members}");
    let members = members["alerts"].as_array().unwrap().clone();
    assert!(members.len() >= 2, "the crisis tripped several alerts: {members:?}");
    for a in members.iter().filter(|a| a["state"] != "resolved") {
        assert_eq!(a["ack"]["by"], "browser-test", "{a}");
    }
    let (_, active) = get(&format!("{base}/api/v1/alerts"));
    for a in active["alerts"].as_array().unwrap() {
        assert_eq!(a["incident"], incident.as_str(), "an active alert outside the crisis incident: {a}");
    }
    let (status, body) = post(&format!("{base}/api/v1/alerts/incidents/{incident}/ack"), &json!({"by": " "}));
    assert_eq!(status, 409, "an acknowledgement names who: {body}");
    let (status, body) = post(&format!("{base}/api/v1/alerts/incidents/nope/ack"), &json!({"by": "x"}));
    assert_eq!(status, 404, "{body}");
    assert!(body["error"].as_str().unwrap().contains("no incident `nope`"), "{body}");

    for shot in ["1-overview.png", "2-search.png", "3-incident.png", "4-acknowledged.png", "first-minutes.jpg"] {
        let size = std::fs::metadata(artefacts.join(shot)).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "screenshot {shot} is missing or empty ({size} bytes)");
    }
    app.terminate();
}
