//! What a report holds: a period's figures about one brand, gathered from the index.

use chrono::{DateTime, Utc};
use serde::Serialize;
use veille_config::ReportPeriod;
use veille_index::{Audit, AuditRequest, AuthorOrder, AuthorStats, MentionIndex, Scope};

use crate::period::{label, last_complete};
use crate::ReportError;

/// Which report to gather.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    /// The workspace.
    pub workspace: String,
    /// The watch (brand) reported on.
    pub watch: String,
    /// Weekly or monthly.
    pub period: ReportPeriod,
    /// The report covers the last complete period ending at or before this time.
    pub until: DateTime<Utc>,
    /// Length of the lists (authors, terms, notable mentions).
    pub limit: usize,
}

impl ReportRequest {
    /// The report on `watch` for the last complete `period` before `until`, with lists of 10.
    pub fn new(
        workspace: impl Into<String>,
        watch: impl Into<String>,
        period: ReportPeriod,
        until: DateTime<Utc>,
    ) -> Self {
        ReportRequest { workspace: workspace.into(), watch: watch.into(), period, until, limit: 10 }
    }
}

/// An alert raised during the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertEntry {
    /// The watch it concerns.
    pub watch: String,
    /// The rule that fired (`volume_spike`, `negative_share`, ...).
    pub rule: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// `pending`, `firing` or `resolved`.
    pub state: String,
    /// When the condition started (event time).
    pub starts_at: DateTime<Utc>,
    /// When it stopped, once resolved.
    pub ends_at: Option<DateTime<Utc>>,
    /// One line saying what happened.
    pub summary: String,
}

fn name_of(value: impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

impl From<&veille_alert::Alert> for AlertEntry {
    fn from(a: &veille_alert::Alert) -> Self {
        AlertEntry {
            watch: a.watch.clone(),
            rule: name_of(a.rule),
            severity: name_of(a.severity),
            state: name_of(a.state),
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            summary: a.explanation.summary.clone(),
        }
    }
}

/// A period's activity report about one brand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Title, e.g. `Acme: activity report, January 2026`.
    pub title: String,
    /// The workspace.
    pub workspace: String,
    /// Weekly or monthly.
    #[serde(skip)]
    pub period: ReportPeriod,
    /// The period's name, e.g. `January 2026`.
    pub period_label: String,
    /// When the report was gathered.
    pub generated_at: DateTime<Utc>,
    /// The figures: volume and change, sentiment with its daily trend, share of voice,
    /// significant terms, top authors, notable mentions, peak day.
    pub audit: Audit,
    /// Most influential authors of the brand's mentions (by key-node score).
    pub key_nodes: Vec<AuthorStats>,
    /// Alerts of the workspace that started in the period, oldest first.
    pub alerts: Vec<AlertEntry>,
}

impl Report {
    /// Gathers the report from `index`; `alerts` are the alerts known (those of the workspace
    /// starting in the period are kept).
    pub fn gather(
        index: &MentionIndex,
        req: &ReportRequest,
        alerts: &[veille_alert::Alert],
    ) -> Result<Report, ReportError> {
        let (from, to) = last_complete(req.period, req.until);
        let mut audit_request = AuditRequest::new(req.workspace.clone(), req.watch.clone(), from, to);
        audit_request.limit = req.limit.max(1);
        let audit = index.audit(&audit_request)?;
        let brand =
            Scope::new(req.workspace.clone(), format!("watch:\"{}\"", audit.watch)).between(Some(from), Some(to));
        let key_nodes = index.top_authors(&brand, AuthorOrder::KeyNode, req.limit.max(1))?;
        let mut alerts: Vec<AlertEntry> = alerts
            .iter()
            .filter(|a| a.workspace == req.workspace && a.starts_at >= from && a.starts_at < to)
            .map(AlertEntry::from)
            .collect();
        alerts.sort_by_key(|a| a.starts_at);
        let period_label = label(req.period, from);
        Ok(Report {
            title: format!("{}: activity report, {period_label}", req.watch),
            workspace: req.workspace.clone(),
            period: req.period,
            period_label,
            generated_at: Utc::now(),
            audit,
            key_nodes,
            alerts,
        })
    }

    /// Change of volume against the previous period, as text (`+25.0 %`, `n/a`).
    pub fn volume_change(&self) -> String {
        match self.audit.volume.change_pct {
            Some(c) => format!("{c:+.1} %"),
            None => "n/a (no mention the period before)".into(),
        }
    }

    /// The brand's share of voice, as text.
    pub fn brand_share(&self) -> String {
        self.audit
            .share_of_voice
            .share_of(&self.audit.watch)
            .map_or_else(|| "n/a".to_string(), |w| format!("{:.1} %", w.share))
    }
}
