//! A weekly report for a brand, written as Markdown, HTML and PDF into a directory.
//!
//! Run: `cargo run -p veille-report --example weekly_report -- OUT_DIR`.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use chrono::{TimeDelta, TimeZone, Utc};
use veille_config::{ReportFormat, ReportPeriod};
use veille_index::MentionIndex;
use veille_model::{Author, Checkpoint, Mention, Platform, WatchKind, WatchMatch};
use veille_report::{Report, ReportRequest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "report-example".into()));
    std::fs::create_dir_all(&out)?;

    // Two weeks of mentions of a brand and a competitor, the second twice as busy.
    let dir = tempfile::tempdir()?;
    let index = MentionIndex::open(dir.path())?;
    let mut writer = index.writer(&Default::default())?;
    let start = Utc.with_ymd_and_hms(2025, 12, 29, 8, 0, 0).single().ok_or("bad date")?;
    for i in 0..60i64 {
        let (watch, kind) = if i % 4 == 0 { ("globex", WatchKind::Competitor) } else { ("acme", WatchKind::Brand) };
        let hours = if i < 20 { i * 8 } else { 168 + (i - 20) * 4 };
        let text = format!("{watch} flight number {i} #travel{}", if i > 40 { " #delay" } else { "" });
        let author = Author {
            handle: format!("traveller{}", i % 7),
            followers: Some(100 * (i as u64 % 7)),
            ..Default::default()
        };
        let mut m = Mention::new(Platform::Mastodon, i.to_string(), text, start + TimeDelta::hours(hours), author);
        m.tags.push(WatchMatch { watch: watch.into(), kind, hits: vec![] });
        m.engagement.likes = i as u64;
        writer.upsert(&m)?;
    }
    writer.commit(&Checkpoint::default())?;
    index.reload()?;

    // The report covers the last complete week before `until`: Monday 5 to Monday 12 January.
    let until = Utc.with_ymd_and_hms(2026, 1, 12, 6, 0, 0).single().ok_or("bad date")?;
    let report = Report::gather(&index, &ReportRequest::new("default", "acme", ReportPeriod::Weekly, until), &[])?;
    println!("{}: {} mentions ({})", report.title, report.audit.volume.count, report.volume_change());
    for format in [ReportFormat::Md, ReportFormat::Html, ReportFormat::Pdf] {
        let path = out.join(format!("acme-weekly.{}", format.extension()));
        std::fs::write(&path, report.render(format)?)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
