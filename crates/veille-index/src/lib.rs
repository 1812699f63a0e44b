//! The mention index, on tantivy.
//!
//! One index holds the mentions of every workspace; every document carries
//! its workspace and every search is filtered by it inside the index, so a
//! query can never reach another workspace's mentions.
//!
//! Writes are upserts on the mention key within its workspace
//! (`workspace/platform:native_id`): a replayed or retried mention replaces its
//! earlier copy instead of adding a second, and a post tracked by two
//! workspaces is kept once in each, so one workspace's writes never touch
//! another's copy.
//! Each commit stores a [`Checkpoint`] in its
//! payload — the source cursors that the commit covers — so a restarted
//! pipeline resumes exactly where durable data ends.
//!
//! ```
//! use veille_index::{MentionIndex, SearchRequest};
//! use veille_model::{Author, Checkpoint, Mention, Platform};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let index = MentionIndex::open(dir.path()).unwrap();
//! let mut writer = index.writer(&Default::default()).unwrap();
//! let when = chrono::Utc::now();
//! let m = Mention::new(Platform::X, "1", "Flight delayed again", when, Author { handle: "ann".into(), ..Default::default() });
//! writer.upsert(&m).unwrap();
//! writer.upsert(&m).unwrap(); // a replay: still one document
//! writer.commit(&Checkpoint::default()).unwrap();
//!
//! let found = index.search(&SearchRequest::new("default", "delayed")).unwrap();
//! assert_eq!(found.total, 1);
//! ```

mod aggregate;
mod complexity;
mod document;
mod live;
mod metrics;
mod query;
mod scan;
mod schema;
mod search;
mod shards;
mod stats;
mod stem;
mod stemmed;
mod upgrade;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, ReloadPolicy};
use veille_model::Checkpoint;

pub use aggregate::{
    net_sentiment, Audit, AuditRequest, AuthorOrder, AuthorStats, Breakdown, BreakdownField, BreakdownValue,
    NotableMention, PeakDay, Period, PeriodTotal, Scope, SentimentBucket, SentimentCounts, SentimentShares,
    SentimentSummary, ShareBucket, ShareOfVoice, ShareOfVoiceRequest, SignificantTerm, SignificantTerms,
    SignificantTermsRequest, TermField, VolumeChange, WatchSentiment, WatchShare, MAX_AUTHORS, MAX_NOTABLE, MAX_TERMS,
    MAX_VALUES,
};
pub use complexity::QueryCost;
pub use live::{Indexed, IndexedPage, MAX_LIVE_PAGE};
pub use search::{Hit, SearchRequest, SearchResponse, Sort, MAX_LIMIT, MAX_OFFSET};
pub use stats::{VolumeBucket, VolumeRequest, VolumeResponse, VolumeSplit};
pub use upgrade::{needs_upgrade, upgrade, Unreadable, UpgradeReport};
pub use writer::{raw, MentionWriter};

use schema::Fields;

/// Directory, inside the data directory, holding one index shard per Kafka
/// partition (see [`MentionIndex::open_sharded`]).
pub const SHARDS_DIR: &str = "shards";

/// Field names a query can use, with what each holds (for docs and error messages).
pub const QUERY_FIELDS: &[(&str, &str)] = &[
    ("text", "the mention text: words, lower-cased, accents folded (default field)"),
    ("title", "article or post title (default field)"),
    ("text_en", "English-stemmed text, for mentions in English (default field)"),
    ("text_fr", "French-stemmed text, for mentions in French (default field)"),
    ("platform", "x, bluesky, mastodon, reddit, rss, ..."),
    ("author", "author handle, without @ (case-insensitive)"),
    ("author_id", "the platform's author id"),
    ("lang", "ISO 639-1 language code"),
    ("kind", "post, reply, quote or repost"),
    ("created_at", "publication time, e.g. created_at:[2026-01-01T00:00:00Z TO 2026-02-01T00:00:00Z}"),
    ("mentions", "handles mentioned in the text, without @"),
    ("hashtags", "hashtags in the text, without #"),
    ("followers", "author followers, e.g. followers:>10000"),
    ("likes", "like count"),
    ("reposts", "repost count"),
    ("replies", "reply count"),
    ("quotes", "quote count"),
    ("engagement", "likes + reposts + replies + quotes"),
    ("watch", "name of a watch that matched"),
    ("watch_kind", "brand, competitor, campaign, crisis or moderation"),
    ("sentiment", "negative, neutral or positive"),
    ("sentiment_score", "compound sentiment in [-1, 1]"),
    ("key_node", "author's key-node score at ingest, in [0, 1]"),
    ("attrs", "source attributes, e.g. attrs.airline:\"us airways\""),
    ("key", "the mention key, platform:native_id"),
];

