//! The index against its contract: upserts, workspaces, search, volume histograms and checkpoints.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails
use chrono::{TimeZone, Utc};
use veille_index::{IndexError, MentionIndex, SearchRequest, Sort, VolumeRequest, VolumeSplit};
use veille_model::{Author, Checkpoint, Mention, Platform, Reference};

fn mention(id: &str, ws: &str, text: &str, hour: u32) -> Mention {
    let when = Utc.with_ymd_and_hms(2026, 3, 1 + hour / 24, hour % 24, 0, 0).unwrap();
    let mut m = Mention::new(Platform::X, id, text, when, Author { handle: format!("user{id}"), ..Default::default() });
    m.workspace = ws.to_string();
    m
}

fn open() -> (tempfile::TempDir, MentionIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = MentionIndex::open(dir.path()).unwrap();
    (dir, index)
}

#[test]
fn upserts_replace_instead_of_duplicating_within_and_across_commits() {
    let (_d, index) = open();
    let mut w = index.writer(&Default::default()).unwrap();
    w.upsert(&mention("1", "default", "first version", 1)).unwrap();
    w.upsert(&mention("1", "default", "second version", 1)).unwrap();
    w.commit(&Checkpoint::default()).unwrap();
    w.upsert(&mention("1", "default", "third version", 1)).unwrap();
    w.upsert(&mention("2", "default", "other", 1)).unwrap();
    w.commit(&Checkpoint::default()).unwrap();
    assert_eq!(index.num_docs(), 2);
    assert_eq!(index.count("default", "version", None, None).unwrap(), 1);
    assert_eq!(index.get("default", "x:1").unwrap().unwrap().text, "third version");
}

#[test]
fn checkpoint_travels_in_the_commit_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let mut cp = Checkpoint::default();
    cp.sources.insert("replay".into(), "1234:56".into());
    cp.deadletter_bytes = 99;
    {
        let index = MentionIndex::open(dir.path()).unwrap();
        assert_eq!(index.checkpoint().unwrap(), Checkpoint::default());
        let mut w = index.writer(&Default::default()).unwrap();
        w.upsert(&mention("1", "default", "hello", 1)).unwrap();
        w.commit(&cp).unwrap();
        w.close().unwrap();
    }
    let index = MentionIndex::open(dir.path()).unwrap();
    assert_eq!(index.checkpoint().unwrap(), cp);
    assert_eq!(index.num_docs(), 1);
}

#[test]
fn searches_never_cross_workspaces_even_when_the_query_names_one() {
    let (_d, index) = open();
    let mut w = index.writer(&Default::default()).unwrap();
    w.upsert(&mention("1", "acme", "secret launch plan", 1)).unwrap();
    w.upsert(&mention("2", "globex", "public launch", 1)).unwrap();
    w.commit(&Checkpoint::default()).unwrap();
    assert_eq!(index.count("globex", "launch", None, None).unwrap(), 1);
    assert_eq!(index.count("globex", "secret", None, None).unwrap(), 0);
    assert_eq!(index.count("globex", "workspace:acme", None, None).unwrap(), 0);
    assert_eq!(index.count("globex", "workspace:acme OR launch", None, None).unwrap(), 1);
    assert!(index.get("globex", "x:1").unwrap().is_none());
    assert!(index.get("acme", "x:1").unwrap().is_some());
}

