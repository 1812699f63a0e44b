//! Errors of the matcher.

use std::io;

use veille_model::{MentionError, WatchKind};

/// Why watches could not be compiled. Every variant names the workspace and,
/// where it applies, the watch.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    /// A rule does not parse or names something impossible.
    #[error("workspace `{workspace}`, watch `{watch}`: rule error at character {position}: {message}")]
    Rule {
        /// The workspace.
        workspace: String,
        /// The watch holding the rule.
        watch: String,
        /// 1-based position of the character at fault, counted in characters.
        position: usize,
        /// What is wrong.
        message: String,
    },
    /// A configured term cannot be matched.
    #[error("workspace `{workspace}`, watch `{watch}`: {field} entry `{term}` {reason}")]
    Term {
        /// The workspace.
        workspace: String,
        /// The watch.
        watch: String,
        /// The list holding the term (`terms`, `handles`, `exclude`, a lexicon name, ...).
        field: String,
        /// The term as configured.
        term: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A watch has no terms and its rule names none, so it would match everything or nothing.
    #[error("workspace `{workspace}`, watch `{watch}`: has no terms and its rule does not require one; add terms or a term to the rule")]
    NothingToFind {
        /// The workspace.
        workspace: String,
        /// The watch.
        watch: String,
    },
    /// A lexicon was given to a watch of another kind.
    #[error("workspace `{workspace}`, watch `{watch}`: lexicon `{lexicon}` belongs to {} watches, not to a {} watch", expected.as_str(), kind.as_str())]
    LexiconKind {
        /// The workspace.
        workspace: String,
        /// The watch.
        watch: String,
        /// The lexicon's name.
        lexicon: String,
        /// The kind of watch the lexicon is for.
        expected: WatchKind,
        /// The kind of the watch it was given to.
        kind: WatchKind,
    },
    /// `until` is not after `from`.
    #[error("workspace `{workspace}`, watch `{watch}`: `until` must be later than `from`")]
    EmptyPeriod {
        /// The workspace.
        workspace: String,
        /// The watch.
        watch: String,
    },
    /// The automaton over all terms could not be built (too many or too long terms).
    #[error("workspace `{workspace}`: cannot build the term automaton: {source}")]
    Automaton {
        /// The workspace.
        workspace: String,
        /// The automaton's error.
        source: aho_corasick::BuildError,
    },
}

/// Why an NDJSON stream could not be tagged to the end.
#[derive(Debug, thiserror::Error)]
pub enum NdjsonError {
    /// Reading the input failed.
    #[error("cannot read line {line} of the input: {source}")]
    Read {
        /// 1-based line being read.
        line: u64,
        /// The I/O error.
        source: io::Error,
    },
    /// Writing the output failed.
    #[error("cannot write the mention of input line {line}: {source}")]
    Write {
        /// 1-based input line whose output failed.
        line: u64,
        /// The I/O error.
        source: io::Error,
    },
}

/// An input line that is not a valid mention, handed to the caller so it can
/// dead-letter it; tagging goes on with the next line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedLine {
    /// 1-based line number.
    pub line: u64,
    /// The line as read (invalid UTF-8 replaced), without its line break.
    pub text: String,
    /// Why it was refused; names the line and the field.
    pub error: MentionError,
}
