//! Upgrading an index written by an older veille.
//!
//! An index whose schema is not today's must be rewritten: the oldest keyed upserts on
//! `platform:native_id` alone, so a write in one workspace could replace another workspace's
//! copy of the same post (their documents lack the workspace-scoped upsert key and the indexing
//! sequence number); later ones also indexed the terms of number and date fields that only
//! ranges read, which fast fields answer. [`upgrade`] rewrites every stored mention into a new
//! index beside the old one, with the old commit's checkpoint, then swaps the two directories:
//! an interrupted upgrade leaves the old index as it was.

use std::path::{Path, PathBuf};

use tantivy::directory::MmapDirectory;
use tantivy::schema::Value;
use tantivy::{Index, TantivyDocument};
use veille_model::Mention;

use crate::{read_checkpoint, IndexError, MentionIndex, Result};

/// A stored mention that the upgrade could not carry over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// The stored mention JSON, as it was.
    pub json: String,
    /// Why it is refused now (e.g. a date past what the index can hold).
    pub reason: String,
}

/// What [`upgrade`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpgradeReport {
    /// Whether the index needed it (false: it was already current, nothing was written).
    pub upgraded: bool,
    /// Mentions rewritten into the new index.
    pub mentions: u64,
    /// Stored mentions that today's rules refuse: the caller should dead-letter them.
    pub unreadable: Vec<Unreadable>,
}

/// Whether `dir` holds an index written by an older veille, with a schema other than today's.
pub fn needs_upgrade(dir: &Path) -> Result<bool> {
    let open_err = |message: String| IndexError::Open { path: dir.to_path_buf(), message };
    if !dir.join("meta.json").exists() {
        return Ok(false);
    }
    let directory = MmapDirectory::open(dir).map_err(|e| open_err(e.to_string()))?;
    let index = Index::open(directory).map_err(|e| open_err(e.to_string()))?;
    Ok(index.schema() != crate::schema::build().0)
}

fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    dir.with_file_name(name)
}

/// Rewrites the older index in `dir` in the current format, keeping its checkpoint;
/// `progress(done, total)` is called as mentions are copied. Takes the old index's writer lock
/// first, so it fails while a pipeline writes to it. Does nothing to a current index.
pub fn upgrade(dir: &Path, mut progress: impl FnMut(u64, u64)) -> Result<UpgradeReport> {
    if !needs_upgrade(dir)? {
        return Ok(UpgradeReport::default());
    }
    let open_err = |message: String| IndexError::Open { path: dir.to_path_buf(), message };
    let old = Index::open(MmapDirectory::open(dir).map_err(|e| open_err(e.to_string()))?)
        .map_err(|e| open_err(e.to_string()))?;
    // Holding the old writer's lock keeps a running pipeline of an older veille out.
    let lock = old
        .writer_with_num_threads::<TantivyDocument>(1, 15 * 1024 * 1024)
        .map_err(|e| open_err(format!("cannot take the index's writer lock (is veille running on it?): {e}")))?;
    let checkpoint = read_checkpoint(&old)?;
    let source = old.schema().get_field("_source").map_err(|e| open_err(e.to_string()))?;
    let staging = sibling(dir, ".upgrading");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| open_err(format!("cannot clear {}: {e}", staging.display())))?;
    }
    let fresh = MentionIndex::open(&staging)?;
    let mut writer = fresh.writer(&veille_config::IndexConfig::default())?;
    let searcher = old.reader()?.searcher();
    let total = searcher.num_docs();
    let mut report = UpgradeReport { upgraded: true, ..UpgradeReport::default() };
    let mut done = 0;
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let store = segment.get_store_reader(64).map_err(|e| IndexError::Tantivy(e.into()))?;
        for doc_id in segment.doc_ids_alive() {
            let doc: TantivyDocument = store.get(doc_id)?;
            let json = doc
                .get_first(source)
                .and_then(|v| v.as_str())
                .ok_or_else(|| IndexError::Stored(format!("document {doc_id} of segment {ord} has no _source")))?;
            match Mention::from_json(json) {
                Ok(m) => {
                    writer.upsert(&m)?;
                    report.mentions += 1;
                }
                Err(e) => report.unreadable.push(Unreadable { json: json.to_string(), reason: e.to_string() }),
            }
            done += 1;
            if done % 10_000 == 0 {
                progress(done, total);
            }
        }
    }
    writer.commit(&checkpoint)?;
    writer.close()?;
    drop(fresh);
    progress(done, total);
    let retired = sibling(dir, ".before-upgrade");
    if retired.exists() {
        std::fs::remove_dir_all(&retired).map_err(|e| open_err(format!("cannot clear {}: {e}", retired.display())))?;
    }
    drop(lock);
    std::fs::rename(dir, &retired).map_err(|e| open_err(format!("cannot move the old index aside: {e}")))?;
    std::fs::rename(&staging, dir).map_err(|e| {
        open_err(format!("cannot move the upgraded index into place: {e} (the old index is in {})", retired.display()))
    })?;
    std::fs::remove_dir_all(&retired)
        .map_err(|e| open_err(format!("upgraded, but cannot remove the old index in {}: {e}", retired.display())))?;
    Ok(report)
}