#[test]
fn text_is_folded_stemmed_and_highlighted() {
    let (_d, index) = open();
    let mut w = index.writer(&Default::default()).unwrap();
    let mut en = mention("1", "default", "Flights DELAYED at Orly, café closed", 1);
    en.lang = Some("en".into());
    let mut fr = mention("2", "default", "Les retards s'accumulent à Orly", 2);
    fr.lang = Some("fr".into());
    w.upsert(&en).unwrap();
    w.upsert(&fr).unwrap();
    w.commit(&Checkpoint::default()).unwrap();
    assert_eq!(index.count("default", "cafe", None, None).unwrap(), 1);
    assert_eq!(index.count("default", "flight", None, None).unwrap(), 1, "English stemming");
    assert_eq!(index.count("default", "retard", None, None).unwrap(), 1, "French stemming");
    assert_eq!(index.count("default", "orly", None, None).unwrap(), 2);
    assert_eq!(index.count("default", "orly lang:fr", None, None).unwrap(), 1);
    let mut req = SearchRequest::new("default", "delayed");
    req.snippets = true;
    let res = index.search(&req).unwrap();
    assert_eq!(res.hits[0].snippet.as_deref(), Some("Flights <b>DELAYED</b> at Orly, café closed"));
}

#[test]
fn time_range_sorting_and_pagination() {
    let (_d, index) = open();
    let mut w = index.writer(&Default::default()).unwrap();
    for h in 0..10 {
        w.upsert(&mention(&h.to_string(), "default", "tick", h)).unwrap();
    }
    w.commit(&Checkpoint::default()).unwrap();
    let mut req = SearchRequest::new("default", "tick");
    req.from = Some(Utc.with_ymd_and_hms(2026, 3, 1, 2, 0, 0).unwrap());
    req.to = Some(Utc.with_ymd_and_hms(2026, 3, 1, 6, 0, 0).unwrap());
    req.limit = 2;
    let page = index.search(&req).unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(page.hits.iter().map(|h| h.key.as_str()).collect::<Vec<_>>(), ["x:5", "x:4"]);
    req.offset = 2;
    req.sort = Sort::TimeAsc;
    let page = index.search(&req).unwrap();
    assert_eq!(page.hits.iter().map(|h| h.key.as_str()).collect::<Vec<_>>(), ["x:4", "x:5"]);
    req.from = req.to;
    assert!(matches!(index.search(&req), Err(IndexError::Request(_))));
}

#[test]
fn bad_queries_are_errors_that_say_what_is_wrong() {
    let (_d, index) = open();
    for q in ["text:(unclosed", "nosuchfield:x", "followers:>abc"] {
        match index.count("default", q, None, None) {
            Err(IndexError::Query { query, message }) => {
                assert_eq!(query, q);
                assert!(!message.is_empty());
            }
            other => panic!("{q}: expected a query error, got {other:?}"),
        }
    }
}

#[test]
fn queries_with_control_characters_are_refused_instead_of_reaching_the_parser() {
    let (_d, index) = open();
    // Found by the `search_query` fuzz target: a NUL in a JSON field path panicked in tantivy.
    let found = "fo\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}s:>09 \u{0}\u{0}\u{0}6ttrfolloffwer~s:>10 OR attrs.air\u{0}\u{0}\u{0}:\u{e}n a";
    for q in [found, "attrs.airline\u{0}x:united", "acme\u{7}"] {
        match index.count("default", q, None, None) {
            Err(IndexError::Query { message, .. }) => assert!(message.contains("control character"), "{message}"),
            other => panic!("{q:?}: expected a query error, got {other:?}"),
        }
    }
    // Tabs and newlines are white space, not control characters to refuse.
    if let Err(e) = index.count("default", "acme\trefund\n", None, None) {
        assert!(!e.to_string().contains("control character"), "{e}");
    }
}

#[test]
fn phrases_excluded_or_required_next_to_other_clauses_count_exactly() {
    // Found by the `search_query` fuzz target (`*\n-?a@a`): a phrase whose words share
    // documents without being adjacent, excluded or intersected with other clauses.
    let (_d, index) = open();
    let mut w = index.writer(&Default::default()).unwrap();
    let mut expected = [0usize; 3];
    for i in 0..300u32 {
        let text = match i % 5 {
            0 => "bad service at acme again",
            1 => "bad acme service, refund please",
            2 => "service was bad",
            3 => "acme refund came fast",
            _ => "bad bad service service refund",
        };
        let phrase = text.contains("bad service");
        let refund = text.contains("refund");
        expected[0] += usize::from(!phrase);
        expected[1] += usize::from(refund && !phrase);
        expected[2] += usize::from(refund && phrase);
        w.upsert(&mention(&i.to_string(), "default", text, i % 48)).unwrap();
    }
    w.commit(&Checkpoint::default()).unwrap();
    let count = |q: &str| index.count("default", q, None, None).unwrap();
    assert_eq!(count("* -\"bad service\""), expected[0]);
    assert_eq!(count("refund -\"bad service\""), expected[1]);
    assert_eq!(count("refund AND \"bad service\""), expected[2]);
    assert_eq!(count("*\n-?a@a"), 300, "`a a` is in no mention, so nothing is excluded");
}

