//! The dead-letter file: refused input, one JSON object per line, kept in step with index commits.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use veille_model::DeadLetter;

/// File name of the dead-letter file inside the data directory.
pub const DEADLETTER_FILE: &str = "deadletter.ndjson";

/// Appends dead letters; its length is stored in each index checkpoint.
pub(crate) struct DeadLetterFile {
    path: PathBuf,
    out: BufWriter<File>,
    len: u64,
}

impl DeadLetterFile {
    /// Opens the file, cutting off what was written after the last commit
    /// (those records are read again from the sources' cursors).
    pub(crate) fn open(data_dir: &Path, committed_len: u64) -> std::io::Result<Self> {
        let path = data_dir.join(DEADLETTER_FILE);
        let mut options = OpenOptions::new();
        options.create(true).read(true).append(true);
        // Dead letters hold every workspace's raw input: readable by the owner only.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // A file made by an older veille kept the umask's mode (0644).
            if file.metadata()?.permissions().mode() & 0o077 != 0 {
                file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            }
        }
        let mut len = file.metadata()?.len();
        if len > committed_len {
            file.set_len(committed_len)?;
            tracing::info!(path = %path.display(), dropped_bytes = len - committed_len, "dead letters after the last commit will be read again");
            len = committed_len;
        } else if len < committed_len {
            tracing::warn!(path = %path.display(), len, committed_len, "dead-letter file is shorter than the last commit says: was it rotated?");
        }
        Ok(DeadLetterFile { path, out: BufWriter::new(file), len })
    }

    pub(crate) fn append(&mut self, dead: &DeadLetter) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(dead).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.out.write_all(&line)?;
        self.len += line.len() as u64;
        Ok(())
    }

    /// Flushes and syncs; returns the durable length.
    pub(crate) fn sync(&mut self) -> std::io::Result<u64> {
        self.out.flush()?;
        self.out.get_ref().sync_data()?;
        Ok(self.len)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn the_dead_letter_file_is_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        // One made by an older veille, world-readable.
        let path = dir.path().join(DEADLETTER_FILE);
        std::fs::write(&path, b"").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let file = DeadLetterFile::open(dir.path(), 0).unwrap();
        assert_eq!(std::fs::metadata(file.path()).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::remove_file(&path).unwrap();
        let file = DeadLetterFile::open(dir.path(), 0).unwrap();
        assert_eq!(std::fs::metadata(file.path()).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
