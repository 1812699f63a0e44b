//! Why the key store failed.

use std::path::PathBuf;

/// Why a key-store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The key file (or its directory) could not be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file is not what veille writes.
    #[error("key file {path} is unreadable: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Hashing a new key failed.
    #[error("cannot hash the key: {0}")]
    Hash(String),
    /// No key has this id.
    #[error("no key with id `{0}` (see `veille keys list`)")]
    NoSuchKey(String),
    /// The key is already revoked.
    #[error("key `{0}` is already revoked")]
    AlreadyRevoked(String),
    /// A provisioned key does not have the shape of a veille key.
    #[error("the provisioned admin key is not a veille API key: expected vk_ then 12 and 64 lower-case hex digits")]
    MalformedKey,
    /// A key name is empty or too long.
    #[error("key name `{0}` must be 1 to 64 printable characters")]
    BadName(String),
}

impl AuthError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> AuthError + '_ {
        move |source| AuthError::Io { path: path.to_path_buf(), source }
    }
}