#[test]
fn volume_histogram_counts_per_bucket_with_splits() {
    let (_d, index) = open();
    let mut w = index.writer(&Default::default()).unwrap();
    for (i, h) in [0u32, 0, 1, 25, 26].iter().enumerate() {
        let mut m = mention(&i.to_string(), "default", "hello", *h);
        m.lang = Some(if i % 2 == 0 { "en" } else { "fr" }.into());
        if i == 4 {
            m.reply_to = Some(Reference { id: "0".into(), author: Some("user0".into()) });
        }
        w.upsert(&m).unwrap();
    }
    w.commit(&Checkpoint::default()).unwrap();
    let req = VolumeRequest {
        workspace: "default".into(),
        query: String::new(),
        from: None,
        to: None,
        interval: "1d".into(),
        split: Some(VolumeSplit::Lang),
    };
    let v = index.volume(&req).unwrap();
    assert_eq!(v.total, 5);
    assert_eq!(v.buckets.iter().map(|b| b.count).collect::<Vec<_>>(), [3, 2]);
    assert_eq!(v.buckets[0].split["en"], 2);
    assert_eq!(v.buckets[0].start, Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap());
    assert_eq!(index.count("default", "kind:reply", None, None).unwrap(), 1);
    let bad = VolumeRequest { interval: "weekly".into(), ..req };
    assert!(matches!(index.volume(&bad), Err(IndexError::Request(_))));
}

#[test]
fn a_write_in_one_workspace_never_replaces_or_removes_another_workspaces_copy() {
    // The probe's case: workspace `a` pushes a post with the native id of one of `b`'s.
    let (_d, index) = open();
    let mut w = index.writer(&Default::default()).unwrap();
    w.upsert(&mention("secret-b-1", "b", "b's confidential note", 1)).unwrap();
    w.commit(&Checkpoint::default()).unwrap();
    w.upsert(&mention("secret-b-1", "a", "a's copy", 1)).unwrap();
    w.commit(&Checkpoint::default()).unwrap();
    assert_eq!(index.get("b", "x:secret-b-1").unwrap().unwrap().text, "b's confidential note");
    assert_eq!(index.get("a", "x:secret-b-1").unwrap().unwrap().text, "a's copy");
    assert_eq!(index.count("b", "", None, None).unwrap(), 1);
    assert_eq!(index.count("a", "", None, None).unwrap(), 1);
    // Within one commit too, and an upsert in `a` replaces only `a`'s copy.
    w.upsert(&mention("secret-b-2", "b", "second note", 1)).unwrap();
    w.upsert(&mention("secret-b-2", "a", "a again", 1)).unwrap();
    w.upsert(&mention("secret-b-1", "a", "a's copy, edited", 1)).unwrap();
    w.commit(&Checkpoint::default()).unwrap();
    assert_eq!(index.num_docs(), 4);
    assert_eq!(index.get("b", "x:secret-b-1").unwrap().unwrap().text, "b's confidential note");
    assert_eq!(index.get("a", "x:secret-b-1").unwrap().unwrap().text, "a's copy, edited");
    assert_eq!(index.get("b", "x:secret-b-2").unwrap().unwrap().text, "second note");
}

