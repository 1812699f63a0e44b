//! Mentions in the order they were indexed, for live streams.
//!
//! Every document carries the sequence number its writer gave it (the wall clock in
//! microseconds when it was indexed, increasing per writer; see `writer.rs`). A live reader
//! follows those numbers instead of publication times, so that a post dated in the future,
//! a late arrival or a burst is streamed in the order the index took it.

use std::ops::Bound;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery};
use tantivy::{DocAddress, Order, Searcher, Term};
use veille_model::Mention;

use crate::schema::SEQ_FIELD;
use crate::{metrics, IndexError, MentionIndex, Result};

/// Most mentions one [`MentionIndex::indexed_since`] page may hold.
pub const MAX_LIVE_PAGE: usize = 1_000;

/// A mention with the sequence number it was indexed at.
#[derive(Debug, Clone, PartialEq)]
pub struct Indexed {
    /// When it was indexed: microseconds since the epoch, increasing per writer.
    pub seq: u64,
    /// The mention.
    pub mention: Mention,
}

/// The newest mentions indexed since a point.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexedPage {
    /// Mentions matching, indexed since the point, across all pages.
    pub total: usize,
    /// The newest of them, newest first.
    pub hits: Vec<Indexed>,
}

/// The highest sequence number in `searcher`'s segments (0 for an empty index).
pub(crate) fn max_seq(searcher: &Searcher) -> Result<u64> {
    let mut max = 0;
    for segment in searcher.segment_readers() {
        if segment.num_docs() == 0 {
            continue;
        }
        let column = segment.fast_fields().u64(SEQ_FIELD)?;
        max = max.max(column.max_value());
    }
    Ok(max)
}

impl MentionIndex {
    /// The sequence number of the newest mention of `workspace` matching `query` (0 when none).
    pub fn last_indexed(&self, workspace: &str, query: &str) -> Result<u64> {
        let page = self.indexed_since(workspace, query, 0, 1)?;
        Ok(page.hits.first().map_or(0, |h| h.seq))
    }

    /// Mentions of `workspace` matching `query` indexed at or after `since` (a sequence
    /// number), newest first: at most `limit` of them, and how many there are in all.
    pub fn indexed_since(&self, workspace: &str, query: &str, since: u64, limit: usize) -> Result<IndexedPage> {
        if limit > MAX_LIVE_PAGE {
            return Err(IndexError::Request(format!("`limit` is {limit}, the most is {MAX_LIVE_PAGE}")));
        }
        metrics::SEARCHES.inc();
        let (scoped, _) = self.scoped_query(workspace, query, None, None)?;
        let lower = Term::from_field_u64(self.fields.seq, since);
        let query = BooleanQuery::new(vec![
            (Occur::Must, scoped),
            (Occur::Must, Box::new(RangeQuery::new(Bound::Included(lower), Bound::Unbounded)) as Box<dyn Query>),
        ]);
        let searchers = self.searchers();
        let mut total = 0;
        let mut candidates: Vec<(u64, usize, DocAddress)> = Vec::new();
        for (shard, searcher) in searchers.iter().enumerate() {
            let top = TopDocs::with_limit(limit.max(1)).order_by_fast_field::<u64>(SEQ_FIELD, Order::Desc);
            let (count, docs) = searcher.search(&query, &(Count, top))?;
            total += count;
            candidates.extend(docs.into_iter().map(|(seq, address)| (seq.unwrap_or(0), shard, address)));
        }
        candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        candidates.truncate(limit);
        let mut hits = Vec::with_capacity(candidates.len());
        for (seq, shard, address) in candidates {
            hits.push(Indexed { seq, mention: self.load(&searchers[shard], address)? });
        }
        Ok(IndexedPage { total, hits })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use veille_model::{Author, Checkpoint, Mention, Platform};

    use crate::MentionIndex;

    fn mention(id: &str, workspace: &str, year: i32) -> Mention {
        let at = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap();
        let mut m = Mention::new(
            Platform::Web,
            id,
            "news about acme",
            at,
            Author { handle: "ann".into(), ..Default::default() },
        );
        m.workspace = workspace.into();
        m
    }

    #[test]
    fn mentions_come_in_indexing_order_whatever_their_dates() {
        let dir = tempfile::tempdir().unwrap();
        let index = MentionIndex::open(dir.path()).unwrap();
        let mut writer = index.writer(&Default::default()).unwrap();
        // A post dated far in the future first, then ordinary ones.
        writer.upsert(&mention("future", "a", 2199)).unwrap();
        writer.commit(&Checkpoint::default()).unwrap();
        let mark = index.last_indexed("a", "").unwrap();
        assert!(mark > 0);
        writer.upsert(&mention("now-1", "a", 2026)).unwrap();
        writer.upsert(&mention("now-2", "a", 2026)).unwrap();
        writer.upsert(&mention("other", "b", 2026)).unwrap();
        writer.commit(&Checkpoint::default()).unwrap();
        let page = index.indexed_since("a", "", mark + 1, 10).unwrap();
        assert_eq!(page.total, 2);
        let ids: Vec<_> = page.hits.iter().map(|h| h.mention.key().to_string()).collect();
        assert_eq!(ids, ["web:now-2", "web:now-1"]);
        assert!(page.hits[0].seq > page.hits[1].seq && page.hits[1].seq > mark);
        assert_eq!(index.indexed_since("a", "", 0, 1).unwrap().total, 3);
        assert!(index.indexed_since("a", "", 0, 1_001).is_err());
    }

    #[test]
    fn a_new_writer_numbers_after_what_the_index_holds() {
        let dir = tempfile::tempdir().unwrap();
        let index = MentionIndex::open(dir.path()).unwrap();
        let mut writer = index.writer(&Default::default()).unwrap();
        writer.upsert(&mention("1", "a", 2026)).unwrap();
        writer.commit(&Checkpoint::default()).unwrap();
        writer.close().unwrap();
        let first = index.last_indexed("a", "").unwrap();
        let mut writer = index.writer(&Default::default()).unwrap();
        writer.upsert(&mention("2", "a", 2026)).unwrap();
        writer.commit(&Checkpoint::default()).unwrap();
        assert!(index.last_indexed("a", "").unwrap() > first);
    }
}
