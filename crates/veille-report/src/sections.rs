//! The report as an ordered list of sections, built once from a [`Report`] and rendered by
//! each format: Markdown, HTML and PDF walk the same sections and only decide how a heading,
//! a set of key figures, a chart, a table or a paragraph looks. A new section is added here.

use veille_index::{AuthorStats, NotableMention, SignificantTerm};

use crate::chart::{self, Chart};
use crate::Report;

/// A report ready to render: its title, what it covers, and its sections in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    pub title: String,
    /// First day of the period (`YYYY-MM-DD`).
    pub from: String,
    /// Day after the last one of the period (`YYYY-MM-DD`).
    pub to: String,
    pub workspace: String,
    /// When the report was gathered (`YYYY-MM-DD HH:MM UTC`).
    pub generated: String,
    pub sections: Vec<Section>,
}

/// One section: a heading and what stands under it, in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

/// What a section holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    /// Labelled figures (the key figures of the period).
    Figures(Vec<(&'static str, String)>),
    /// A chart; formats that draw no charts show `data` in its place, when given.
    Chart { chart: Chart, data: Option<Table> },
    /// A table.
    Table(Table),
    /// A paragraph.
    Text(String),
}

/// A table of preformatted cells.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    /// The column of free text (a mention, an alert's summary), which a page lays out on a
    /// line of its own.
    pub prose: Option<usize>,
}

impl Table {
    fn new(header: Vec<&'static str>, rows: Vec<Vec<String>>) -> Table {
        Table { header, rows, prose: None }
    }
}

fn section(heading: impl Into<String>, blocks: Vec<Block>) -> Section {
    Section { heading: heading.into(), blocks }
}

