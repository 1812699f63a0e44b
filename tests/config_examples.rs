//! Every configuration shipped in `config/` loads, so the examples never rot.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

#[test]
fn shipped_configurations_load() {
    let mut checked = 0;
    for dir in ["config", "config/examples"] {
        for entry in std::fs::read_dir(common::root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            // `*.test.toml` files are tests of these configurations (tests/watch_tests.rs runs them).
            let is_test = path.to_str().is_some_and(|p| p.ends_with(".test.toml"));
            if path.extension().is_some_and(|e| e == "toml") && !is_test {
                veille_config::Config::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                checked += 1;
            }
        }
    }
    assert!(checked >= 2, "expected config/veille.toml and the examples");
    let main = veille_config::Config::load(&common::root().join("config/veille.toml")).unwrap();
    assert!(
        matches!(main.sources.first(), Some(veille_config::SourceConfig::Simulate(_))),
        "the default source is the simulator"
    );
}
