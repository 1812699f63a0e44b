//! `veille keys`: create, list and revoke API keys.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use veille_auth::{KeyStore, NewKey, Role, Scope};

use crate::context::DataArgs;

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Create a key; prints it once on standard output.
    Create(CreateArgs),
    /// List keys (never their secrets).
    List(ListArgs),
    /// Revoke a key by its id; a running server refuses it within a second.
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    #[command(flatten)]
    data: DataArgs,
    /// `admin` (configuration and keys), `analyst` (read, export, acknowledge alerts) or `ingest` (webhook push).
    #[arg(long, value_parser = clap::value_parser!(Role))]
    role: Role,
    /// Workspace the key reaches; repeat or separate with commas; `*` for all.
    #[arg(long, short = 'w', required = true)]
    workspace: Vec<String>,
    /// Who or what uses the key. Default: the role and workspaces.
    #[arg(long)]
    name: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    data: DataArgs,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The key's id (the part after `vk_`, as `veille keys list` shows it).
    id: String,
}

/// The key store of the configured data directory.
fn store(data: &DataArgs) -> Result<KeyStore> {
    let config = data.load()?;
    KeyStore::open(&config.data.dir).with_context(|| format!("data directory {}", config.data.dir.display()))
}

pub(crate) fn run(command: KeysCommand) -> Result<()> {
    match command {
        KeysCommand::Create(a) => create(a),
        KeysCommand::List(a) => list(a),
        KeysCommand::Revoke(a) => revoke(a),
    }
}

fn create(a: CreateArgs) -> Result<()> {
    let scope = Scope::of(a.workspace.iter().flat_map(|w| w.split(',')).filter(|w| !w.trim().is_empty()))?;
    let name = a.name.unwrap_or_else(|| format!("{} of {scope}", a.role));
    let created = store(&a.data)?.create(NewKey { name, role: a.role, scope })?;
    println!("{}", created.token.reveal());
    eprintln!(
        "created key {} ({}, workspaces {}): store it now, it is not shown again",
        created.info.id, created.info.role, created.info.scope
    );
    Ok(())
}

fn list(a: ListArgs) -> Result<()> {
    let keys = store(&a.data)?.list()?;
    if a.json {
        for k in &keys {
            let line = serde_json::json!({
                "id": k.id,
                "name": k.name,
                "role": k.role,
                "workspaces": k.scope,
                "created_at": k.created_at,
                "revoked_at": k.revoked_at,
            });
            println!("{line}");
        }
        return Ok(());
    }
    println!("{:<12}  {:<7}  {:<20}  {:<20}  {:<7}  NAME", "ID", "ROLE", "WORKSPACES", "CREATED", "STATE");
    for k in &keys {
        let state = if k.revoked_at.is_some() { "revoked" } else { "active" };
        let created = k.created_at.format("%Y-%m-%d %H:%M:%S");
        println!("{:<12}  {:<7}  {:<20}  {:<20}  {:<7}  {}", k.id, k.role, k.scope, created, state, k.name);
    }
    Ok(())
}

fn revoke(a: RevokeArgs) -> Result<()> {
    let id = a.id.trim().trim_start_matches("vk_");
    let id = id.split('_').next().unwrap_or(id);
    let revoked = store(&a.data)?.revoke(id)?;
    eprintln!("revoked key {} ({}, {})", revoked.id, revoked.role, revoked.name);
    Ok(())
}

/// The guard for the API of `config`: the key store of its data directory, its limits and
/// CORS origins. On a fresh install (no key at all) it first stores an admin key for every
/// workspace: the one in `VEILLE_ADMIN_KEY` when set, else a new one printed here, once.
pub(crate) fn guard(config: &veille_config::Config) -> Result<veille_server::Guard> {
    let keys =
        KeyStore::open(&config.data.dir).with_context(|| format!("data directory {}", config.data.dir.display()))?;
    match std::env::var("VEILLE_ADMIN_KEY") {
        Ok(key) if !key.trim().is_empty() => {
            if let Some(info) = keys.ensure_admin_from(&key).context("VEILLE_ADMIN_KEY")? {
                eprintln!("stored the admin key from VEILLE_ADMIN_KEY (id {})", info.id);
            }
        }
        _ => {
            if let Some(created) = keys.ensure_admin()? {
                println!(
                    "No API key existed: created an admin key for every workspace (id {}). It is shown only this once:\n{}",
                    created.info.id,
                    created.token.reveal()
                );
            }
        }
    }
    Ok(veille_server::Guard::new(Some(keys), &config.server))
}
