use std::fmt;

/// A mention that parsed but breaks a rule: names the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {reason}")]
pub struct ValidationError {
    /// Dotted path of the field at fault, e.g. `author.handle`.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ValidationError {
    pub(crate) fn new(field: &str, reason: impl Into<String>) -> Self {
        ValidationError { field: field.to_string(), reason: reason.into() }
    }
}

/// Why a mention could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct MentionError {
    /// 1-based line number in NDJSON input, when known.
    pub line: Option<u64>,
    /// Dotted path of the field at fault; empty for a syntax error.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for MentionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if self.field.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "field `{}`: {}", self.field, self.reason)
        }
    }
}

impl From<ValidationError> for MentionError {
    fn from(e: ValidationError) -> Self {
        MentionError { line: None, field: e.field, reason: e.reason }
    }
}
