//! Why a test file or a configuration could not be read.

use std::path::PathBuf;

/// Errors that stop a test file from running (a failing case is not an error).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed, a key is unknown or a value has the wrong type.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What is wrong, naming the key.
        message: String,
    },
    /// A value parsed but does not make sense.
    #[error("{}:{line}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the case or key.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The configuration under test does not load.
    #[error(transparent)]
    Config(#[from] veille_config::ConfigError),
    /// Its watches do not compile.
    #[error("{}: {source}", path.display())]
    Watches {
        /// The configuration file.
        path: PathBuf,
        /// The matcher's error.
        source: Box<veille_match::MatchError>,
    },
    /// Its signals settings are refused.
    #[error("{}: [signals]: {source}", path.display())]
    Signals {
        /// The configuration file.
        path: PathBuf,
        /// The signals' error.
        source: veille_signals::Error,
    },
    /// A test file names no configuration and none was given.
    #[error("{}: no configuration to test: add `config = \"FILE\"` at the top or pass --config", path.display())]
    NoConfig {
        /// The test file.
        path: PathBuf,
    },
}
