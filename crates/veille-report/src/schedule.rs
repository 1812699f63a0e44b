//! Scheduled reports: each `[[reports]]` entry is produced once its period has closed (at its
//! `hour_utc`), then written to its directory and POSTed to its webhook.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tokio_util::sync::CancellationToken;
use veille_config::{ReportConfig, ReportFormat};
use veille_index::MentionIndex;

use crate::{last_complete, Report, ReportError, ReportRequest};

/// Where reports find the alerts of their period.
pub trait AlertSource: Send + Sync {
    /// The alerts known for `workspace` (active and resolved).
    fn alerts(&self, workspace: &str) -> Vec<veille_alert::Alert>;
}

impl<F> AlertSource for F
where
    F: Fn(&str) -> Vec<veille_alert::Alert> + Send + Sync,
{
    fn alerts(&self, workspace: &str) -> Vec<veille_alert::Alert> {
        self(workspace)
    }
}

fn content_type(format: ReportFormat) -> &'static str {
    match format {
        ReportFormat::Html => "text/html; charset=utf-8",
        ReportFormat::Pdf => "application/pdf",
        ReportFormat::Md => "text/markdown; charset=utf-8",
    }
}

/// Writes `bytes` to the report's directory and POSTs them to its webhook, as configured.
/// Returns the file written, if any.
pub async fn deliver(
    config: &ReportConfig,
    period_start: DateTime<Utc>,
    bytes: Vec<u8>,
) -> Result<Option<PathBuf>, ReportError> {
    let file_name = format!("{}-{}.{}", config.name, period_start.format("%Y-%m-%d"), config.format.extension());
    let mut written = None;
    if let Some(dir) = &config.directory {
        let path = dir.join(&file_name);
        let write = |source| ReportError::Write { path: path.clone(), source };
        tokio::fs::create_dir_all(dir).await.map_err(write)?;
        tokio::fs::write(&path, &bytes).await.map_err(write)?;
        written = Some(path);
    }
    if let Some(url) = &config.webhook {
        let failed = |message: String| ReportError::Webhook { url: url.clone(), message };
        let response = reqwest::Client::new()
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, content_type(config.format))
            .header(reqwest::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\""))
            .body(bytes)
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        if !response.status().is_success() {
            return Err(failed(format!("answered {}", response.status())));
        }
    }
    Ok(written)
}

/// When the report for the period closing at `period_end` is due.
fn due_at(config: &ReportConfig, period_end: DateTime<Utc>) -> DateTime<Utc> {
    period_end + TimeDelta::hours(i64::from(config.hour_utc))
}

/// Produces and delivers each configured report when its period closes, until `shutdown`.
/// A report whose delivery fails is logged and tried again at the next check (every minute)
/// until it succeeds or the next period closes.
pub async fn run_schedule(
    index: MentionIndex,
    reports: Vec<ReportConfig>,
    alerts: Option<Arc<dyn AlertSource>>,
    shutdown: CancellationToken,
) {
    // The period each report last delivered, so that a restart does not repeat the current one
    // within this process; the first check only delivers a period that closed since start.
    let started = Utc::now();
    let mut delivered: Vec<Option<DateTime<Utc>>> = reports
        .iter()
        .map(|r| {
            let (from, to) = last_complete(r.period, started);
            (due_at(r, to) <= started).then_some(from)
        })
        .collect();
    loop {
        let now = Utc::now();
        for (config, last) in reports.iter().zip(delivered.iter_mut()) {
            let (from, to) = last_complete(config.period, now);
            if *last == Some(from) || now < due_at(config, to) {
                continue;
            }
            let request = ReportRequest::new(config.workspace.clone(), config.watch.clone(), config.period, now);
            let known = alerts.as_ref().map(|a| a.alerts(&config.workspace)).unwrap_or_default();
            let index = index.clone();
            let gathered = tokio::task::spawn_blocking(move || Report::gather(&index, &request, &known)).await;
            let result = match gathered {
                Ok(Ok(report)) => match report.render(config.format) {
                    Ok(bytes) => deliver(config, from, bytes).await,
                    Err(e) => Err(e),
                },
                Ok(Err(e)) => Err(e),
                Err(e) => {
                    tracing::error!(report = %config.name, error = %e, "report task failed");
                    continue;
                }
            };
            match result {
                Ok(path) => {
                    tracing::info!(report = %config.name, period = %from, file = ?path, "report delivered");
                    *last = Some(from);
                }
                Err(e) => tracing::warn!(report = %config.name, error = %e, "report not delivered; retrying"),
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
        }
    }
}
