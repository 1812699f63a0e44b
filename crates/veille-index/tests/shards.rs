//! A sharded view answers like one index holding every shard's mentions.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use chrono::{TimeZone, Utc};
use veille_index::{MentionIndex, SearchRequest, Sort, VolumeRequest, VolumeSplit};
use veille_model::{Author, Checkpoint, Mention, Platform};

fn mention(id: u32, ws: &str, text: &str, hour: u32) -> Mention {
    let when = Utc.with_ymd_and_hms(2026, 3, 1 + hour / 24, hour % 24, 0, 0).unwrap();
    let author = Author { handle: format!("user{}", id % 7), ..Default::default() };
    let mut m = Mention::new(Platform::X, id.to_string(), text, when, author);
    m.workspace = ws.to_string();
    m.lang = Some(if id.is_multiple_of(3) { "fr" } else { "en" }.into());
    m
}

/// The same 60 mentions, in one index and spread over three shards (with offsets in their commits).
fn build() -> (tempfile::TempDir, MentionIndex, MentionIndex) {
    let dir = tempfile::tempdir().unwrap();
    let single = MentionIndex::open(&dir.path().join("single")).unwrap();
    let mut one = single.writer(&Default::default()).unwrap();
    let shards: Vec<MentionIndex> =
        (0..3).map(|p| MentionIndex::open(&dir.path().join("shards").join(format!("t-{p}"))).unwrap()).collect();
    let mut writers: Vec<_> = shards.iter().map(|s| s.writer(&Default::default()).unwrap()).collect();
    for i in 0..60u32 {
        let text = if i % 4 == 0 { format!("acme recall number {i}") } else { format!("acme is fine {i}") };
        let ws = if i % 10 == 9 { "other" } else { "default" };
        let m = mention(i, ws, &text, i % 48);
        one.upsert(&m).unwrap();
        writers[(i % 3) as usize].upsert(&m).unwrap();
    }
    one.commit(&Checkpoint::default()).unwrap();
    for (p, w) in writers.iter_mut().enumerate() {
        let mut cp = Checkpoint::default();
        cp.partitions.insert(format!("t/{p}"), 20 + p as i64);
        w.commit(&cp).unwrap();
    }
    let view = MentionIndex::open_sharded(&dir.path().join("shards")).unwrap();
    (dir, single, view)
}

#[test]
fn counts_searches_and_pages_match_a_single_index() {
    let (_dir, single, view) = build();
    assert!(view.is_sharded());
    assert_eq!(view.num_docs(), 60);
    assert_eq!(view.shard_sizes().len(), 3);
    for q in ["*", "recall", "acme AND lang:fr", "author:user3"] {
        assert_eq!(
            view.count("default", q, None, None).unwrap(),
            single.count("default", q, None, None).unwrap(),
            "{q}"
        );
    }
    for sort in [Sort::Time, Sort::TimeAsc] {
        for offset in [0, 7, 30] {
            let mut req = SearchRequest::new("default", "acme");
            req.sort = sort;
            req.limit = 11;
            req.offset = offset;
            let a = single.search(&req).unwrap();
            let b = view.search(&req).unwrap();
            assert_eq!(a.total, b.total);
            let times =
                |r: &veille_index::SearchResponse| r.hits.iter().map(|h| h.mention.created_at).collect::<Vec<_>>();
            assert_eq!(times(&a), times(&b), "{sort:?} from {offset}");
        }
    }
    let mut req = SearchRequest::new("default", "recall");
    req.snippets = true;
    let hits = view.search(&req).unwrap();
    assert!(hits.hits.iter().all(|h| h.snippet.as_deref().is_some_and(|s| s.contains("<b>recall</b>"))));
}

#[test]
fn workspaces_stay_apart_across_shards() {
    let (_dir, _single, view) = build();
    assert_eq!(view.count("other", "*", None, None).unwrap(), 6);
    assert!(view.get("default", "x:9").unwrap().is_none(), "x:9 belongs to `other`");
    assert_eq!(view.get("other", "x:9").unwrap().unwrap().text, "acme is fine 9");
    assert_eq!(view.count("default", "workspace:other", None, None).unwrap(), 0);
}

#[test]
fn volume_merges_every_shard_and_checkpoints_merge_partitions() {
    let (_dir, single, view) = build();
    let req = VolumeRequest {
        workspace: "default".into(),
        query: String::new(),
        from: None,
        to: None,
        interval: "1h".into(),
        split: Some(VolumeSplit::Lang),
    };
    assert_eq!(view.volume(&req).unwrap(), single.volume(&req).unwrap());
    let cp = view.checkpoint().unwrap();
    assert_eq!(cp.partitions.len(), 3);
    assert_eq!(cp.partitions["t/2"], 22);
    let mut visited = Vec::new();
    view.scan("default", "*", None, None, |m| {
        visited.push(m.created_at);
        true
    })
    .unwrap();
    assert_eq!(visited.len(), 54);
    assert!(visited.windows(2).all(|w| w[0] <= w[1]), "oldest first across shards");
}

#[test]
fn shards_that_appear_later_are_found_and_a_view_has_no_writer() {
    let dir = tempfile::tempdir().unwrap();
    let view = MentionIndex::open_sharded(dir.path()).unwrap();
    assert_eq!(view.num_docs(), 0);
    assert!(view.writer(&Default::default()).is_err());
    let shard = MentionIndex::open(&dir.path().join("t-0")).unwrap();
    let mut w = shard.writer(&Default::default()).unwrap();
    w.upsert(&mention(1, "default", "late", 1)).unwrap();
    w.commit(&Checkpoint::default()).unwrap();
    view.reload().unwrap();
    assert_eq!(view.count("default", "late", None, None).unwrap(), 1);
}
