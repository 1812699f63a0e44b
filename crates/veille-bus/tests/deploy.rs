//! `deploy/` stays usable: its veille configurations load as Kafka-mode
//! configurations, and its manifests, dashboard and rules parse and query
//! only metrics veille exports (checked by `deploy/check.py`).

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use std::path::{Path, PathBuf};
use std::process::Command;

use veille_config::{BusKind, Config};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn deploy_configurations_load_in_kafka_mode() {
    for file in ["deploy/k8s/veille.toml", "deploy/compose/veille.toml"] {
        let path = workspace().join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let config = Config::from_toml_str(&text, &path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.bus.kind, BusKind::Kafka, "{file}");
        assert_eq!(config.bus.kafka.topics.mentions, "veille.mentions.raw", "{file}");
        assert!(config.bus.kafka.partitions >= 2, "{file}: processors need partitions to share");
        assert_eq!(config.server.listen, "0.0.0.0:7700", "{file}: probes and scrapes reach every pod");
    }
}

/// The interpreter: `VEILLE_PYTHON`, else the workspace's `.venv`, else `python3`.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("VEILLE_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = workspace().join(".venv/bin/python");
    if venv.is_file() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

#[test]
fn deploy_manifests_parse_and_query_only_exported_metrics() {
    let python = python();
    let has_yaml = Command::new(&python).args(["-c", "import yaml"]).output().is_ok_and(|o| o.status.success());
    if !has_yaml {
        assert!(
            std::env::var("VEILLE_REQUIRE_REFERENCE").as_deref() != Ok("1"),
            "{} cannot import yaml (pip install pyyaml)",
            python.display()
        );
        println!("skipped: python reference not available ({} has no PyYAML)", python.display());
        return;
    }
    let out = Command::new(&python)
        .arg(workspace().join("deploy/check.py"))
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "deploy/check.py failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("ok grafana/veille.json"), "{stdout}");
    assert!(stdout.contains("ok k8s/processor-statefulset.yaml"), "{stdout}");
    assert!(stdout.contains("ok prometheus/veille-rules.yml"), "{stdout}");
}