/// Why an index operation failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The index directory could not be opened or created.
    #[error("cannot open the index at {path}: {message}")]
    Open {
        /// The index directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A query could not be parsed; the message says where and why.
    #[error("invalid query `{query}`: {message}")]
    Query {
        /// The query as given.
        query: String,
        /// What is wrong with it.
        message: String,
    },
    /// A request parameter is out of bounds.
    #[error("invalid request: {0}")]
    Request(String),
    /// The index was written by an older veille and must be upgraded before use.
    #[error("the index at {} was written by an older veille, in a format this one does not write: run `veille index upgrade` to rewrite it in place (the checkpoint is kept)", path.display())]
    Outdated {
        /// The index directory.
        path: PathBuf,
    },
    /// The checkpoint stored in the last commit cannot be read.
    #[error("the checkpoint in the index's last commit is unreadable: {0}")]
    Checkpoint(String),
    /// A stored document cannot be decoded.
    #[error("stored mention is unreadable: {0}")]
    Stored(String),
    /// The file system holding the index ran out of space while writing.
    #[error("the disk holding the index at {} is full (No space left on device, {free} bytes free): {message}", path.display())]
    DiskFull {
        /// The index directory.
        path: PathBuf,
        /// Bytes still available to the writer on that file system.
        free: u64,
        /// What the index reported.
        message: String,
    },
    /// An error inside tantivy (I/O, corruption).
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// A result of an index operation.
pub type Result<T> = std::result::Result<T, IndexError>;

/// An open mention index: one writer at a time, any number of searches.
#[derive(Clone)]
pub struct MentionIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    path: PathBuf,
    /// Set for a read view over many shards; `index` is then an empty
    /// in-memory index that only lends its schema and analysers.
    shards: Option<Arc<shards::ShardSet>>,
    /// The words of each stem found in each segment, for stemmed searches.
    stems: Arc<stemmed::StemWords>,
}

impl MentionIndex {
    /// Opens the index in `dir`, creating it (and `dir`) when missing.
    pub fn open(dir: &Path) -> Result<MentionIndex> {
        let open_err = |message: String| IndexError::Open { path: dir.to_path_buf(), message };
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        let (schema, fields) = schema::build();
        if upgrade::needs_upgrade(dir)? {
            return Err(IndexError::Outdated { path: dir.to_path_buf() });
        }
        let directory = MmapDirectory::open(dir).map_err(|e| open_err(e.to_string()))?;
        let mut index = Index::open_or_create(directory, schema).map_err(|e| open_err(e.to_string()))?;
        schema::register_tokenizers(&index);
        schema::search_in_parallel(&mut index).map_err(|e| open_err(e.to_string()))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .map_err(|e: tantivy::TantivyError| open_err(e.to_string()))?;
        Ok(MentionIndex { index, reader, fields, path: dir.to_path_buf(), shards: None, stems: Arc::default() })
    }

    /// A read view over every shard under `root`: each subdirectory holding a
    /// committed index is a shard (the processors write one per Kafka
    /// partition). Searches, counts and aggregations fan out over all shards
    /// and merge their answers; shards that appear later are picked up within
    /// a second. A sharded view has no writer: open a shard itself to write.
    pub fn open_sharded(root: &Path) -> Result<MentionIndex> {
        let open_err = |message: String| IndexError::Open { path: root.to_path_buf(), message };
        let set = shards::ShardSet::new(root)?;
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        schema::register_tokenizers(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e: tantivy::TantivyError| open_err(e.to_string()))?;
        Ok(MentionIndex {
            index,
            reader,
            fields,
            path: root.to_path_buf(),
            shards: Some(Arc::new(set)),
            stems: Arc::default(),
        })
    }

    /// Whether this is a read view over several shards.
    pub fn is_sharded(&self) -> bool {
        self.shards.is_some()
    }

    /// `(shard name, mentions)` of every shard of a sharded view; one entry named
    /// after the directory for a single index.
    pub fn shard_sizes(&self) -> Vec<(String, u64)> {
        match &self.shards {
            Some(set) => set.sizes(),
            None => {
                let name = self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                vec![(name, self.num_docs())]
            }
        }
    }

    /// The directory the index lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the index's single writer. Fails while another process holds it.
    pub fn writer(&self, config: &veille_config::IndexConfig) -> Result<MentionWriter> {
        if self.shards.is_some() {
            return Err(IndexError::Open {
                path: self.path.clone(),
                message: "a sharded view is read-only: open one shard to write to it".into(),
            });
        }
        MentionWriter::new(self, config)
    }

    /// The checkpoint stored by the last commit (empty for a new index). For a
    /// sharded view, the shards' checkpoints merged: each holds its own partitions.
    pub fn checkpoint(&self) -> Result<Checkpoint> {
        match &self.shards {
            Some(set) => set.checkpoint(),
            None => read_checkpoint(&self.index),
        }
    }

    /// Makes the last commit visible to searches now rather than shortly (and,
    /// for a sharded view, opens shards that appeared).
    pub fn reload(&self) -> Result<()> {
        match &self.shards {
            Some(set) => set.reload(),
            None => Ok(self.reader.reload()?),
        }
    }

    /// Number of mentions across all workspaces, as of the last visible commit.
    pub fn num_docs(&self) -> u64 {
        self.searchers().iter().map(|s| s.num_docs()).sum()
    }

    /// One searcher per shard, as of the last visible commit. Every read
    /// fans out over these and merges what each shard answers.
    pub(crate) fn searchers(&self) -> Vec<tantivy::Searcher> {
        match &self.shards {
            Some(set) => set.searchers(),
            None => vec![self.reader.searcher()],
        }
    }
}

/// The checkpoint in the payload of `index`'s last commit.
pub(crate) fn read_checkpoint(index: &Index) -> Result<Checkpoint> {
    let metas = index.load_metas()?;
    match metas.payload.as_deref() {
        None | Some("") => Ok(Checkpoint::default()),
        Some(p) => Checkpoint::from_payload(p).map_err(|e| IndexError::Checkpoint(e.to_string())),
    }
}
