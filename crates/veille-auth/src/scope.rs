//! The workspaces a key may reach.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The workspaces a key may reach: some by name, or all (`*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Scope(ScopeInner);

#[derive(Debug, Clone, PartialEq, Eq)]
enum ScopeInner {
    All,
    Only(BTreeSet<String>),
}

/// A scope that names no workspace, or a malformed workspace name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// No workspace was named.
    #[error("a key needs at least one workspace (or `*` for all)")]
    Empty,
    /// A name is not a workspace name.
    #[error("`{0}` is not a workspace name: expected 1 to 64 characters of a-z, 0-9, - and _, or `*`")]
    BadName(String),
}

impl Scope {
    /// Every workspace, present and future.
    pub fn all() -> Scope {
        Scope(ScopeInner::All)
    }

    /// Exactly the workspaces named (`*` among them means all).
    pub fn of<I, S>(names: I) -> Result<Scope, ScopeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = BTreeSet::new();
        for name in names {
            let name = name.as_ref().trim();
            if name == "*" {
                return Ok(Scope::all());
            }
            if !veille_model::WorkspaceName::is_valid(name) {
                return Err(ScopeError::BadName(name.to_string()));
            }
            set.insert(name.to_string());
        }
        if set.is_empty() {
            return Err(ScopeError::Empty);
        }
        Ok(Scope(ScopeInner::Only(set)))
    }

    /// Whether `workspace` is within the scope.
    pub fn contains(&self, workspace: &str) -> bool {
        match &self.0 {
            ScopeInner::All => true,
            ScopeInner::Only(set) => set.contains(workspace),
        }
    }

    /// Whether the scope is every workspace.
    pub fn is_all(&self) -> bool {
        self.0 == ScopeInner::All
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    /// Parses `*` or a comma-separated list of workspace names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::of(s.split(',').filter(|p| !p.trim().is_empty()))
    }
}

impl TryFrom<Vec<String>> for Scope {
    type Error = ScopeError;

    fn try_from(names: Vec<String>) -> Result<Self, Self::Error> {
        Scope::of(names)
    }
}

impl From<Scope> for Vec<String> {
    fn from(scope: Scope) -> Self {
        match scope.0 {
            ScopeInner::All => vec!["*".to_string()],
            ScopeInner::Only(set) => set.into_iter().collect(),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            ScopeInner::All => f.pad("*"),
            ScopeInner::Only(set) => {
                let names: Vec<&str> = set.iter().map(String::as_str).collect();
                f.pad(&names.join(","))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_reaches_the_workspaces_it_names_and_no_other() {
        let s: Scope = "acme,globex".parse().unwrap();
        assert!(s.contains("acme") && s.contains("globex"));
        assert!(!s.contains("initech") && !s.contains("") && !s.contains("*"));
        assert_eq!(s.to_string(), "acme,globex");
    }

    #[test]
    fn star_reaches_every_workspace() {
        let s: Scope = "*".parse().unwrap();
        assert!(s.is_all() && s.contains("anything"));
        assert_eq!(Vec::<String>::from(s), vec!["*"]);
    }

    #[test]
    fn empty_or_malformed_scopes_are_refused() {
        assert_eq!("".parse::<Scope>(), Err(ScopeError::Empty));
        assert_eq!(" , ".parse::<Scope>(), Err(ScopeError::Empty));
        assert_eq!("Acme".parse::<Scope>(), Err(ScopeError::BadName("Acme".into())));
        assert_eq!("a b".parse::<Scope>(), Err(ScopeError::BadName("a b".into())));
    }

    #[test]
    fn scopes_round_trip_through_json() {
        let s: Scope = "b,a".parse().unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"["a","b"]"#);
        assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), s);
        assert!(serde_json::from_str::<Scope>("[]").is_err());
    }
}
