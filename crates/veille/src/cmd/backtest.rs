//! `veille backtest`: replays indexed history through the configured watches and rules and
//! prints the alerts they would have raised, so a rule is judged before it pages anyone.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use veille_alert::{Alert, Replay};
use veille_config::signals::Severity;

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
    /// Print the alert load instead of the alerts: pages (critical alerts) and warnings per day, per watch
    /// and per rule, and the incidents they group into (with --json, a `summary` object beside the alerts).
    #[arg(long)]
    summary: bool,
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
        let mut replay = Replay::new(&config.signals, &config.alerts).context("[signals]")?;
        let total = index.count(workspace, "*", from, to)?;
        let bar = ProgressBar::new(total as u64).with_style(
            ProgressStyle::with_template("{spinner} replaying {msg} {bar:30} {pos}/{len} ({per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(workspace.clone());
        index.scan(workspace, "*", from, to, |mut mention| {
            if let Some(m) = &matcher {
                mention.tags.clear();
                m.tag(&mut mention);
            }
            replay.observe(&mention);
            bar.inc(1);
            true
        })?;
        bar.finish_and_clear();
        replayed += total as u64;
        alerts.extend(replay.finish().alerts);
    }
    alerts.sort_by_key(|a| a.starts_at);
    if a.json {
        let mut out = serde_json::json!({ "replayed": replayed, "alerts": alerts });
        if a.summary {
            out["summary"] = serde_json::to_value(Summary::of(&alerts))?;
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if a.summary {
        println!("replayed {replayed} mentions");
        Summary::of(&alerts).print();
        return Ok(());
    }
    println!("replayed {replayed} mentions: {} alerts", alerts.len());
    for alert in &alerts {
        let ends = alert.ends_at.map_or_else(|| "still firing".to_string(), |t| t.to_rfc3339());
        println!("{}  {} → {}  {}", alert.id, alert.starts_at.to_rfc3339(), ends, alert.explanation.summary);
    }
    Ok(())
}

/// Pages (critical alerts) and warnings counted together.
#[derive(Debug, Default, Clone, Copy, Serialize)]
struct Load {
    pages: usize,
    warnings: usize,
}

impl Load {
    fn add(&mut self, alert: &Alert) {
        match alert.severity {
            Severity::Critical => self.pages += 1,
            _ => self.warnings += 1,
        }
    }
}

/// One incident: the alerts that share its id.
#[derive(Debug, Clone, Serialize)]
struct Incident {
    id: String,
    workspace: String,
    starts_at: chrono::DateTime<chrono::Utc>,
    ends_at: Option<chrono::DateTime<chrono::Utc>>,
    severity: Severity,
    /// `watch/rule` of each alert, in start order.
    alerts: Vec<String>,
}

/// The alert load of a replay: what a team would have received.
#[derive(Debug, Default, Serialize)]
struct Summary {
    total: Load,
    per_day: BTreeMap<String, Load>,
    per_watch: BTreeMap<String, Load>,
    per_rule: BTreeMap<String, Load>,
    incidents: Vec<Incident>,
}

impl Summary {
    /// Counts `alerts` by the UTC day their condition started, their watch and their rule.
    fn of(alerts: &[Alert]) -> Summary {
        let mut s = Summary::default();
        let mut incidents: BTreeMap<String, Incident> = BTreeMap::new();
        for a in alerts {
            s.total.add(a);
            s.per_day.entry(a.starts_at.format("%Y-%m-%d").to_string()).or_default().add(a);
            s.per_watch.entry(format!("{}/{}", a.workspace, a.watch)).or_default().add(a);
            s.per_rule.entry(a.rule.as_str().to_string()).or_default().add(a);
            let incident = incidents.entry(a.incident_id().to_string()).or_insert_with(|| Incident {
                id: a.incident_id().to_string(),
                workspace: a.workspace.clone(),
                starts_at: a.starts_at,
                ends_at: a.ends_at,
                severity: a.severity,
                alerts: Vec::new(),
            });
            incident.starts_at = incident.starts_at.min(a.starts_at);
            incident.ends_at = match (incident.ends_at, a.ends_at) {
                (Some(x), Some(y)) => Some(x.max(y)),
                _ => None,
            };
            incident.severity = incident.severity.max(a.severity);
            incident.alerts.push(format!("{}/{}", a.watch, a.rule.as_str()));
        }
        s.incidents = incidents.into_values().collect();
        s.incidents.sort_by_key(|i| i.starts_at);
        s
    }

    fn print(&self) {
        let paging = self.incidents.iter().filter(|i| i.severity == Severity::Critical).count();
        println!(
            "{} alerts: {} pages (critical), {} warnings; {} incidents, {paging} of them paging",
            self.total.pages + self.total.warnings,
            self.total.pages,
            self.total.warnings,
            self.incidents.len()
        );
        let table = |title: &str, rows: &BTreeMap<String, Load>| {
            println!("\n{title:<32} {:>6} {:>9}", "pages", "warnings");
            for (key, load) in rows {
                println!("{key:<32} {:>6} {:>9}", load.pages, load.warnings);
            }
        };
        table("per day (UTC)", &self.per_day);
        table("per watch", &self.per_watch);
        table("per rule", &self.per_rule);
        println!("\nincidents");
        for i in &self.incidents {
            let ends = i.ends_at.map_or_else(|| "still firing".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string());
            println!(
                "{}  {} → {}  {:<8} {}: {}",
                i.id,
                i.starts_at.format("%Y-%m-%d %H:%M"),
                ends,
                i.severity.as_str(),
                i.workspace,
                i.alerts.join(", ")
            );
        }
    }
}
