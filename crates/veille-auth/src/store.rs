//! The key store: keys on disk, verified keys in memory.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;

use crate::denial::{Denial, DenialReason};
use crate::error::AuthError;
use crate::file::{self, Stamp, StoredKey};
use crate::rate::{RateLimit, RateLimiter};
use crate::role::{Action, Role};
use crate::scope::Scope;
use crate::token::Token;

/// Name of the key file inside the data directory.
pub const KEY_FILE: &str = "keys.json";

/// How often a serving process looks for changes made to the key file by `veille keys`.
const REFRESH_EVERY: Duration = Duration::from_secs(1);

/// Failed verifications allowed per client address before its further first-time
/// verifications wait (429), so that guessing cannot turn argon2 into a denial of service.
/// Counted per client, not per key: whoever guesses at a key id slows only themselves, never
/// the key's owner.
const FAILURES: RateLimit = RateLimit { per_second: 1.0, burst: 10 };

/// Wrong secrets remembered per key id, refused again without hashing.
const REMEMBERED_FAILURES: usize = 64;

/// The client of a verification when the caller does not say (a local tool, a test).
pub const LOCAL_CLIENT: &str = "local";

/// A key as listed: everything but its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Public id (the part after `vk_`).
    pub id: String,
    /// A name for people: who or what uses the key.
    pub name: String,
    /// What the key may do.
    pub role: Role,
    /// Which workspaces it reaches.
    pub scope: Scope,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    /// A name for people (1 to 64 printable characters).
    pub name: String,
    /// What the key may do.
    pub role: Role,
    /// Which workspaces it reaches.
    pub scope: Scope,
}

/// A key just created: the only moment its secret is known.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    /// The key as listed.
    pub info: KeyInfo,
    /// The whole key, to hand to its user once.
    pub token: Token,
}

/// The verified identity behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The key's public id.
    pub key_id: String,
    /// The key's name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Which workspaces it reaches.
    pub scope: Scope,
}

impl Principal {
    /// Whether this key's role may take `action` at all (in some workspace of its scope).
    pub fn may(&self, action: Action) -> Result<(), Denial> {
        if self.role.allows(action) {
            Ok(())
        } else {
            Err(Denial::new(DenialReason::Role, format!("a key with role `{}` may not {action}", self.role))
                .for_key(&self.key_id))
        }
    }

    /// Whether this key may take `action` in `workspace`; the denial names what is missing.
    pub fn authorize(&self, action: Action, workspace: &str) -> Result<(), Denial> {
        self.may(action)?;
        if !self.scope.contains(workspace) {
            return Err(Denial::new(
                DenialReason::Workspace,
                format!("this key does not reach workspace `{workspace}`"),
            )
            .for_key(&self.key_id));
        }
        Ok(())
    }
}

struct Loaded {
    keys: BTreeMap<String, StoredKey>,
    stamp: Option<Stamp>,
    checked: Instant,
}

struct Inner {
    path: PathBuf,
    loaded: RwLock<Loaded>,
    /// Key id to the SHA-256 of the whole key, once argon2 verified it.
    verified: Mutex<HashMap<String, [u8; 32]>>,
    /// Key id to the SHA-256 of wrong keys presented for it, refused without hashing again.
    rejected: Mutex<HashMap<String, Vec<[u8; 32]>>>,
    /// One lock per key id being verified, so that concurrent first requests with the same
    /// key hash it once: the others wait, then find it verified.
    verifying: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// Failed verifications per client address.
    failures: RateLimiter,
    writing: Mutex<()>,
}

/// API keys stored hashed in `<data dir>/keys.json`. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct KeyStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

fn info(k: &StoredKey) -> KeyInfo {
    KeyInfo {
        id: k.id.clone(),
        name: k.name.clone(),
        role: k.role,
        scope: k.workspaces.clone(),
        created_at: k.created_at,
        revoked_at: k.revoked_at,
    }
}

fn principal(k: &StoredKey) -> Principal {
    Principal { key_id: k.id.clone(), name: k.name.clone(), role: k.role, scope: k.workspaces.clone() }
}

