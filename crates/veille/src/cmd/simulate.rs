//! `veille simulate`: a simulated mention stream as NDJSON on standard output.

use std::io::{BufWriter, Write};

use anyhow::{bail, Result};
use chrono::{TimeDelta, Utc};
use clap::Args;
use veille_config::{CrisisInjection, SimulateSource, SourceConfig};
use veille_sources::Simulator;

use crate::context::DataArgs;

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// Use the `simulate` source of this name from the configuration instead of the flags below.
    #[arg(long)]
    source: Option<String>,
    /// Brands the conversation is about (comma-separated); the first is the client's own.
    #[arg(long, default_value = "Acme,Globex,Initech", value_delimiter = ',')]
    brands: Vec<String>,
    /// Mentions to write.
    #[arg(long, default_value_t = 10_000)]
    count: u64,
    /// Average mentions per second of event time.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Event seconds per wall second (1 = real time); 0 writes as fast as possible.
    #[arg(long, default_value_t = 0.0)]
    speed: f64,
    /// Seed: the same seed gives the same stream.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Share of mentions in French.
    #[arg(long, default_value_t = 0.35)]
    french_share: f64,
    /// Event time where the stream goes live, after its history (default: now).
    #[arg(long)]
    start: Option<String>,
    /// Seconds of history before the start, written at once (then `--speed` paces the rest).
    #[arg(long, default_value_t = 0)]
    history: u64,
    /// Inject a crisis burst about this brand.
    #[arg(long)]
    crisis: Option<String>,
    /// Seconds after the start (past the history) when the crisis begins.
    #[arg(long, default_value_t = 600)]
    crisis_after: u64,
    /// How long the crisis lasts, in seconds.
    #[arg(long, default_value_t = 300)]
    crisis_duration: u64,
    /// Volume about the brand during the crisis, as a multiple of normal.
    #[arg(long, default_value_t = 8.0)]
    crisis_intensity: f64,
    /// Workspace of the mentions.
    #[arg(long)]
    workspace: Option<String>,
    #[command(flatten)]
    data: DataArgs,
}

pub(crate) fn run(a: SimulateArgs) -> Result<()> {
    let mut cfg = match &a.source {
        Some(name) => {
            let config = a.data.load()?;
            match config.sources.iter().find(|s| s.name() == name) {
                Some(SourceConfig::Simulate(s)) => s.clone(),
                Some(_) => bail!("source `{name}` is not a `simulate` source"),
                None => bail!("no source named `{name}` in the configuration"),
            }
        }
        None => SimulateSource {
            name: "simulate".into(),
            brands: a.brands.clone(),
            rate: a.rate,
            speed: a.speed,
            history_s: a.history,
            count: Some(a.count),
            start: a.start.clone(),
            seed: a.seed,
            french_share: a.french_share,
            authors: 2_000,
            crisis: a.crisis.clone().map(|brand| CrisisInjection {
                brand,
                after_s: a.crisis_after,
                duration_s: a.crisis_duration,
                intensity: a.crisis_intensity,
            }),
            workspace: a.workspace.clone(),
        },
    };
    let config = veille_config::Config { sources: vec![SourceConfig::Simulate(cfg.clone())], ..Default::default() };
    config.validate("command line")?;
    cfg.count = cfg.count.or(Some(a.count));
    let start = match &cfg.start {
        Some(s) => veille_model::parse_timestamp(s)?,
        None => Utc::now(),
    };
    let mut sim = Simulator::new(cfg.clone(), start - TimeDelta::seconds(i64::try_from(cfg.history_s)?));
    let out = std::io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let pace = cfg.speed > 0.0;
    let wall = std::time::Instant::now();
    for _ in 0..cfg.count.unwrap_or(a.count) {
        let m = sim.next_mention();
        if pace {
            // The history (before `start`) is due at once.
            let due = (m.created_at - start).to_std().unwrap_or_default().div_f64(cfg.speed);
            if let Some(wait) = due.checked_sub(wall.elapsed()) {
                out.flush()?;
                std::thread::sleep(wait);
            }
        }
        if let Err(e) = writeln!(out, "{}", m.to_json()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(e.into());
        }
    }
    out.flush().or_else(|e| if e.kind() == std::io::ErrorKind::BrokenPipe { Ok(()) } else { Err(e) })?;
    Ok(())
}
