//! The report as one self-contained HTML page: inline CSS, charts as inline SVG.

use std::fmt::Write;

use crate::chart::{self, Anchor, Chart, Color, Shape};
use crate::Report;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

fn rgb((r, g, b): Color) -> String {
    format!("rgb({r},{g},{b})")
}

/// A chart as an SVG element.
pub(crate) fn svg(chart: &Chart) -> String {
    let mut out = format!(
        "<figure><figcaption>{}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\">",
        escape(&chart.title),
        escape(&chart.title),
        chart.width,
        chart.height,
        chart.width,
        chart.height
    );
    for shape in &chart.shapes {
        match shape {
            Shape::Rect { x, y, w, h, fill } => {
                let _ = write!(
                    out,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{}\"/>",
                    rgb(*fill)
                );
            }
            Shape::Line { points, stroke, width } => {
                let pts: Vec<String> = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                let _ = write!(
                    out,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{width}\"/>",
                    pts.join(" "),
                    rgb(*stroke)
                );
            }
            Shape::Text { x, y, size, text, anchor } => {
                let anchor = match anchor {
                    Anchor::Start => "start",
                    Anchor::Middle => "middle",
                    Anchor::End => "end",
                };
                let _ = write!(
                    out,
                    "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{size}\" text-anchor=\"{anchor}\">{}</text>",
                    escape(text)
                );
            }
        }
    }
    out.push_str("</svg></figure>\n");
    out
}

fn table(out: &mut String, header: &[&str], rows: Vec<Vec<String>>) {
    out.push_str("<table><thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for c in row {
            let _ = write!(out, "<td>{}</td>", escape(&c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222;padding:0 1em}\
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee}\
.figures{display:flex;flex-wrap:wrap;gap:1em}.figure{border:1px solid #ddd;border-radius:6px;padding:.6em 1em}\
.figure b{display:block;font-size:1.4em}figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:.3em}";

pub(crate) fn render(r: &Report) -> String {
    let a = &r.audit;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n<p>{} to {} (UTC), workspace <code>{}</code>. Generated {}.</p>\n",
        escape(&r.title),
        escape(&r.title),
        a.period.from.format("%Y-%m-%d"),
        a.period.to.format("%Y-%m-%d"),
        escape(&r.workspace),
        r.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    out.push_str("<div class=\"figures\">");
    let peak = a.peak_day.map_or_else(|| "-".to_string(), |p| format!("{} ({})", p.day.format("%Y-%m-%d"), p.count));
    for (label, value) in [
        ("Mentions", a.volume.count.to_string()),
        ("Change", r.volume_change()),
        ("Net sentiment", format!("{:+.1}", a.sentiment.net_sentiment)),
        ("Share of voice", r.brand_share()),
        ("Peak day", peak),
    ] {
        let _ = write!(out, "<div class=\"figure\">{}<b>{}</b></div>", escape(label), escape(&value));
    }
    out.push_str("</div>\n<h2>Volume and sentiment</h2>\n");
    out.push_str(&svg(&chart::daily_volume(&a.sentiment.trend)));
    out.push_str(&svg(&chart::net_sentiment(&a.sentiment.trend)));
    out.push_str("<h2>Share of voice</h2>\n");
    out.push_str(&svg(&chart::share_of_voice(&a.share_of_voice, &a.watch)));
    table(
        &mut out,
        &["Watch", "Kind", "Mentions", "Share", "Net sentiment"],
        a.share_of_voice
            .watches
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
    for (title, terms) in [("Significant words", &a.terms), ("Significant hashtags", &a.hashtags)] {
        let _ = writeln!(out, "<h2>{title} (against the previous period)</h2>");
        table(
            &mut out,
            &["Term", "Mentions", "Before", "Score"],
            terms
                .iter()
                .map(|t| {
                    vec![t.term.clone(), t.count.to_string(), t.baseline_count.to_string(), format!("{:.1}", t.score)]
                })
                .collect(),
        );
    }
    out.push_str("<h2>Most active authors</h2>\n");
    table(
        &mut out,
        &["Author", "Mentions", "Engagement", "Followers"],
        a.authors
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
    );
    out.push_str("<h2>Key nodes</h2>\n");
    table(
        &mut out,
        &["Author", "Key-node score", "Mentions", "Followers"],
        r.key_nodes
            .iter()
            .map(|k| {
                let score = k.max_key_node.map_or_else(|| "-".to_string(), |s| format!("{s:.2}"));
                vec![format!("@{}", k.author), score, k.mentions.to_string(), k.followers.to_string()]
            })
            .collect(),
    );
    for (title, list) in
        [("Most engaging positive mentions", &a.top_positive), ("Most engaging negative mentions", &a.top_negative)]
    {
        let _ = writeln!(out, "<h2>{title}</h2>");
        table(
            &mut out,
            &["When", "Author", "Engagement", "Text"],
            list.iter()
                .map(|m| {
                    vec![
                        m.created_at.format("%Y-%m-%d %H:%M").to_string(),
                        format!("@{}", m.author),
                        m.engagement.to_string(),
                        m.text.clone(),
                    ]
                })
                .collect(),
        );
    }
    out.push_str("<h2>Alerts of the period</h2>\n");
    if r.alerts.is_empty() {
        out.push_str("<p>No alert.</p>\n");
    } else {
        table(
            &mut out,
            &["Started", "Watch", "Rule", "Severity", "State", "Summary"],
            r.alerts
                .iter()
                .map(|al| {
                    vec![
                        al.starts_at.format("%Y-%m-%d %H:%M").to_string(),
                        al.watch.clone(),
                        al.rule.clone(),
                        al.severity.clone(),
                        al.state.clone(),
                        al.summary.clone(),
                    ]
                })
                .collect(),
        );
    }
    out.push_str("</body></html>\n");
    out
}
