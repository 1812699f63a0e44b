//! The key store as the server and the CLI use it.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use std::time::Duration;

use veille_auth::{Action, AuthError, DenialReason, KeyStore, NewKey, Role, Scope, KEY_FILE};

fn analyst(store: &KeyStore, scope: &str) -> veille_auth::CreatedKey {
    store
        .create(NewKey { name: format!("analyst of {scope}"), role: Role::Analyst, scope: scope.parse().unwrap() })
        .unwrap()
}

#[test]
fn a_fresh_store_creates_one_admin_key_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    assert!(!store.is_enforcing());
    let admin = store.ensure_admin().unwrap().unwrap();
    assert_eq!(admin.info.role, Role::Admin);
    assert!(admin.info.scope.is_all());
    assert!(store.ensure_admin().unwrap().is_none());
    let reopened = KeyStore::open(dir.path()).unwrap();
    assert!(reopened.ensure_admin().unwrap().is_none());
    assert!(reopened.authenticate(admin.token.reveal()).is_ok());
}

#[test]
fn the_key_file_holds_hashes_never_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    let created = analyst(&store, "acme");
    let text = std::fs::read_to_string(dir.path().join(KEY_FILE)).unwrap();
    let secret = created.token.reveal().rsplit('_').next().unwrap();
    assert!(!text.contains(secret));
    assert!(text.contains("$argon2id$"));
    assert!(text.contains(&created.info.id));
}

#[test]
fn a_verified_key_is_then_answered_from_memory_and_a_wrong_secret_is_refused_there_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    let key = analyst(&store, "acme");
    assert!(store.authenticate_cached(key.token.reveal()).is_none(), "first use needs argon2");
    let who = store.authenticate(key.token.reveal()).unwrap();
    assert_eq!((who.role, who.key_id.as_str()), (Role::Analyst, key.info.id.as_str()));
    assert_eq!(store.authenticate_cached(key.token.reveal()), Some(Ok(who)));

    let mut wrong = key.token.reveal().to_string();
    let last = if wrong.ends_with('a') { "b" } else { "a" };
    wrong.replace_range(wrong.len() - 1.., last);
    let refused = store.authenticate_cached(&wrong).expect("refused without hashing").unwrap_err();
    assert_eq!(refused.reason, DenialReason::InvalidKey);
    assert_eq!(refused.key_id.as_deref(), Some(key.info.id.as_str()));
}

#[test]
fn a_wrong_secret_is_refused_by_argon2_before_any_success() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    let key = analyst(&store, "acme");
    let wrong = format!("vk_{}_{}", key.info.id, "0".repeat(64));
    assert_eq!(store.authenticate(&wrong).unwrap_err().reason, DenialReason::InvalidKey);
    assert!(store.authenticate(key.token.reveal()).is_ok());
}

#[test]
fn guessing_secrets_is_cut_off_before_it_costs_argon2_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    let key = analyst(&store, "acme");
    let guesses: Vec<String> = (0..20).map(|i| format!("vk_{}_{:064x}", key.info.id, i)).collect();
    let started = std::time::Instant::now();
    let answers: Vec<DenialReason> =
        guesses.iter().map(|g| store.authenticate_from(g, "203.0.113.9").unwrap_err().reason).collect();
    // A burst of 10 failures, then one a second (argon2 takes a while, so some come back).
    let allowed = 10 + started.elapsed().as_secs_f64().ceil() as usize;
    let hashed = answers.iter().filter(|r| **r == DenialReason::InvalidKey).count();
    assert!(hashed <= allowed, "only the failure burst is hashed ({allowed}), got {hashed}: {answers:?}");
    let waiting = store.authenticate_from(&guesses[19], "203.0.113.9").unwrap_err();
    assert_eq!(waiting.reason, DenialReason::RateLimited, "a guesser over the limit is told to wait (429)");
    assert!(waiting.retry_after.is_some());
    // A wrong secret already refused is refused again from memory, whoever sends it.
    assert_eq!(store.authenticate_cached(&guesses[0]).unwrap().unwrap_err().reason, DenialReason::InvalidKey);
}

#[test]
fn guessing_at_a_key_id_never_locks_its_owner_out() {
    // The probe's attack: with only the public key id, a dozen wrong secrets, then four a
    // second, kept the real key refused as "invalid" for as long as it lasted.
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    let key = analyst(&store, "acme");
    for i in 0..16 {
        let wrong = format!("vk_{}_{:064x}", key.info.id, i);
        assert!(store.authenticate_from(&wrong, "198.51.100.7").is_err());
    }
    // The owner's first request, from elsewhere, after a restart emptied the cache.
    let restarted = KeyStore::open(dir.path()).unwrap();
    for i in 0..16 {
        let wrong = format!("vk_{}_{:064x}", key.info.id, 100 + i);
        let _ = restarted.authenticate_from(&wrong, "198.51.100.7");
    }
    assert!(restarted.authenticate_from(key.token.reveal(), "192.0.2.1").is_ok());
}

