//! Activity reports: what was said about a brand over a week or a month, for the people who
//! send that report to their client or management.
//!
//! A [`Report`] is gathered from the index for one watch and the last complete period before a
//! date ([`ReportRequest`]): volume and its change against the period before, the sentiment
//! split and its daily trend, share of voice among brands and competitors, the words and
//! hashtags significant against the period before, the most active and the most influential
//! authors, the most engaging positive and negative mentions, the peak day, and the alerts of
//! the period when an alert list is given. It renders as Markdown, as a self-contained HTML
//! page with inline SVG charts, or as a PDF whose charts are drawn as vector paths; no
//! external program is involved.
//!
//! [`run_schedule`] produces the reports configured under `[[reports]]` when each period
//! closes, and delivers them to a directory, a webhook, or both.
//!
//! ```
//! use veille_config::{ReportFormat, ReportPeriod};
//! use veille_index::MentionIndex;
//! use veille_model::{Author, Checkpoint, Mention, Platform, WatchKind, WatchMatch};
//! use veille_report::{Report, ReportRequest};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let index = MentionIndex::open(dir.path()).unwrap();
//! let mut writer = index.writer(&Default::default()).unwrap();
//! let when = veille_model::parse_timestamp("2026-01-06T10:00:00Z").unwrap();
//! let mut m = Mention::new(Platform::X, "1", "Acme was great", when, Author { handle: "ann".into(), ..Default::default() });
//! m.tags.push(WatchMatch { watch: "acme".into(), kind: WatchKind::Brand, hits: vec![] });
//! writer.upsert(&m).unwrap();
//! writer.commit(&Checkpoint::default()).unwrap();
//! index.reload().unwrap();
//!
//! let until = veille_model::parse_timestamp("2026-01-14T00:00:00Z").unwrap();
//! let report = Report::gather(&index, &ReportRequest::new("default", "acme", ReportPeriod::Weekly, until), &[]).unwrap();
//! assert_eq!(report.audit.volume.count, 1);
//! let markdown = String::from_utf8(report.render(ReportFormat::Md).unwrap()).unwrap();
//! assert!(markdown.contains("| Mentions | 1 |"));
//! assert!(report.render(ReportFormat::Pdf).unwrap().starts_with(b"%PDF"));
//! ```

mod chart;
mod html;
mod markdown;
mod model;
mod pdf;
mod period;
mod schedule;
mod sections;

pub use model::{AlertEntry, Report, ReportRequest};
pub use period::{label as period_label, last_complete};
pub use schedule::{deliver, run_schedule, AlertSource};

use veille_config::ReportFormat;

/// Why a report could not be produced or delivered.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading the index failed.
    #[error("cannot gather the report: {0}")]
    Index(#[from] veille_index::IndexError),
    /// Writing the report file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The webhook refused the report or could not be reached.
    #[error("cannot deliver the report to {url}: {message}")]
    Webhook {
        /// The webhook URL.
        url: String,
        /// What went wrong.
        message: String,
    },
}

impl Report {
    /// The report as a file in `format`.
    pub fn render(&self, format: ReportFormat) -> Result<Vec<u8>, ReportError> {
        let document = sections::Document::of(self);
        Ok(match format {
            ReportFormat::Md => markdown::render(&document).into_bytes(),
            ReportFormat::Html => html::render(&document).into_bytes(),
            ReportFormat::Pdf => pdf::render(&document),
        })
    }
}