fn day(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn minute(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

impl Document {
    /// The sections of `r`, in the order every format shows them.
    pub(crate) fn of(r: &Report) -> Document {
        let a = &r.audit;
        let mut sections = vec![key_figures(r), volume_and_sentiment(r), share_of_voice(r)];
        for (heading, terms) in [("Significant words", &a.terms), ("Significant hashtags", &a.hashtags)] {
            sections.push(significant_terms(heading, terms));
        }
        sections.push(section("Most active authors", vec![Block::Table(active_authors(&a.authors))]));
        sections.push(section("Key nodes", vec![Block::Table(key_nodes(&r.key_nodes))]));
        for (heading, list) in
            [("Most engaging positive mentions", &a.top_positive), ("Most engaging negative mentions", &a.top_negative)]
        {
            sections.push(section(heading, vec![Block::Table(notable_mentions(list))]));
        }
        sections.push(alerts(r));
        Document {
            title: r.title.clone(),
            from: day(a.period.from),
            to: day(a.period.to),
            workspace: r.workspace.clone(),
            generated: r.generated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            sections,
        }
    }
}

fn key_figures(r: &Report) -> Section {
    let a = &r.audit;
    let s = &a.sentiment;
    let peak = a.peak_day.map_or_else(|| "-".to_string(), |p| format!("{} ({} mentions)", day(p.day), p.count));
    let figures = vec![
        ("Mentions", a.volume.count.to_string()),
        ("Previous period", a.volume.previous.to_string()),
        ("Change", r.volume_change()),
        ("Net sentiment", format!("{:+.1}", s.net_sentiment)),
        (
            "Positive / neutral / negative",
            format!("{} / {} / {}", s.counts.positive, s.counts.neutral, s.counts.negative),
        ),
        ("Share of voice", r.brand_share()),
        ("Peak day", peak),
    ];
    section("Key figures", vec![Block::Figures(figures)])
}

fn volume_and_sentiment(r: &Report) -> Section {
    let trend = &r.audit.sentiment.trend;
    let days = Table::new(
        vec!["Day", "Mentions", "Positive", "Negative", "Net"],
        trend
            .iter()
            .map(|d| {
                vec![
                    day(d.start),
                    d.total.to_string(),
                    d.positive.to_string(),
                    d.negative.to_string(),
                    format!("{:+.1}", d.net_sentiment),
                ]
            })
            .collect(),
    );
    section(
        "Volume and sentiment",
        vec![
            Block::Chart { chart: chart::daily_volume(trend), data: Some(days) },
            Block::Chart { chart: chart::net_sentiment(trend), data: None },
        ],
    )
}

fn share_of_voice(r: &Report) -> Section {
    let sov = &r.audit.share_of_voice;
    let table = Table::new(
        vec!["Watch", "Kind", "Mentions", "Share", "Net sentiment"],
        sov.watches
            .iter()
            .map(|w| {
                vec![
                    w.watch.clone(),
                    w.kind.map_or("", |k| k.as_str()).to_string(),
                    w.count.to_string(),
                    format!("{:.1} %", w.share),
                    format!("{:+.1}", w.sentiment.net_sentiment),
                ]
            })
            .collect(),
    );
    section(
        "Share of voice",
        vec![Block::Chart { chart: chart::share_of_voice(sov, &r.audit.watch), data: None }, Block::Table(table)],
    )
}

fn significant_terms(heading: &str, terms: &[SignificantTerm]) -> Section {
    let table = Table::new(
        vec!["Term", "Mentions", "Before", "Score"],
        terms
            .iter()
            .map(|t| vec![t.term.clone(), t.count.to_string(), t.baseline_count.to_string(), format!("{:.1}", t.score)])
            .collect(),
    );
    section(format!("{heading} (against the previous period)"), vec![Block::Table(table)])
}

fn active_authors(authors: &[AuthorStats]) -> Table {
    Table::new(
        vec!["Author", "Mentions", "Engagement", "Followers"],
        authors
            .iter()
            .map(|x| {
                vec![
                    format!("@{}", x.author),
                    x.mentions.to_string(),
                    x.engagement.to_string(),
                    x.followers.to_string(),
                ]
            })
            .collect(),
    )
}

fn key_nodes(nodes: &[AuthorStats]) -> Table {
    Table::new(
        vec!["Author", "Key-node score", "Mentions", "Followers"],
        nodes
            .iter()
            .map(|k| {
                let score = k.max_key_node.map_or_else(|| "-".to_string(), |s| format!("{s:.2}"));
                vec![format!("@{}", k.author), score, k.mentions.to_string(), k.followers.to_string()]
            })
            .collect(),
    )
}

fn notable_mentions(list: &[NotableMention]) -> Table {
    Table {
        header: vec!["When", "Author", "Engagement", "Text"],
        rows: list
            .iter()
            .map(|m| vec![minute(m.created_at), format!("@{}", m.author), m.engagement.to_string(), m.text.clone()])
            .collect(),
        prose: Some(3),
    }
}

fn alerts(r: &Report) -> Section {
    if r.alerts.is_empty() {
        return section("Alerts of the period", vec![Block::Text("No alert.".into())]);
    }
    let table = Table {
        header: vec!["Started", "Watch", "Rule", "Severity", "State", "Summary"],
        rows: r
            .alerts
            .iter()
            .map(|al| {
                vec![
                    minute(al.starts_at),
                    al.watch.clone(),
                    al.rule.clone(),
                    al.severity.clone(),
                    al.state.clone(),
                    al.summary.clone(),
                ]
            })
            .collect(),
        prose: Some(5),
    };
    section("Alerts of the period", vec![Block::Table(table)])
}

#[cfg(test)]
mod tests {
    use veille_config::{ReportFormat, ReportPeriod};
    use veille_index::MentionIndex;
    use veille_model::{Author, Checkpoint, Mention, Platform, WatchKind, WatchMatch};

    use super::*;
    use crate::{AlertEntry, ReportRequest};

    /// A week of mentions of `acme` and `globex`, reported on `acme`, with one alert.
    fn report() -> Report {
        let dir = tempfile::tempdir().unwrap();
        let index = MentionIndex::open(dir.path()).unwrap();
        let mut writer = index.writer(&Default::default()).unwrap();
        for i in 0..12 {
            let (watch, kind) = if i % 3 == 0 { ("globex", WatchKind::Competitor) } else { ("acme", WatchKind::Brand) };
            let when = veille_model::parse_timestamp(&format!("2026-01-0{}T{:02}:00:00Z", 5 + i % 4, 8 + i)).unwrap();
            let author = Author { handle: format!("fan{}", i % 5), ..Default::default() };
            let mut m = Mention::new(Platform::X, i.to_string(), format!("{watch} | #trip {i}"), when, author);
            m.tags.push(WatchMatch { watch: watch.into(), kind, hits: vec![] });
            writer.upsert(&m).unwrap();
        }
        writer.commit(&Checkpoint::default()).unwrap();
        index.reload().unwrap();
        let until = veille_model::parse_timestamp("2026-01-13T00:00:00Z").unwrap();
        let request = ReportRequest::new("default", "acme", ReportPeriod::Weekly, until);
        let mut r = Report::gather(&index, &request, &[]).unwrap();
        r.alerts.push(AlertEntry {
            watch: "acme".into(),
            rule: "volume_spike".into(),
            severity: "warning".into(),
            state: "firing".into(),
            starts_at: until,
            ends_at: None,
            summary: "Acme | three times its usual volume".into(),
        });
        r
    }

    /// Whether `needles` occur in `haystack` one after the other, failing on one missing.
    fn in_order(format: &str, haystack: &str, needles: &[String]) {
        let mut from = 0;
        for n in needles {
            let at = haystack[from..].find(n.as_str());
            from += at.unwrap_or_else(|| panic!("{format}: no `{n}` after byte {from}: {haystack}")) + n.len();
        }
    }

    #[test]
    fn every_format_shows_every_section_in_the_same_order() {
        let r = report();
        let headings: Vec<String> = Document::of(&r).sections.into_iter().map(|s| s.heading).collect();
        assert_eq!(headings.first().map(String::as_str), Some("Key figures"));
        assert_eq!(headings.last().map(String::as_str), Some("Alerts of the period"));
        let render = |f| String::from_utf8_lossy(&r.render(f).unwrap()).into_owned();
        let md = render(ReportFormat::Md);
        let html = render(ReportFormat::Html);
        let pdf = render(ReportFormat::Pdf);
        for (format, text, needles) in [
            ("md", &md, headings.iter().map(|h| format!("## {h}\n")).collect::<Vec<_>>()),
            ("html", &html, headings.iter().map(|h| format!("<h2>{h}</h2>")).collect()),
            ("pdf", &pdf, headings.iter().map(|h| format!("({h}) Tj")).collect()),
        ] {
            in_order(format, text, &needles);
        }
    }

    #[test]
    fn the_same_figures_and_rows_reach_every_format() {
        let r = report();
        let md = String::from_utf8(r.render(ReportFormat::Md).unwrap()).unwrap();
        let html = String::from_utf8(r.render(ReportFormat::Html).unwrap()).unwrap();
        let pdf = String::from_utf8_lossy(&r.render(ReportFormat::Pdf).unwrap()).into_owned();
        let mentions = r.audit.volume.count.to_string();
        assert!(md.contains(&format!("| Mentions | {mentions} |")), "{md}");
        assert!(html.contains(&format!("<div class=\"figure\">Mentions<b>{mentions}</b></div>")), "{html}");
        assert!(pdf.contains("(Previous period) Tj"), "the PDF lists the previous period too");
        // Markdown keeps the pipe of a summary inside its cell; HTML escapes nothing it needs not.
        assert!(md.contains("| Acme \\| three times its usual volume |"), "{md}");
        assert!(html.contains("<td>Acme | three times its usual volume</td>"), "{html}");
        assert!(pdf.contains("(Acme | three times its usual volume) Tj"), "the alert is listed in the PDF");
    }

    #[test]
    fn charts_give_way_to_their_data_in_markdown_only() {
        let r = report();
        let md = String::from_utf8(r.render(ReportFormat::Md).unwrap()).unwrap();
        let html = String::from_utf8(r.render(ReportFormat::Html).unwrap()).unwrap();
        assert!(md.contains("| Day | Mentions | Positive | Negative | Net |"), "{md}");
        assert!(!md.contains("<svg"));
        assert_eq!(html.matches("<svg").count(), 3, "daily volume, net sentiment, share of voice");
        assert!(!html.contains("<th>Day</th>"), "the page draws the days instead of listing them");
    }
}
