//! `veille report`: the activity report of a brand for the last complete week or month, as
//! HTML, PDF or Markdown.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use veille_config::{ReportFormat, ReportPeriod};
use veille_report::{Report, ReportRequest};

use crate::context::{open_index, DataArgs};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PeriodArg {
    /// Monday to Monday (UTC).
    Weekly,
    /// A calendar month.
    Monthly,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// A self-contained HTML page with SVG charts.
    Html,
    /// A PDF document with vector charts.
    Pdf,
    /// Markdown.
    Md,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The watch (brand) reported on.
    #[arg(long)]
    watch: String,
    /// Workspace of the watch.
    #[arg(long, short = 'w', default_value = veille_model::DEFAULT_WORKSPACE)]
    workspace: String,
    /// Weekly or monthly.
    #[arg(long, value_enum, default_value = "monthly")]
    period: PeriodArg,
    /// The report covers the last complete period ending at or before this date or time (default now).
    #[arg(long)]
    until: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "html")]
    format: FormatArg,
    /// Output file.
    #[arg(long, short = 'o')]
    out: PathBuf,
    /// Alerts to list (a JSON array or NDJSON of alerts, as `GET /api/v1/alerts?state=all` answers).
    #[arg(long)]
    alerts: Option<PathBuf>,
    /// Length of the lists (authors, terms, notable mentions).
    #[arg(long, default_value_t = 10)]
    limit: usize,
    #[command(flatten)]
    data: DataArgs,
}

fn read_alerts(path: &PathBuf) -> Result<Vec<veille_alert::Alert>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(_) => serde_json::Value::Array(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .enumerate()
                .map(|(i, l)| serde_json::from_str(l).with_context(|| format!("{}: line {}", path.display(), i + 1)))
                .collect::<Result<_>>()?,
        ),
    };
    // The API wraps its list in {"alerts": [...]}; a bare list is accepted too.
    let list = match value {
        serde_json::Value::Object(mut o) => o.remove("alerts").unwrap_or(serde_json::Value::Array(vec![])),
        other => other,
    };
    serde_json::from_value(list).with_context(|| format!("{}: not a list of alerts", path.display()))
}

pub(crate) fn run(a: ReportArgs) -> Result<()> {
    let config = a.data.load()?;
    let index = open_index(&config.data.dir)?;
    let until = match &a.until {
        // A plain date means its start, midnight UTC.
        Some(s) => match chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
            Ok(day) => day.and_time(chrono::NaiveTime::MIN).and_utc(),
            Err(_) => veille_model::parse_timestamp(s).map_err(|e| anyhow::anyhow!("--until: {e}"))?,
        },
        None => chrono::Utc::now(),
    };
    let period = match a.period {
        PeriodArg::Weekly => ReportPeriod::Weekly,
        PeriodArg::Monthly => ReportPeriod::Monthly,
    };
    let format = match a.format {
        FormatArg::Html => ReportFormat::Html,
        FormatArg::Pdf => ReportFormat::Pdf,
        FormatArg::Md => ReportFormat::Md,
    };
    let alerts = a.alerts.as_ref().map(read_alerts).transpose()?.unwrap_or_default();
    let mut request = ReportRequest::new(a.workspace, a.watch, period, until);
    request.limit = a.limit;
    let report = Report::gather(&index, &request, &alerts)?;
    let bytes = report.render(format)?;
    std::fs::write(&a.out, &bytes).with_context(|| format!("cannot write {}", a.out.display()))?;
    eprintln!(
        "{}: {} mentions, written to {} ({} bytes)",
        report.title,
        report.audit.volume.count,
        a.out.display(),
        bytes.len()
    );
    Ok(())
}