#[test]
fn presence_queries_on_fields_that_cannot_answer_them_are_bad_queries() {
    let (_d, index) = open();
    let mut w = index.writer(&Default::default()).unwrap();
    w.upsert(&mention("1", "default", "hello", 1)).unwrap();
    w.commit(&Checkpoint::default()).unwrap();
    for q in ["key:*", "text:*", "hello AND title:*"] {
        let e = index.count("default", q, None, None).unwrap_err();
        assert!(matches!(e, IndexError::Query { .. }), "{q}: {e}");
        assert!(e.to_string().contains("not a fast field"), "{e}");
    }
    // Keyword fields with fast values answer them.
    assert_eq!(index.count("default", "author:*", None, None).unwrap(), 1);
}

#[test]
fn histograms_with_too_many_buckets_are_refused_before_they_run() {
    let (_d, index) = open();
    let mut w = index.writer(&Default::default()).unwrap();
    // Five days apart: 432,001 one-second buckets.
    w.upsert(&mention("1", "default", "first", 0)).unwrap();
    w.upsert(&mention("2", "default", "last", 120)).unwrap();
    w.commit(&Checkpoint::default()).unwrap();
    let mut req = VolumeRequest {
        workspace: "default".into(),
        query: String::new(),
        from: None,
        to: None,
        interval: "1s".into(),
        split: None,
    };
    let e = index.volume(&req).unwrap_err();
    assert!(matches!(e, IndexError::Request(_)), "{e}");
    assert!(e.to_string().contains("432001 buckets, the most is 20160"), "{e}");
    req.interval = "1m".into();
    assert_eq!(index.volume(&req).unwrap().total, 2);
    // A narrow time range makes the same interval fine.
    req.interval = "1s".into();
    req.from = Some(Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap());
    req.to = Some(Utc.with_ymd_and_hms(2026, 3, 1, 1, 0, 0).unwrap());
    assert_eq!(index.volume(&req).unwrap().total, 1);
    let scope = veille_index::Scope::new("default", "");
    let e = index.sentiment(&scope, Some("1s")).unwrap_err();
    assert!(matches!(e, IndexError::Request(_)), "{e}");
}

/// An index as veille wrote them before upserts were scoped to workspaces: the same stored
/// mention JSON, but neither the workspace-scoped key nor the indexing order.
fn write_old_index(dir: &std::path::Path, mentions: &[&str]) {
    use tantivy::schema::{Schema, STORED, STRING};
    let mut b = Schema::builder();
    let key = b.add_text_field("key", STRING);
    let source = b.add_text_field("_source", STORED);
    let index = tantivy::Index::create_in_dir(dir, b.build()).unwrap();
    let mut w: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
    for json in mentions {
        let m = Mention::from_json(json).unwrap_or_else(|_| mention("bad", "default", "x", 1));
        w.add_document(tantivy::doc!(key => m.key().as_str(), source => *json)).unwrap();
    }
    let mut cp = Checkpoint::default();
    cp.sources.insert("replay".into(), "77".into());
    let mut prepared = w.prepare_commit().unwrap();
    prepared.set_payload(&cp.to_payload());
    prepared.commit().unwrap();
}

