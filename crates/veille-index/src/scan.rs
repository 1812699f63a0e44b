//! Visiting every mention that matches a query, oldest first.

use chrono::{DateTime, Utc};
use tantivy::collector::DocSetCollector;
use tantivy::DocAddress;
use veille_model::Mention;

use crate::{IndexError, MentionIndex, Result};

impl MentionIndex {
    /// Calls `visit` with every mention of `workspace` matching `query` in the time range,
    /// oldest first, and returns how many it visited. Memory holds 24 bytes per match,
    /// not the mentions: each is loaded when its turn comes. `visit` returns `false` to stop.
    pub fn scan(
        &self,
        workspace: &str,
        query: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        mut visit: impl FnMut(Mention) -> bool,
    ) -> Result<u64> {
        let (query, _) = self.scoped_query(workspace, query, from, to)?;
        let searchers = self.searchers();
        // (created_at, shard, address): 24 bytes per match, never the mentions themselves.
        let mut ordered: Vec<(i64, usize, DocAddress)> = Vec::new();
        for (shard, searcher) in searchers.iter().enumerate() {
            let matches = searcher.search(&query, &DocSetCollector)?;
            let mut columns = Vec::with_capacity(searcher.segment_readers().len());
            for reader in searcher.segment_readers() {
                let column = reader
                    .fast_fields()
                    .date("created_at")
                    .map_err(|e| IndexError::Stored(format!("created_at column: {e}")))?;
                columns.push(column);
            }
            ordered.reserve(matches.len());
            for address in matches {
                let at = columns
                    .get(address.segment_ord as usize)
                    .and_then(|c| c.first(address.doc_id))
                    .map_or(i64::MIN, |t| t.into_timestamp_micros());
                ordered.push((at, shard, address));
            }
        }
        ordered.sort_unstable();
        let mut visited = 0;
        for (_, shard, address) in ordered {
            visited += 1;
            if !visit(self.load(&searchers[shard], address)?) {
                break;
            }
        }
        Ok(visited)
    }
}
