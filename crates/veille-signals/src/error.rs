use std::path::PathBuf;

/// Why signals could not be set up or an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A `[signals]` setting is out of range.
    #[error("signals.{key}: {reason}")]
    Config {
        /// Dotted key under `signals`, e.g. `detector.threshold`.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A row of a NAB data file is malformed.
    #[error("{path} line {line}: {reason}")]
    Data {
        /// The data file.
        path: PathBuf,
        /// 1-based line number (the header is line 1).
        line: u64,
        /// What is wrong with the row.
        reason: String,
    },
    /// The label-window file is not NAB's `{file: [[start, end], ...]}` JSON.
    #[error("{path}: {reason}")]
    Windows {
        /// The windows file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A data file has no entry in the label-window file.
    #[error("no label windows for `{file}` in {windows}")]
    MissingWindows {
        /// The data file name.
        file: String,
        /// The windows file.
        windows: PathBuf,
    },
    /// A label window starts or ends at a time that is not a row of its file
    /// (NAB requires window limits to be timestamps of the data).
    #[error("{file}: label window limit {timestamp} is not a timestamp of the data")]
    WindowLimit {
        /// The data file name.
        file: String,
        /// The limit that matched no row.
        timestamp: String,
    },
    /// The data directory holds no CSV file.
    #[error("no CSV data file in {0}")]
    NoData(PathBuf),
    /// A results file could not be written.
    #[error("{path}: {reason}")]
    Results {
        /// The results file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}
