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
