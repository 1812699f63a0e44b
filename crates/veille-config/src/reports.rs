//! `[[reports]]`: activity reports produced on a schedule and delivered to a directory or a
//! webhook.
//!
//! ```toml
//! [[reports]]
//! name = "acme-monthly"          # unique; names the files written
//! workspace = "default"          # default "default"
//! watch = "acme"                 # the brand the report is about
//! period = "monthly"             # weekly (Monday to Monday, UTC) or monthly
//! format = "pdf"                 # html, pdf or md
//! directory = "reports"          # written as <directory>/<name>-<period start>.<format>
//! webhook = "https://hooks.example.com/reports"  # the file is POSTed here too
//! hour_utc = 6                   # produced at this UTC hour after the period closes (default 6)
//! ```

use std::path::PathBuf;

use serde::Deserialize;

/// How long a report's period is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportPeriod {
    /// A calendar week, Monday 00:00 UTC to the next Monday.
    #[default]
    Weekly,
    /// A calendar month, from the first 00:00 UTC to the next first.
    Monthly,
}

/// The file format of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// A self-contained HTML page with inline SVG charts.
    #[default]
    Html,
    /// A PDF document with vector charts.
    Pdf,
    /// Markdown text.
    Md,
}

impl ReportFormat {
    /// The file extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Pdf => "pdf",
            ReportFormat::Md => "md",
        }
    }
}

/// One scheduled report.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    /// Unique name; prefixes the files written.
    pub name: String,
    /// The workspace reported on. Default `default`.
    #[serde(default = "default_workspace")]
    pub workspace: String,
    /// The watch (brand) reported on.
    pub watch: String,
    /// Weekly or monthly.
    #[serde(default)]
    pub period: ReportPeriod,
    /// HTML, PDF or Markdown.
    #[serde(default)]
    pub format: ReportFormat,
    /// Directory the report files are written to.
    #[serde(default)]
    pub directory: Option<PathBuf>,
    /// URL the report file is POSTed to.
    #[serde(default)]
    pub webhook: Option<String>,
    /// UTC hour, after the period closes, at which the report is produced. Default 6.
    #[serde(default = "default_hour")]
    pub hour_utc: u32,
}

fn default_workspace() -> String {
    veille_model::DEFAULT_WORKSPACE.into()
}

fn default_hour() -> u32 {
    6
}

/// Checks every report; on a fault returns the key (relative to `reports`) and the reason.
pub(crate) fn validate(reports: &[ReportConfig]) -> Result<(), (String, String)> {
    let mut names = std::collections::BTreeSet::new();
    for (i, r) in reports.iter().enumerate() {
        let key = |k: &str| format!("[{i}].{k}");
        if r.name.trim().is_empty() || !r.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err((key("name"), format!("`{}` must be non-empty and hold only a-z, 0-9, - and _", r.name)));
        }
        if !names.insert(r.name.as_str()) {
            return Err((key("name"), format!("`{}` is used by an earlier report", r.name)));
        }
        if r.watch.trim().is_empty() {
            return Err((key("watch"), "is empty".into()));
        }
        if r.directory.is_none() && r.webhook.is_none() {
            return Err((key("directory"), "a report needs a `directory`, a `webhook` or both".into()));
        }
        if let Some(url) = &r.webhook {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err((key("webhook"), format!("`{url}` is not an http(s) URL")));
            }
        }
        if r.hour_utc > 23 {
            return Err((key("hour_utc"), format!("is {}: expected 0 to 23", r.hour_utc)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Vec<ReportConfig> {
        #[derive(Deserialize)]
        struct Doc {
            reports: Vec<ReportConfig>,
        }
        toml::from_str::<Doc>(toml_text).map(|d| d.reports).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_report_defaults_to_a_weekly_html_file_at_six() {
        let r = parse("[[reports]]\nname = \"w\"\nwatch = \"acme\"\ndirectory = \"out\"\n");
        assert_eq!((r[0].period, r[0].format, r[0].hour_utc), (ReportPeriod::Weekly, ReportFormat::Html, 6));
        assert_eq!(r[0].workspace, "default");
        assert!(validate(&r).is_ok());
    }

    #[test]
    fn documented_example_states_the_defaults_it_names() {
        let example = crate::documented_toml_example(include_str!("reports.rs"));
        let documented = parse(&example);
        assert!(validate(&documented).is_ok());
        let without: String = example
            .lines()
            .filter(|l| !l.starts_with("workspace") && !l.starts_with("hour_utc"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(parse(&without), documented, "`workspace` and `hour_utc` are shown at their defaults");
    }

    #[test]
    fn a_report_without_destination_or_with_a_duplicate_name_is_refused() {
        let r = parse("[[reports]]\nname = \"w\"\nwatch = \"acme\"\n");
        assert_eq!(validate(&r).unwrap_err().0, "[0].directory");
        let r = parse(
            "[[reports]]\nname = \"w\"\nwatch = \"a\"\nwebhook = \"https://h\"\n\
             [[reports]]\nname = \"w\"\nwatch = \"b\"\nwebhook = \"ftp://h\"\n",
        );
        assert_eq!(validate(&r).unwrap_err().0, "[1].name");
    }
}