#[test]
fn concurrent_first_requests_with_a_valid_key_all_pass_and_hash_it_once() {
    // The probe saw 12 to 16 of 16 concurrent first requests refused as "invalid API key".
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    let key = analyst(&store, "acme");
    let token = key.token.reveal().to_string();
    let answers: Vec<_> = std::thread::scope(|s| {
        let workers: Vec<_> =
            (0..16).map(|_| s.spawn(|| store.authenticate_from(&token, "192.0.2.1").map(|p| p.key_id))).collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for a in &answers {
        assert_eq!(a.as_deref(), Ok(key.info.id.as_str()), "{answers:?}");
    }
}

#[test]
fn malformed_and_unknown_keys_are_refused_without_hashing() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    analyst(&store, "acme");
    for (presented, reason) in [
        ("", DenialReason::MalformedKey),
        ("Bearer vk_", DenialReason::MalformedKey),
        ("vk_0123456789ab", DenialReason::MalformedKey),
        ("vk_0123456789AB_".to_string().as_str(), DenialReason::MalformedKey),
    ] {
        assert_eq!(store.authenticate_cached(presented).unwrap().unwrap_err().reason, reason, "{presented}");
    }
    let unknown = format!("vk_{}_{}", "f".repeat(12), "0".repeat(64));
    assert_eq!(store.authenticate_cached(&unknown).unwrap().unwrap_err().reason, DenialReason::InvalidKey);
}

#[test]
fn revoking_a_key_closes_it_even_after_it_was_cached() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    let key = analyst(&store, "acme");
    store.authenticate(key.token.reveal()).unwrap();
    let revoked = store.revoke(&key.info.id).unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(store.authenticate(key.token.reveal()).unwrap_err().reason, DenialReason::RevokedKey);
    assert!(matches!(store.revoke(&key.info.id), Err(AuthError::AlreadyRevoked(_))));
    assert!(matches!(store.revoke("nope"), Err(AuthError::NoSuchKey(_))));
    assert!(store.is_enforcing(), "revoked keys still count: revoking every key must not open the API");
}

#[test]
fn a_revocation_by_another_process_is_seen_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let server = KeyStore::open(dir.path()).unwrap();
    let cli = KeyStore::open(dir.path()).unwrap();
    let key = analyst(&cli, "acme");
    std::thread::sleep(Duration::from_millis(1100));
    server.authenticate(key.token.reveal()).unwrap();
    cli.revoke(&key.info.id).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(server.authenticate(key.token.reveal()).unwrap_err().reason, DenialReason::RevokedKey);
}

#[test]
fn a_deleted_key_file_does_not_open_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    let key = analyst(&store, "acme");
    std::fs::remove_file(dir.path().join(KEY_FILE)).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    assert!(store.is_enforcing());
    assert!(store.authenticate(key.token.reveal()).is_ok());
}

#[test]
fn keys_reach_only_their_workspaces_with_their_role() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    let ingest = store
        .create(NewKey { name: "webhook".into(), role: Role::Ingest, scope: Scope::of(["a", "b"]).unwrap() })
        .unwrap();
    let who = store.authenticate(ingest.token.reveal()).unwrap();
    assert!(who.authorize(Action::Ingest, "a").is_ok() && who.authorize(Action::Ingest, "b").is_ok());
    let denial = who.authorize(Action::Ingest, "c").unwrap_err();
    assert_eq!(denial.reason, DenialReason::Workspace);
    assert!(denial.message.contains("`c`"), "{}", denial.message);
    assert_eq!(who.authorize(Action::Read, "a").unwrap_err().reason, DenialReason::Role);
}

#[test]
fn keys_are_listed_oldest_first_with_their_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    let a = analyst(&store, "a");
    let b = analyst(&store, "b");
    store.revoke(&a.info.id).unwrap();
    let list = store.list().unwrap();
    assert_eq!(list.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(), vec![a.info.id.as_str(), b.info.id.as_str()]);
    assert!(list[0].revoked_at.is_some() && list[1].revoked_at.is_none());
}

#[test]
fn key_names_must_be_short_and_printable() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    for name in ["", "   ", "a\nb", &"x".repeat(65)] {
        let e = store.create(NewKey { name: name.to_string(), role: Role::Admin, scope: Scope::all() }).unwrap_err();
        assert!(matches!(e, AuthError::BadName(_)), "{name:?}: {e}");
    }
    assert!(!store.is_enforcing());
}

#[test]
fn a_damaged_key_file_is_an_error_at_open_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(KEY_FILE), "[]").unwrap();
    let e = KeyStore::open(dir.path()).unwrap_err();
    assert!(e.to_string().contains(KEY_FILE), "{e}");
}

#[test]
fn an_operator_can_provision_the_first_admin_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    assert!(matches!(store.ensure_admin_from("not a key"), Err(AuthError::MalformedKey)));
    let key = format!("vk_{}_{}", "ab".repeat(6), "cd".repeat(32));
    let info = store.ensure_admin_from(&key).unwrap().unwrap();
    assert_eq!((info.role, info.scope.is_all()), (Role::Admin, true));
    assert_eq!(store.authenticate(&key).unwrap().key_id, info.id);
    assert!(store.ensure_admin_from(&key).unwrap().is_none(), "only a fresh store takes it");
    assert!(store.ensure_admin().unwrap().is_none());
}
