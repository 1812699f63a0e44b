//! API keys for veille: who may call the API, for what, in which workspaces.
//!
//! # Model
//!
//! A key is `vk_<id>_<secret>`: a 12-hex-digit public id (safe to log and list) and a
//! 64-hex-digit random secret. Each key has one [`Role`] and a [`Scope`] of workspaces:
//!
//! | role | may |
//! |---|---|
//! | `admin` | everything: configuration and keys, plus all the below |
//! | `analyst` | read (search, mentions, aggregations, key nodes, alerts, live stream), export, acknowledge alerts |
//! | `ingest` | push mentions through the ingest webhook, nothing else |
//!
//! A scope is a list of workspace names or `*` (every workspace).
//!
//! # Storage and verification
//!
//! Keys live in `<data dir>/keys.json` (mode 0600), which holds only argon2id hashes of
//! the whole keys, never the secrets. The file is replaced atomically (temporary file,
//! fsync, rename, fsync of the directory). A serving process notices changes made by
//! `veille keys create|revoke` within a second.
//!
//! argon2 is slow on purpose, so a key is hashed once: after one successful verification
//! the SHA-256 of the whole key is kept in memory and later requests compare against it in
//! constant time. Revoking or reloading forgets every cached verification. Unknown ids,
//! malformed keys, wrong secrets for an already verified id and wrong secrets already refused
//! are refused without hashing. Failed verifications are rate limited per client address (a
//! client over the limit waits, `429`, before its next first-time verification), so guessing
//! cannot exhaust the CPU, and guessing at a key's public id never locks its owner out.
//! Concurrent first requests with one key hash it once.
//!
//! Every refusal is a [`Denial`] with a [`DenialReason`]; [`Denial::record`] counts it in
//! `veille_api_denied_total{reason}` and logs a structured warning. [`RateLimiter`] keeps
//! one token bucket per key.
//!
//! # Example
//!
//! ```
//! use veille_auth::{Action, DenialReason, KeyStore, NewKey, Role};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = KeyStore::open(dir.path()).unwrap();
//! assert!(!store.is_enforcing()); // no key yet: a fresh install
//!
//! let admin = store.ensure_admin().unwrap().expect("first start creates an admin key");
//! let analyst = store
//!     .create(NewKey { name: "acme team".into(), role: Role::Analyst, scope: "acme".parse().unwrap() })
//!     .unwrap();
//! assert!(store.is_enforcing());
//!
//! let who = store.authenticate(analyst.token.reveal()).unwrap();
//! assert!(who.authorize(Action::Read, "acme").is_ok());
//! assert_eq!(who.authorize(Action::Read, "globex").unwrap_err().reason, DenialReason::Workspace);
//! assert_eq!(who.authorize(Action::Ingest, "acme").unwrap_err().reason, DenialReason::Role);
//!
//! store.revoke(&analyst.info.id).unwrap();
//! let refused = store.authenticate(analyst.token.reveal()).unwrap_err();
//! assert_eq!(refused.reason, DenialReason::RevokedKey);
//! assert!(store.authenticate(admin.token.reveal()).is_ok());
//! ```

mod denial;
mod error;
mod file;
mod rate;
mod role;
mod scope;
mod store;
mod token;

pub use denial::{denied_count, Denial, DenialReason};
pub use error::AuthError;
pub use rate::{RateLimit, RateLimiter};
pub use role::{Action, Role, UnknownRole};
pub use scope::{Scope, ScopeError};
pub use store::{CreatedKey, KeyInfo, KeyStore, NewKey, Principal, KEY_FILE, LOCAL_CLIENT};
pub use token::Token;