fn by_id(keys: Vec<StoredKey>) -> BTreeMap<String, StoredKey> {
    keys.into_iter().map(|k| (k.id.clone(), k)).collect()
}

impl KeyStore {
    /// Opens the key store of `data_dir` (the file need not exist yet).
    pub fn open(data_dir: &Path) -> Result<KeyStore, AuthError> {
        KeyStore::open_file(&data_dir.join(KEY_FILE))
    }

    /// Opens the key store kept in `path`.
    pub fn open_file(path: &Path) -> Result<KeyStore, AuthError> {
        let stamp = file::stamp(path);
        let keys = by_id(file::read(path)?);
        Ok(KeyStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                loaded: RwLock::new(Loaded { keys, stamp, checked: Instant::now() }),
                verified: Mutex::new(HashMap::new()),
                rejected: Mutex::new(HashMap::new()),
                verifying: Mutex::new(HashMap::new()),
                failures: RateLimiter::new(FAILURES),
                writing: Mutex::new(()),
            }),
        })
    }

    /// The key file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Whether any key was ever created (revoked ones count): from then on every request needs one.
    pub fn is_enforcing(&self) -> bool {
        self.refresh();
        !self.read_loaded().keys.is_empty()
    }

    /// Every key, revoked ones included, oldest first.
    pub fn list(&self) -> Result<Vec<KeyInfo>, AuthError> {
        self.reload()?;
        let mut keys: Vec<KeyInfo> = self.read_loaded().keys.values().map(info).collect();
        keys.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(keys)
    }

    /// Creates a key and stores its hash; the returned token is the only copy of the secret.
    pub fn create(&self, new: NewKey) -> Result<CreatedKey, AuthError> {
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(AuthError::BadName(new.name));
        }
        let token = Token::generate();
        let stored = StoredKey {
            id: token.id().to_string(),
            name: name.to_string(),
            role: new.role,
            workspaces: new.scope,
            hash: token.hash()?,
            created_at: Utc::now(),
            revoked_at: None,
        };
        let created = CreatedKey { info: info(&stored), token };
        self.update(|keys| {
            keys.push(stored);
            Ok(())
        })?;
        tracing::info!(key = %created.info.id, role = %created.info.role, workspaces = %created.info.scope, "API key created");
        Ok(created)
    }

    /// Revokes the key `id`: from now on (within a second in other processes) it opens nothing.
    pub fn revoke(&self, id: &str) -> Result<KeyInfo, AuthError> {
        let mut revoked = None;
        self.update(|keys| {
            let key = keys.iter_mut().find(|k| k.id == id).ok_or_else(|| AuthError::NoSuchKey(id.to_string()))?;
            if key.revoked_at.is_some() {
                return Err(AuthError::AlreadyRevoked(id.to_string()));
            }
            key.revoked_at = Some(Utc::now());
            revoked = Some(info(key));
            Ok(())
        })?;
        tracing::info!(key = %id, "API key revoked");
        revoked.ok_or_else(|| AuthError::NoSuchKey(id.to_string()))
    }

    /// Creates an admin key for every workspace when the store has no key at all (a fresh
    /// install); returns it so the caller can show it once. `None` when keys exist.
    pub fn ensure_admin(&self) -> Result<Option<CreatedKey>, AuthError> {
        let token = Token::generate();
        let stored = self.first_admin(&token, "initial admin")?;
        if let Some(info) = &stored {
            tracing::info!(key = %info.id, "initial admin key created");
        }
        Ok(stored.map(|info| CreatedKey { info, token }))
    }

    /// Like [`KeyStore::ensure_admin`], with a key chosen by the operator (e.g. from a secret
    /// store, `VEILLE_ADMIN_KEY`) instead of a random one. `None` when keys exist.
    pub fn ensure_admin_from(&self, key: &str) -> Result<Option<KeyInfo>, AuthError> {
        let token = Token::parse(key.trim()).ok_or(AuthError::MalformedKey)?;
        let stored = self.first_admin(&token, "provisioned admin")?;
        if let Some(info) = &stored {
            tracing::info!(key = %info.id, "provisioned admin key stored");
        }
        Ok(stored)
    }

    /// Stores `token` as an admin key for every workspace if the store holds no key yet, even
    /// when another process sharing the data directory races to do the same; `None` otherwise.
    fn first_admin(&self, token: &Token, name: &str) -> Result<Option<KeyInfo>, AuthError> {
        self.reload()?;
        if !self.read_loaded().keys.is_empty() {
            return Ok(None);
        }
        let stored = StoredKey {
            id: token.id().to_string(),
            name: name.into(),
            role: Role::Admin,
            workspaces: Scope::all(),
            hash: token.hash()?,
            created_at: Utc::now(),
            revoked_at: None,
        };
        let created = info(&stored);
        let mut first = false;
        self.update(|keys| {
            first = keys.is_empty();
            if first {
                keys.push(stored);
            }
            Ok(())
        })?;
        Ok(first.then_some(created))
    }

    /// Re-reads the key file and forgets every cached verification.
    pub fn reload(&self) -> Result<(), AuthError> {
        let stamp = file::stamp(&self.inner.path);
        let keys = by_id(file::read(&self.inner.path)?);
        self.replace(keys, stamp);
        Ok(())
    }

    /// Verifies `presented` when that needs no argon2 hashing: a malformed, unknown or revoked
    /// key, one verified before, or a wrong secret already refused. `None` when
    /// [`KeyStore::authenticate`] must hash it.
    pub fn authenticate_cached(&self, presented: &str) -> Option<Result<Principal, Denial>> {
        self.refresh();
        let Some(token) = Token::parse(presented.trim()) else {
            return Some(Err(Denial::new(DenialReason::MalformedKey, "the key is not a veille API key (vk_…)")));
        };
        if !self.read_loaded().keys.contains_key(token.id()) {
            // Perhaps a key created a moment ago by `veille keys create`: look at the file now
            // rather than up to a second later (a stat; the file is read only if it changed).
            self.refresh_now();
        }
        let loaded = self.read_loaded();
        let invalid = || Denial::new(DenialReason::InvalidKey, "invalid API key").for_key(token.id());
        let Some(key) = loaded.keys.get(token.id()) else {
            return Some(Err(invalid()));
        };
        if key.revoked_at.is_some() {
            return Some(Err(Denial::new(DenialReason::RevokedKey, "this API key was revoked").for_key(token.id())));
        }
        let fingerprint = token.fingerprint();
        let cached = self.lock_verified().get(token.id()).copied();
        match cached {
            Some(known) if bool::from(known.ct_eq(&fingerprint)) => Some(Ok(principal(key))),
            // The cached fingerprint is the verified key's: anything else is wrong, no need to hash.
            Some(_) => Some(Err(invalid())),
            None if self.was_rejected(token.id(), &fingerprint) => Some(Err(invalid())),
            None => None,
        }
    }

    /// Verifies `presented` against the stored hashes (argon2, slow by design, on first use of
    /// a key; then from memory). Run it off async threads. The same as
    /// [`KeyStore::authenticate_from`] for a local client.
    pub fn authenticate(&self, presented: &str) -> Result<Principal, Denial> {
        self.authenticate_from(presented, LOCAL_CLIENT)
    }

    /// Verifies `presented`, sent by `client` (its network address). A client whose recent
    /// verifications failed too often must wait before its next first-time verification (a
    /// `RateLimited` denial with the time to wait); keys already verified are never held up.
    /// Concurrent verifications of one key hash it once.
    pub fn authenticate_from(&self, presented: &str, client: &str) -> Result<Principal, Denial> {
        if let Some(answer) = self.authenticate_cached(presented) {
            return answer;
        }
        let Some(token) = Token::parse(presented.trim()) else {
            return Err(Denial::new(DenialReason::MalformedKey, "the key is not a veille API key (vk_…)"));
        };
        if let Err(wait) = self.inner.failures.peek(client) {
            let mut denial = Denial::new(
                DenialReason::RateLimited,
                "too many failed key verifications from this address: wait before trying a new key",
            )
            .for_key(token.id());
            denial.retry_after = Some(wait);
            return Err(denial);
        }
        let gate = {
            let mut verifying = self.inner.verifying.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(verifying.entry(token.id().to_string()).or_default())
        };
        let answer = {
            let _turn = gate.lock().unwrap_or_else(|p| p.into_inner());
            // Another request may have verified (or refused) this very key while this one waited.
            match self.authenticate_cached(presented) {
                Some(answer) => answer,
                None => self.verify(&token, client),
            }
        };
        let mut verifying = self.inner.verifying.lock().unwrap_or_else(|p| p.into_inner());
        if Arc::strong_count(&gate) <= 2 {
            verifying.remove(token.id());
        }
        answer
    }

    /// Hashes `token` against its stored key and remembers the outcome.
    fn verify(&self, token: &Token, client: &str) -> Result<Principal, Denial> {
        let invalid = || Denial::new(DenialReason::InvalidKey, "invalid API key").for_key(token.id());
        let Some(key) = self.read_loaded().keys.get(token.id()).cloned() else {
            return Err(invalid());
        };
        if token.matches_hash(&key.hash) {
            self.lock_verified().insert(key.id.clone(), token.fingerprint());
            return Ok(principal(&key));
        }
        // Only failures cost the client; its bucket was checked before hashing.
        let _ = self.inner.failures.check(client);
        let mut rejected = self.inner.rejected.lock().unwrap_or_else(|p| p.into_inner());
        let wrong = rejected.entry(key.id.clone()).or_default();
        if wrong.len() >= REMEMBERED_FAILURES {
            wrong.remove(0);
        }
        wrong.push(token.fingerprint());
        Err(invalid())
    }

    fn was_rejected(&self, id: &str, fingerprint: &[u8; 32]) -> bool {
        let rejected = self.inner.rejected.lock().unwrap_or_else(|p| p.into_inner());
        rejected.get(id).is_some_and(|wrong| wrong.iter().any(|w| bool::from(w.ct_eq(fingerprint))))
    }

    /// Re-reads the key file when another process changed it, at most once a second.
    fn refresh(&self) {
        {
            let loaded = self.read_loaded();
            if loaded.checked.elapsed() < REFRESH_EVERY {
                return;
            }
        }
        self.refresh_now();
    }

    /// Re-reads the key file if another process changed it.
    fn refresh_now(&self) {
        let stamp = file::stamp(&self.inner.path);
        let mut loaded = self.inner.loaded.write().unwrap_or_else(|p| p.into_inner());
        loaded.checked = Instant::now();
        if stamp == loaded.stamp {
            return;
        }
        drop(loaded);
        if stamp.is_none() {
            // A key file that disappears must not open the API: keep what was loaded.
            tracing::error!(path = %self.inner.path.display(), "the key file disappeared; keeping the keys loaded");
            return;
        }
        match file::read(&self.inner.path) {
            Ok(keys) => self.replace(by_id(keys), stamp),
            Err(e) => tracing::error!(error = %e, "cannot reload the key file; keeping the keys loaded"),
        }
    }

    fn replace(&self, keys: BTreeMap<String, StoredKey>, stamp: Option<Stamp>) {
        let mut loaded = self.inner.loaded.write().unwrap_or_else(|p| p.into_inner());
        *loaded = Loaded { keys, stamp, checked: Instant::now() };
        self.lock_verified().clear();
        self.inner.rejected.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Applies `change` to the keys on disk (re-read first, so changes by other processes stay).
    fn update(&self, change: impl FnOnce(&mut Vec<StoredKey>) -> Result<(), AuthError>) -> Result<(), AuthError> {
        let _writing = self.inner.writing.lock().unwrap_or_else(|p| p.into_inner());
        let _other_processes = file::lock(&self.inner.path)?;
        let mut keys = file::read(&self.inner.path)?;
        change(&mut keys)?;
        file::write(&self.inner.path, &keys)?;
        self.replace(by_id(keys), file::stamp(&self.inner.path));
        Ok(())
    }

    fn read_loaded(&self) -> std::sync::RwLockReadGuard<'_, Loaded> {
        self.inner.loaded.read().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_verified(&self) -> std::sync::MutexGuard<'_, HashMap<String, [u8; 32]>> {
        self.inner.verified.lock().unwrap_or_else(|p| p.into_inner())
    }
}
