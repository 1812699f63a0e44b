//! `veille backtest`: replays indexed history through the configured watches and rules and
//! prints the alerts they would have raised, so a rule is judged before it pages anyone.

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use veille_alert::{AlertBook, AlertScope};
use veille_signals::{SignalMonitor, SignalOutput};

use crate::context::{open_view, time, DataArgs};

#[derive(Debug, Args)]
pub(crate) struct BacktestArgs {
    /// Replay mentions created at or after this time (RFC 3339 or `YYYY-MM-DD HH:MM:SS`).
    #[arg(long)]
    from: Option<String>,
    /// Replay mentions created before this time.
    #[arg(long)]
    to: Option<String>,
    /// Workspace to replay; every configured workspace when absent.
    #[arg(long, short = 'w')]
    workspace: Option<String>,
    /// Keep the tags stored at ingest time instead of tagging again with the configured watches.
    #[arg(long)]
    stored_tags: bool,
    /// Print the alerts as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
}

pub(crate) fn run(a: BacktestArgs) -> Result<()> {
    let config = a.data.load()?;
    let index = open_view(&config)?;
    let (from, to) = (time("from", &a.from)?, time("to", &a.to)?);
    let workspaces: Vec<String> = match &a.workspace {
        Some(w) => vec![w.clone()],
        None => config.workspaces.iter().map(|w| w.name.clone()).collect(),
    };
    let matcher = if a.stored_tags { None } else { Some(veille_match::Matcher::compile(&config)?) };
    let mut alerts = Vec::new();
    let mut replayed = 0u64;
    for workspace in &workspaces {
        let mut monitor = SignalMonitor::new(&config.signals).context("[signals]")?;
        let mut book = AlertBook::new(&config.alerts);
        let mut out = SignalOutput::default();
        let total = index.count(workspace, "*", from, to)?;
        let bar = ProgressBar::new(total as u64).with_style(
            ProgressStyle::with_template("{spinner} replaying {msg} {bar:30} {pos}/{len} ({per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(workspace.clone());
        let mut last_tick = i64::MIN;
        index.scan(workspace, "*", from, to, |mut mention| {
            if let Some(m) = &matcher {
                mention.tags.clear();
                m.tag(&mut mention);
            }
            let at = mention.created_at;
            book.observe(&mention);
            monitor.observe(&mention, &mut out);
            for event in out.events.drain(..) {
                book.apply(&event, event.at);
            }
            out.buckets.clear();
            // The book's own clock (pending alerts, re-notification) moves once per minute of history.
            if at.timestamp() / 60 != last_tick {
                last_tick = at.timestamp() / 60;
                book.tick(at);
            }
            bar.inc(1);
            true
        })?;
        monitor.flush(&mut out);
        for event in out.events.drain(..) {
            book.apply(&event, event.at);
        }
        bar.finish_and_clear();
        replayed += total as u64;
        alerts.extend(book.list(AlertScope::All, Some(workspace)));
    }
    alerts.sort_by_key(|a| a.starts_at);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "replayed": replayed, "alerts": alerts }))?);
        return Ok(());
    }
    println!("replayed {replayed} mentions: {} alerts", alerts.len());
    for alert in &alerts {
        let ends = alert.ends_at.map_or_else(|| "still firing".to_string(), |t| t.to_rfc3339());
        println!("{}  {} → {}  {}", alert.id, alert.starts_at.to_rfc3339(), ends, alert.explanation.summary);
    }
    Ok(())
}
