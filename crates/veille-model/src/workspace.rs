//! Workspace names: the one rule every layer checks them by.

use std::fmt;
use std::str::FromStr;

use crate::limits::MAX_WORKSPACE_BYTES;

/// A workspace name that passed the rule: 1 to 64 bytes of `a-z`, `0-9`, `-` and `_`.
///
/// Configuration, API keys, query parameters and mentions all check names through
/// [`WorkspaceName::parse`], so a name one layer accepts is never refused by another.
///
/// ```
/// use veille_model::WorkspaceName;
/// assert_eq!(WorkspaceName::parse("acme-team").unwrap().as_str(), "acme-team");
/// assert!(WorkspaceName::parse("Acme").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkspaceName(String);

/// Why a workspace name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a workspace name: expected 1 to {MAX_WORKSPACE_BYTES} characters of a-z, 0-9, `-` and `_`")]
pub struct WorkspaceNameError {
    /// The refused name.
    pub name: String,
}

impl WorkspaceName {
    /// Checks `name` against the rule.
    pub fn parse(name: &str) -> Result<WorkspaceName, WorkspaceNameError> {
        if Self::is_valid(name) {
            Ok(WorkspaceName(name.to_string()))
        } else {
            Err(WorkspaceNameError { name: name.to_string() })
        }
    }

    /// Whether `name` follows the rule.
    pub fn is_valid(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= MAX_WORKSPACE_BYTES
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl FromStr for WorkspaceName {
    type Err = WorkspaceNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for WorkspaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for WorkspaceName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_rule() {
        for good in ["default", "acme-team", "a", "x_1", &"a".repeat(64)] {
            assert!(WorkspaceName::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "Acme", "acme team", "é", "a/b", &"a".repeat(65)] {
            let e = WorkspaceName::parse(bad).unwrap_err();
            assert!(e.to_string().contains("a-z, 0-9"), "{bad}: {e}");
        }
    }

    proptest! {
        #[test]
        fn parse_accepts_exactly_the_names_of_the_rule(name in "[a-zA-Z0-9_ /-]{0,70}") {
            let ok = !name.is_empty() && name.len() <= 64
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            prop_assert_eq!(WorkspaceName::parse(&name).is_ok(), ok);
        }
    }
}
