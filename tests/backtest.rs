//! `veille backtest`: indexed history replayed through the configured rules.

mod common;

use std::process::{Command, Stdio};

use serde_json::Value;

const WATCHES: &str = r#"
[[workspaces]]
name = "default"
[[workspaces.watches]]
name = "acme"
kind = "brand"
terms = ["Acme"]
handles = ["@acme"]
"#;

fn backtest(config: &std::path::Path, data: &std::path::Path) -> Value {
    let out = common::veille_ok(&[
        "backtest",
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--json",
    ]);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn spikes_on_acme(report: &Value) -> Vec<Value> {
    report["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["rule"] == "volume_spike" && a["watch"] == "acme")
        .cloned()
        .collect()
}

#[test]
fn backtest_finds_the_injected_crisis_and_follows_rule_changes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Two days at 0.2 mentions/s, then a 10-minute burst about Acme.
    let history = 2 * 86_400;
    let stream = dir.path().join("stream.ndjson");
    let sim = Command::new(common::bin())
        .args(["simulate", "--brands", "Acme,Globex", "--count", "36000", "--rate", "0.2"])
        .args(["--start", "2026-03-02T00:00:00Z", "--crisis", "Acme", "--crisis-intensity", "20"])
        .args(["--crisis-after", &history.to_string(), "--crisis-duration", "600"])
        .stdout(Stdio::from(std::fs::File::create(&stream).unwrap()))
        .status()
        .unwrap();
    assert!(sim.success());
    let config = dir.path().join("veille.toml");
    std::fs::write(&config, WATCHES).unwrap();
    common::veille_ok(&[
        "import",
        "ndjson",
        stream.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);

    let report = backtest(&config, &data);
    assert_eq!(report["replayed"], 36_000);
    let spikes = spikes_on_acme(&report);
    let burst = "2026-03-04T00:00:00Z";
    let in_burst: Vec<_> = spikes
        .iter()
        .filter(|a| {
            a["starts_at"].as_str().is_some_and(|t| ("2026-03-04T00:00:00".."2026-03-04T00:10:00").contains(&t))
        })
        .collect();
    assert_eq!(in_burst.len(), 1, "one spike alert in the burst from {burst}: {spikes:#?}");
    let alert = in_burst[0];
    assert!(alert["explanation"]["examples"].as_array().is_some_and(|e| !e.is_empty()), "{alert}");
    assert_eq!(alert["state"], "resolved", "{alert}");

    // The same history with the rule switched off raises no spike.
    std::fs::write(&config, format!("{WATCHES}\n[signals.rules.volume_spike]\nenabled = false\n")).unwrap();
    let report = backtest(&config, &data);
    assert!(spikes_on_acme(&report).is_empty(), "{report}");
}
