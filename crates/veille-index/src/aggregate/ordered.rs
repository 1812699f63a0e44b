//! Every mention of a scope, oldest first, read page by page so that memory holds one page
//! whatever the number of mentions.
//!
//! Pages follow a cursor on (creation time, shard, segment, document): each page is the
//! `PAGE` smallest positions after the cursor, found in one pass that keeps a bounded heap.
//! All pages read the same searchers, so positions stay valid while the export runs.

use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};
use veille_model::Mention;

use super::Scope;
use crate::{metrics, MentionIndex, Result};

/// Mentions read per page.
pub(super) const PAGE: usize = 1_000;

/// A position in time order: creation time (µs), shard, segment, document.
type Position = (i64, usize, SegmentOrdinal, DocId);

/// The first `limit` positions of one shard strictly after `after` (time, segment, document).
struct PageAfter {
    after: Option<(i64, SegmentOrdinal, DocId)>,
    limit: usize,
}

struct PageSegment {
    ord: SegmentOrdinal,
    dates: Column<tantivy::DateTime>,
    after: Option<(i64, SegmentOrdinal, DocId)>,
    limit: usize,
    heap: BinaryHeap<(i64, SegmentOrdinal, DocId)>,
}

impl Collector for PageAfter {
    type Fruit = Vec<(i64, SegmentOrdinal, DocId)>;
    type Child = PageSegment;

    fn for_segment(&self, ord: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<PageSegment> {
        Ok(PageSegment {
            ord,
            dates: reader.fast_fields().date("created_at")?,
            after: self.after,
            limit: self.limit,
            heap: BinaryHeap::with_capacity(self.limit + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<_> = fruits.into_iter().flatten().collect();
        all.sort_unstable();
        all.truncate(self.limit);
        Ok(all)
    }
}

impl SegmentCollector for PageSegment {
    type Fruit = Vec<(i64, SegmentOrdinal, DocId)>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let at = self.dates.first(doc).map_or(i64::MIN, |t| t.into_timestamp_micros());
        let position = (at, self.ord, doc);
        if self.after.is_some_and(|after| position <= after) {
            return;
        }
        if self.heap.len() < self.limit {
            self.heap.push(position);
        } else if self.heap.peek().is_some_and(|largest| position < *largest) {
            self.heap.pop();
            self.heap.push(position);
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.heap.into_vec()
    }
}

impl MentionIndex {
    /// Calls `visit` with every mention of `scope`, oldest first, and returns how many it
    /// visited. Memory holds one page of mentions, however many match. `visit` returns
    /// `false` to stop.
    pub fn for_each_in_time_order(&self, scope: &Scope, mut visit: impl FnMut(Mention) -> bool) -> Result<u64> {
        metrics::SEARCHES.inc();
        let searchers = self.searchers();
        let mut cursor: Option<Position> = None;
        let mut visited = 0;
        loop {
            // Narrow the range to the cursor's second so later pages skip what was read.
            let from = match cursor {
                Some((at, ..)) => {
                    let second = chrono::DateTime::from_timestamp_micros(at - at.rem_euclid(1_000_000));
                    scope.from.max(second)
                }
                None => scope.from,
            };
            let (query, _) = self.scoped_query(&scope.workspace, &scope.query, from, scope.to)?;
            let mut page: Vec<Position> = Vec::with_capacity(PAGE);
            for (shard, searcher) in searchers.iter().enumerate() {
                let after = cursor.map(|(at, s, seg, doc)| match shard.cmp(&s) {
                    std::cmp::Ordering::Less => (at, SegmentOrdinal::MAX, DocId::MAX),
                    std::cmp::Ordering::Equal => (at, seg, doc),
                    std::cmp::Ordering::Greater => (at - 1, SegmentOrdinal::MAX, DocId::MAX),
                });
                let found = searcher.search(&query, &PageAfter { after, limit: PAGE })?;
                page.extend(found.into_iter().map(|(at, seg, doc)| (at, shard, seg, doc)));
            }
            page.sort_unstable();
            page.truncate(PAGE);
            let Some(last) = page.last().copied() else { return Ok(visited) };
            for (_, shard, seg, doc) in page {
                let Some(searcher) = searchers.get(shard) else { continue };
                visited += 1;
                if !visit(self.load(searcher, DocAddress::new(seg, doc))?) {
                    return Ok(visited);
                }
            }
            cursor = Some(last);
        }
    }
}
