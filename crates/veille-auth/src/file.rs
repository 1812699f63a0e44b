//! The key file: JSON, written atomically (temporary file, fsync, rename, fsync of the directory).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::AuthError;
use crate::role::Role;
use crate::scope::Scope;

/// The format version written; older readers refuse newer files instead of misreading them.
const VERSION: u32 = 1;

/// One key as stored: everything but the secret, which only its hash stands for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredKey {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub workspaces: Scope,
    /// argon2id PHC string.
    pub hash: String,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    version: u32,
    keys: Vec<StoredKey>,
}

/// What identifies one version of the file on disk, to notice changes made by another process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    modified: Option<std::time::SystemTime>,
    len: u64,
    inode: u64,
}

pub(crate) fn stamp(path: &Path) -> Option<Stamp> {
    let meta = fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stamp { modified: meta.modified().ok(), len: meta.len(), inode })
}

/// The keys in `path`; none when the file does not exist.
pub(crate) fn read(path: &Path) -> Result<Vec<StoredKey>, AuthError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(AuthError::io(path)(e)),
    };
    let corrupt = |message: String| AuthError::Corrupt { path: path.to_path_buf(), message };
    let file: KeyFile = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    if file.version != VERSION {
        return Err(corrupt(format!("format version {} (this veille reads {VERSION})", file.version)));
    }
    Ok(file.keys)
}

/// Options that create a file readable and writable by its owner only.
fn owner_only(truncate: bool) -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(truncate);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Takes the exclusive lock that serialises changes to the key file at `path` across
/// processes (several processors may share one data directory); released when dropped.
pub(crate) fn lock(path: &Path) -> Result<File, AuthError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(AuthError::io(dir))?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("keys.json");
    let lock_path = dir.join(format!(".{file_name}.lock"));
    let lock = owner_only(false).open(&lock_path).map_err(AuthError::io(&lock_path))?;
    lock.lock().map_err(AuthError::io(&lock_path))?;
    Ok(lock)
}

/// Replaces `path` with `keys`, so that a crash leaves either the old file or the new one.
pub(crate) fn write(path: &Path, keys: &[StoredKey]) -> Result<(), AuthError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(AuthError::io(dir))?;
    let body = serde_json::to_vec_pretty(&KeyFile { version: VERSION, keys: keys.to_vec() })
        .map_err(|e| AuthError::Corrupt { path: path.to_path_buf(), message: e.to_string() })?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("keys.json");
    let tmp = dir.join(format!(".{file_name}.tmp"));
    let mut f = owner_only(true).open(&tmp).map_err(AuthError::io(&tmp))?;
    f.write_all(&body).and_then(|()| f.write_all(b"\n")).and_then(|()| f.sync_all()).map_err(AuthError::io(&tmp))?;
    drop(f);
    fs::rename(&tmp, path).map_err(AuthError::io(path))?;
    // The rename is durable only once the directory entry is.
    File::open(dir).and_then(|d| d.sync_all()).map_err(AuthError::io(dir))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> StoredKey {
        StoredKey {
            id: id.into(),
            name: "n".into(),
            role: Role::Analyst,
            workspaces: "a".parse().unwrap(),
            hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            created_at: Utc::now(),
            revoked_at: None,
        }
    }

    #[test]
    fn written_keys_read_back_and_no_temporary_file_remains() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        assert!(read(&path).unwrap().is_empty());
        let keys = vec![key("1"), key("2")];
        write(&path, &keys).unwrap();
        assert_eq!(read(&path).unwrap(), keys);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("keys.json")]);
    }

    #[test]
    fn concurrent_writers_take_turns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        std::thread::scope(|s| {
            for t in 0..4 {
                let path = &path;
                s.spawn(move || {
                    for i in 0..10 {
                        let _lock = lock(path).unwrap();
                        let mut keys = read(path).unwrap();
                        keys.push(key(&format!("{t}-{i}")));
                        write(path, &keys).unwrap();
                    }
                });
            }
        });
        assert_eq!(read(&path).unwrap().len(), 40, "no change is lost and no writer fails");
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        write(&path, &[key("1")]).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn a_damaged_or_newer_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        fs::write(&path, "{not json").unwrap();
        let e = read(&path).unwrap_err();
        assert!(e.to_string().contains("keys.json"), "{e}");
        fs::write(&path, r#"{"version": 9, "keys": []}"#).unwrap();
        assert!(read(&path).unwrap_err().to_string().contains("version 9"));
    }
}
