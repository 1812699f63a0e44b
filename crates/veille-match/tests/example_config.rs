//! `config/examples/airlines.toml` loads, compiles and tags as documented.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use std::path::PathBuf;

use veille_config::Config;
use veille_match::{tag_ndjson, Matcher};
use veille_model::{Mention, WatchKind};

fn example_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/examples/airlines.toml")
}

fn airlines() -> Matcher {
    let text = std::fs::read_to_string(example_path()).unwrap();
    let config = Config::from_toml_str(&text, example_path()).unwrap();
    Matcher::compile(&config).unwrap()
}

fn tagged_fixture() -> (Vec<Mention>, Vec<u64>) {
    let input = include_str!("fixtures/mentions.ndjson");
    let mut output = Vec::new();
    let mut refused = Vec::new();
    tag_ndjson(input.as_bytes(), &mut output, &airlines(), |r| refused.push(r.line)).unwrap();
    let mentions = String::from_utf8(output).unwrap().lines().map(|l| Mention::from_json(l).unwrap()).collect();
    (mentions, refused)
}

fn summary(m: &Mention) -> Vec<(&str, WatchKind)> {
    m.tags.iter().map(|t| (t.watch.as_str(), t.kind)).collect()
}

#[test]
fn the_airline_example_loads_and_compiles() {
    let matcher = airlines();
    let workspaces = matcher.workspaces();
    assert_eq!(workspaces.len(), 1);
    assert_eq!(workspaces[0].name, "airlines");
    assert_eq!(workspaces[0].watches, 20);
    assert!(workspaces[0].patterns > 400, "{:?}", workspaces[0]);
}

#[test]
fn the_stream_keeps_order_and_hands_bad_lines_back() {
    let (mentions, refused) = tagged_fixture();
    assert_eq!(refused, vec![5, 7]);
    let ids: Vec<&str> = mentions.iter().map(|m| m.native_id()).collect();
    assert_eq!(ids, ["1001", "1002", "1003", "1004", "1006", "1007"]);
}

#[test]
fn fixture_mentions_get_brand_campaign_and_crisis_tags() {
    let (mentions, _) = tagged_fixture();
    use WatchKind::*;
    assert_eq!(summary(&mentions[0]), [("united", Brand), ("service-failure", Crisis)]);
    assert_eq!(summary(&mentions[1]), [("southwest", Brand), ("destination-dragons", Campaign)]);
    assert_eq!(summary(&mentions[2]), [("american", Brand), ("service-failure", Crisis)]);
    assert_eq!(summary(&mentions[3]), [("us-airways", Brand), ("crisis", Crisis)]);
    assert!(mentions[4].tags.is_empty(), "other workspace");
    assert_eq!(summary(&mentions[5]), [("delta", Brand), ("jetblue", Competitor), ("fly-it-forward", Campaign)]);
    let failure = &mentions[0].tags[1];
    let found: Vec<(&str, &str)> =
        failure.hits.iter().map(|h| (h.term.as_str(), &mentions[0].text[h.start..h.end])).collect();
    assert_eq!(found, [("lost", "lost"), ("bag*", "bag")]);
}
