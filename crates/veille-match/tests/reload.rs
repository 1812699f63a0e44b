//! Hot reload: watches change for every clone while other threads tag.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use veille_config::Config;
use veille_match::Matcher;
use veille_model::{parse_timestamp, Author, Mention, Platform};

fn config(terms: &str) -> Config {
    let toml = format!(
        "[[workspaces]]\nname = \"w\"\n[[workspaces.watches]]\nname = \"acme\"\nkind = \"brand\"\nterms = [{terms}]\n"
    );
    Config::from_toml_str(&toml, "reload.toml").unwrap()
}

fn mention(text: &str) -> Mention {
    let created = parse_timestamp("2026-01-01T00:00:00Z").unwrap();
    let author = Author { handle: "ann".into(), ..Author::default() };
    let mut m = Mention::new(Platform::X, "1", text, created, author);
    m.workspace = "w".into();
    m
}

#[test]
fn reload_swaps_watches_for_every_clone_while_others_tag() {
    let matcher = Matcher::compile(&config("\"acme\"")).unwrap();
    let started = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let matcher = matcher.clone();
            let started = Arc::clone(&started);
            thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(30);
                let mut tagged_before = false;
                while Instant::now() < deadline {
                    let mut m = mention("acme and globex");
                    // Either the old watch (one hit) or the new one (two hits), never a mix.
                    assert_eq!(matcher.tag(&mut m), 1);
                    match m.tags[0].hits.len() {
                        1 => {
                            if !tagged_before {
                                tagged_before = true;
                                started.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        2 => return true,
                        n => panic!("{n} hits"),
                    }
                }
                false
            })
        })
        .collect();
    while started.load(Ordering::SeqCst) < 2 {
        thread::yield_now();
    }
    matcher.reload(&config("\"acme\", \"globex\"")).unwrap();
    for w in workers {
        assert!(w.join().unwrap(), "a worker never saw the new watches");
    }
}

#[test]
fn a_bad_reload_keeps_the_watches_in_use() {
    let matcher = Matcher::compile(&config("\"acme\"")).unwrap();
    let mut bad = config("\"acme\"");
    bad.workspaces[0].watches[0].rule = Some("acme AND (".into());
    let error = matcher.reload(&bad).unwrap_err();
    assert!(error.to_string().contains("character 11"), "{error}");
    let mut m = mention("ACME!");
    assert_eq!(matcher.tag(&mut m), 1);
}
