//! Creating, using and revoking API keys.
//!
//! Run with `cargo run -p veille-auth --example keys`.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use veille_auth::{Action, KeyStore, NewKey, RateLimit, RateLimiter, Role};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keys live in the data directory, hashed.
    let dir = tempfile::tempdir()?;
    let store = KeyStore::open(dir.path())?;

    // A fresh install gets one admin key, shown once.
    if let Some(admin) = store.ensure_admin()? {
        println!("admin key (shown once): {}", admin.token.reveal());
    }

    // An agency gives each client team a key that reaches only its workspace.
    let acme = store.create(NewKey { name: "acme team".into(), role: Role::Analyst, scope: "acme".parse()? })?;
    println!("created {} ({}, workspaces {})", acme.info.id, acme.info.role, acme.info.scope);

    // The server verifies the key once with argon2, then from memory.
    let who = store.authenticate(acme.token.reveal())?;
    for ws in ["acme", "globex"] {
        match who.authorize(Action::Read, ws) {
            Ok(()) => println!("read {ws}: allowed"),
            Err(denial) => println!("read {ws}: {} ({})", denial, denial.reason.as_str()),
        }
    }

    // Each key has its own token bucket.
    let limiter = RateLimiter::new(RateLimit { per_second: 1.0, burst: 2 });
    for i in 1..=3 {
        match limiter.check(&who.key_id) {
            Ok(()) => println!("request {i}: passes"),
            Err(wait) => println!("request {i}: retry in {:.1}s", wait.as_secs_f64()),
        }
    }

    // Revoked keys open nothing.
    store.revoke(&acme.info.id)?;
    let refused = store.authenticate(acme.token.reveal()).unwrap_err();
    println!("after revocation: {refused}");

    for key in store.list()? {
        let state = if key.revoked_at.is_some() { "revoked" } else { "active" };
        println!("{}  {:8} {:10} {}  {state}", key.id, key.role, key.scope, key.name);
    }
    Ok(())
}
