use std::path::PathBuf;

/// Why sentiment data could not be loaded, trained on or evaluated.
#[derive(Debug, thiserror::Error)]
pub enum SentimentError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A lexicon line is malformed.
    #[error("lexicon {name}, line {line}: {reason}")]
    Lexicon {
        /// Which lexicon.
        name: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A line of a labels file is not 0, 1 or 2.
    #[error("{}:{line}: {reason}", path.display())]
    Label {
        /// The labels file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Texts and labels do not pair up.
    #[error("{texts} texts but {labels} labels")]
    LengthMismatch {
        /// Number of texts.
        texts: usize,
        /// Number of labels.
        labels: usize,
    },
    /// The airline CSV is unreadable or lacks a column.
    #[error("{}: {reason}", path.display())]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A model file is not a valid sentiment model.
    #[error("model {}: {reason}", path.display())]
    Model {
        /// The model file (`<memory>` for bytes not read from a file).
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Training cannot start from the given examples or options.
    #[error("cannot train: {0}")]
    Training(String),
    /// No VADER lexicon exists for the language.
    #[error("no VADER lexicon for language `{0}` (available: en, fr)")]
    UnsupportedLanguage(String),
    /// The `[sentiment]` configuration asks for something impossible.
    #[error("sentiment.{key}: {reason}")]
    Config {
        /// Dotted key under `[sentiment]`.
        key: String,
        /// What is wrong.
        reason: String,
    },
}
