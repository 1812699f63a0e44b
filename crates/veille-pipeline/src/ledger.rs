//! The ledger of alert notices already handed to the receivers: one delivery id per line,
//! synced before the notice is enqueued. A signals owner that takes over a workspace reads it,
//! so a decision its predecessor already notified is not notified again.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// File name of the ledger inside a signals partition's directory.
pub(crate) const LEDGER_FILE: &str = "notified.ids";

/// Delivery ids already enqueued, durable on disk.
pub(crate) struct Ledger {
    path: PathBuf,
    file: File,
    sent: HashSet<String>,
}

impl Ledger {
    /// Opens (or creates) the ledger in `dir`, reading what it holds. A last line cut by a
    /// crash is ignored: its notice was not enqueued (the line is synced first).
    pub(crate) fn open(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join(LEDGER_FILE);
        let file = OpenOptions::new().create(true).read(true).append(true).open(&path)?;
        let mut sent = HashSet::new();
        let mut complete = 0u64;
        let mut reader = BufReader::new(&file);
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader.read_line(&mut line)?;
            if n == 0 || !line.ends_with('\n') {
                break;
            }
            complete += n as u64;
            sent.insert(line.trim_end().to_string());
        }
        // Cut a torn last line so the next id starts on a line of its own.
        if file.metadata()?.len() > complete {
            file.set_len(complete)?;
        }
        Ok(Ledger { path, file, sent })
    }

    /// Records `id` durably; false when it was already there (its notice was sent before).
    pub(crate) fn first_time(&mut self, id: &str) -> std::io::Result<bool> {
        if self.sent.contains(id) {
            return Ok(false);
        }
        self.file.write_all(format!("{id}\n").as_bytes())?;
        self.file.sync_data()?;
        self.sent.insert(id.to_string());
        Ok(true)
    }

    /// Where the ledger lives.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_new_once_across_reopenings_and_a_torn_line_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(dir.path()).unwrap();
        assert!(ledger.first_time("a-0").unwrap());
        assert!(!ledger.first_time("a-0").unwrap());
        assert!(ledger.first_time("b-0").unwrap());
        drop(ledger);
        let path = dir.path().join(LEDGER_FILE);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"c-").unwrap();
        drop(f);
        let mut ledger = Ledger::open(dir.path()).unwrap();
        assert!(!ledger.first_time("a-0").unwrap());
        assert!(!ledger.first_time("b-0").unwrap());
        assert!(ledger.first_time("c-0").unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a-0\nb-0\nc-0\n");
    }
}
