//! A read view over many index shards: one tantivy index per Kafka partition.
//!
//! Processors write one shard per partition they own, each a directory under
//! a common root. A sharded [`MentionIndex`] finds those directories (new
//! ones appear when a partition is first assigned), keeps a reader on each,
//! and every read fans out over them and merges the shards' answers.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::agg_result::AggregationResults;
use tantivy::aggregation::intermediate_agg_result::IntermediateAggregationResults;
use tantivy::aggregation::{AggContextParams, DistributedAggregationCollector};
use tantivy::directory::MmapDirectory;
use tantivy::query::Query;
use tantivy::{Index, IndexReader, ReloadPolicy, Searcher};
use veille_model::Checkpoint;

use crate::{schema, IndexError, MentionIndex, Result};

/// How often a sharded index looks for shard directories that appeared since.
const DISCOVERY_INTERVAL: Duration = Duration::from_secs(1);

/// One open shard.
#[derive(Clone)]
pub(crate) struct Shard {
    pub(crate) name: String,
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
}

/// The shards under one root directory.
pub(crate) struct ShardSet {
    root: PathBuf,
    state: Mutex<Found>,
}

struct Found {
    shards: Vec<Shard>,
    looked: Option<Instant>,
}

impl ShardSet {
    pub(crate) fn new(root: &Path) -> Result<ShardSet> {
        std::fs::create_dir_all(root)
            .map_err(|e| IndexError::Open { path: root.to_path_buf(), message: e.to_string() })?;
        let set = ShardSet { root: root.to_path_buf(), state: Mutex::new(Found { shards: Vec::new(), looked: None }) };
        set.discover()?;
        Ok(set)
    }

    fn locked(&self) -> MutexGuard<'_, Found> {
        // The list stays consistent whatever a panicking holder did.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens shard directories that appeared since the last look.
    pub(crate) fn discover(&self) -> Result<()> {
        let entries = std::fs::read_dir(&self.root)
            .map_err(|e| IndexError::Open { path: self.root.clone(), message: e.to_string() })?;
        let mut dirs: Vec<(String, PathBuf)> = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            // A shard exists once its first commit wrote meta.json.
            if path.join("meta.json").is_file() {
                dirs.push((entry.file_name().to_string_lossy().into_owned(), path));
            }
        }
        dirs.sort();
        let mut found = self.locked();
        for (name, path) in dirs {
            if found.shards.iter().any(|s| s.name == name) {
                continue;
            }
            found.shards.push(open_shard(name, &path)?);
        }
        found.shards.sort_by(|a, b| a.name.cmp(&b.name));
        found.looked = Some(Instant::now());
        Ok(())
    }

    /// Every shard's current searcher, looking for new shards when it is time to.
    pub(crate) fn searchers(&self) -> Vec<Searcher> {
        let stale = self.locked().looked.is_none_or(|t| t.elapsed() >= DISCOVERY_INTERVAL);
        if stale {
            if let Err(error) = self.discover() {
                tracing::warn!(root = %self.root.display(), %error, "looking for new index shards");
            }
        }
        self.locked().shards.iter().map(|s| s.reader.searcher()).collect()
    }

    /// Makes every shard's last commit visible now.
    pub(crate) fn reload(&self) -> Result<()> {
        self.discover()?;
        let shards = self.locked().shards.clone();
        for shard in shards {
            shard.reader.reload()?;
        }
        Ok(())
    }

    /// The checkpoints of all shards, merged: each shard holds its own partitions.
    pub(crate) fn checkpoint(&self) -> Result<Checkpoint> {
        let shards = self.locked().shards.clone();
        let mut merged = Checkpoint::default();
        for shard in shards {
            let checkpoint = crate::read_checkpoint(&shard.index)?;
            merged.partitions.extend(checkpoint.partitions);
            merged.sources.extend(checkpoint.sources);
            merged.deadletter_bytes += checkpoint.deadletter_bytes;
        }
        Ok(merged)
    }

    /// `(shard name, documents)` for every shard.
    pub(crate) fn sizes(&self) -> Vec<(String, u64)> {
        let shards = self.locked().shards.clone();
        shards.iter().map(|s| (s.name.clone(), s.reader.searcher().num_docs())).collect()
    }
}

fn open_shard(name: String, path: &Path) -> Result<Shard> {
    let open_err = |message: String| IndexError::Open { path: path.to_path_buf(), message };
    let directory = MmapDirectory::open(path).map_err(|e| open_err(e.to_string()))?;
    let mut index = Index::open(directory).map_err(|e| open_err(e.to_string()))?;
    schema::register_tokenizers(&index);
    schema::search_in_parallel(&mut index).map_err(|e| open_err(e.to_string()))?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::OnCommitWithDelay)
        .try_into()
        .map_err(|e: tantivy::TantivyError| open_err(e.to_string()))?;
    Ok(Shard { name, index, reader })
}

impl MentionIndex {
    /// Runs tantivy aggregations over every shard: each shard gives its
    /// intermediate results, which are merged, then finalised once (so bucket
    /// counts and top terms are exact across shards, as with one index).
    pub(crate) fn aggregate(&self, query: &dyn Query, aggs: Aggregations) -> Result<AggregationResults> {
        let context = AggContextParams::new(Default::default(), self.index.tokenizers().clone());
        let collector = DistributedAggregationCollector::from_aggs(aggs.clone(), context.clone());
        let mut merged: Option<IntermediateAggregationResults> = None;
        for searcher in self.searchers() {
            let part = searcher.search(query, &collector)?;
            match merged.as_mut() {
                Some(m) => m.merge_fruits(part)?,
                None => merged = Some(part),
            }
        }
        let merged = match merged {
            Some(m) => m,
            // No shard yet: aggregate over the empty template index, which has the schema.
            None => self.reader.searcher().search(query, &collector)?,
        };
        Ok(merged.into_final_result(aggs, context.limits)?)
    }
}