#[test]
fn an_older_index_is_refused_with_how_to_upgrade_it_and_upgrades_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    std::fs::create_dir_all(&path).unwrap();
    let good = mention("1", "acme", "kept", 1).to_json();
    let other = mention("2", "globex", "kept too", 2).to_json();
    // Stored by an older veille that accepted a date the index cannot hold.
    let wrapped = mention("3", "acme", "too late", 3).to_json().replace("2026-03-01T03:00:00Z", "9999-12-31T23:59:59Z");
    write_old_index(&path, &[&good, &other, &wrapped]);
    assert!(veille_index::needs_upgrade(&path).unwrap());
    let e = MentionIndex::open(&path).err().unwrap();
    assert!(matches!(e, IndexError::Outdated { .. }), "{e}");
    assert!(e.to_string().contains("veille index upgrade"), "{e}");

    let mut calls = 0;
    let report = veille_index::upgrade(&path, |_, _| calls += 1).unwrap();
    assert!(report.upgraded && calls > 0);
    assert_eq!(report.mentions, 2);
    assert_eq!(report.unreadable.len(), 1);
    assert!(report.unreadable[0].reason.contains("created_at"), "{:?}", report.unreadable);
    assert!(!veille_index::needs_upgrade(&path).unwrap());
    let index = MentionIndex::open(&path).unwrap();
    assert_eq!(index.num_docs(), 2);
    assert_eq!(index.checkpoint().unwrap().sources["replay"], "77");
    assert_eq!(index.get("globex", "x:2").unwrap().unwrap().text, "kept too");
    let siblings: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(siblings, vec![std::ffi::OsString::from("index")], "nothing left beside the index");
    // A current index is left alone.
    assert!(!veille_index::upgrade(&path, |_, _| {}).unwrap().upgraded);
}

#[test]
fn an_index_that_indexed_the_terms_of_ranges_is_upgraded_and_exact_values_still_match() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let mut scored = mention("1", "acme", "scored", 1);
    scored.scores.key_node = Some(0.25);
    {
        let index = MentionIndex::open(&path).unwrap();
        let mut w = index.writer(&Default::default()).unwrap();
        w.upsert(&scored).unwrap();
        w.upsert(&mention("2", "acme", "other", 2)).unwrap();
        let mut cp = Checkpoint::default();
        cp.sources.insert("replay".into(), "9".into());
        w.commit(&cp).unwrap();
        w.close().unwrap();
    }
    // The schema as the veille before this one wrote it: these fields' terms were indexed too.
    let meta = path.join("meta.json");
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&meta).unwrap()).unwrap();
    let mut changed = 0;
    for field in json["schema"].as_array_mut().unwrap() {
        if ["_seq", "created_at", "sentiment_score", "key_node"].contains(&field["name"].as_str().unwrap()) {
            field["options"]["indexed"] = serde_json::Value::Bool(true);
            changed += 1;
        }
    }
    assert_eq!(changed, 4);
    std::fs::write(&meta, serde_json::to_string(&json).unwrap()).unwrap();
    assert!(veille_index::needs_upgrade(&path).unwrap());
    let e = MentionIndex::open(&path).err().unwrap();
    assert!(e.to_string().contains("veille index upgrade"), "{e}");
    let report = veille_index::upgrade(&path, |_, _| {}).unwrap();
    assert_eq!((report.upgraded, report.mentions), (true, 2));
    let index = MentionIndex::open(&path).unwrap();
    assert_eq!(index.checkpoint().unwrap().sources["replay"], "9");
    let count = |q: &str| index.count("acme", q, None, None).unwrap();
    assert_eq!(count("key_node:0.25"), 1, "an exact value of a fast field");
    assert_eq!(count("key_node:[0.2 TO 0.3]"), 1);
    assert_eq!(count("created_at:\"2026-03-01T01:00:00Z\""), 1);
    assert_eq!(count("created_at:\"2026-03-01T02:00:00Z\" OR scored"), 2);
    assert_eq!(count("_seq:>0"), 2);
}

#[test]
fn bucket_widths_past_ten_years_are_bad_requests() {
    // Found by schemathesis: `interval=499655737d` overflowed tantivy's nanosecond widths (500).
    let (_d, index) = open();
    let mut w = index.writer(&Default::default()).unwrap();
    w.upsert(&mention("1", "default", "hello", 1)).unwrap();
    w.commit(&Checkpoint::default()).unwrap();
    let scope = veille_index::Scope::new("default", "");
    for wide in ["499655737d", "3651d", "999999999h"] {
        let e = index.sentiment(&scope, Some(wide)).unwrap_err();
        assert!(matches!(e, IndexError::Request(_)) && e.to_string().contains("widest bucket"), "{wide}: {e}");
    }
    assert!(index.sentiment(&scope, Some("3650d")).is_ok());
}
