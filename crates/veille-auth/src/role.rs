//! Roles and the actions each one may take.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including configuration and keys.
    Admin,
    /// Reads mentions, aggregations, key nodes and alerts; exports; acknowledges alerts.
    Analyst,
    /// Pushes mentions through the ingest webhook, nothing else.
    Ingest,
}

/// What a request wants to do, as far as roles are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read data: search, mentions, aggregations, key nodes, alerts, metrics, the live stream.
    Read,
    /// Export data in bulk.
    Export,
    /// Acknowledge an alert.
    Acknowledge,
    /// Push mentions (the ingest webhook).
    Ingest,
    /// Change configuration or keys.
    Administer,
}

impl Role {
    /// Every role, in order of decreasing power.
    pub const ALL: [Role; 3] = [Role::Admin, Role::Analyst, Role::Ingest];

    /// Whether this role may take `action`.
    pub fn allows(self, action: Action) -> bool {
        match self {
            Role::Admin => true,
            Role::Analyst => matches!(action, Action::Read | Action::Export | Action::Acknowledge),
            Role::Ingest => action == Action::Ingest,
        }
    }

    /// The role's name: `admin`, `analyst` or `ingest`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Ingest => "ingest",
        }
    }
}

impl Action {
    /// The action's name, as shown in denials.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Export => "export",
            Action::Acknowledge => "acknowledge alerts",
            Action::Ingest => "ingest",
            Action::Administer => "administer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A role name that is none of `admin`, `analyst`, `ingest`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`: expected admin, analyst or ingest")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| UnknownRole(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_may_do_everything_analyst_reads_exports_and_acks_ingest_only_pushes() {
        use Action::*;
        for action in [Read, Export, Acknowledge, Ingest, Administer] {
            assert!(Role::Admin.allows(action), "{action}");
        }
        assert!(Role::Analyst.allows(Read) && Role::Analyst.allows(Export) && Role::Analyst.allows(Acknowledge));
        assert!(!Role::Analyst.allows(Ingest) && !Role::Analyst.allows(Administer));
        assert!(Role::Ingest.allows(Ingest));
        for action in [Read, Export, Acknowledge, Administer] {
            assert!(!Role::Ingest.allows(action), "{action}");
        }
    }

    #[test]
    fn roles_parse_from_their_names_only() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert_eq!("Admin".parse::<Role>(), Err(UnknownRole("Admin".into())));
    }
}
