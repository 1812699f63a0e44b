//! The Kafka roles (feature `kafka`): ingest workers and processors.
//!
//! ```text
//! veille ingest ──▶ Kafka veille.mentions.raw (N partitions) ──▶ veille process × M (one consumer group)
//!   sources,            keyed by mention key                     enrich, index into
//!   cursor stored                                                DATA_DIR/shards/TOPIC-PARTITION/
//!   after the ack                                                (offset in each shard's commit)
//! ```
//!
//! Every processor sees the shards of the whole deployment under
//! `DATA_DIR/shards/` (a volume they share): a partition's shard moves with the
//! partition, and its commit payload says where the partition resumes, so a
//! mention is in the union of the shards exactly once through crashes and
//! rebalances. [`MentionIndex::open_sharded`](veille_index::MentionIndex::open_sharded)
//! reads them all.

mod facts;
mod ingest;
mod process;
mod shards;
mod signals;
mod tables;

use std::path::{Path, PathBuf};

pub use ingest::{read_checkpoint, IngestWorker, INGEST_CHECKPOINT_FILE};
pub use process::Processor;
pub use shards::shard_dir;
pub use signals::SignalsOwner;
pub use tables::SignalTables;

/// Where the processors keep the index shards, inside the data directory.
pub fn shards_root(data_dir: &Path) -> PathBuf {
    data_dir.join(veille_index::SHARDS_DIR)
}
