//! The report as one self-contained HTML page: inline CSS, charts as inline SVG.

use std::fmt::Write;

use crate::chart::{Anchor, Chart, Color, Shape};
use crate::sections::{Block, Document, Table};

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

fn table(out: &mut String, t: &Table) {
    out.push_str("<table><thead><tr>");
    for h in &t.header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &t.rows {
        out.push_str("<tr>");
        for c in row {
            let _ = write!(out, "<td>{}</td>", escape(c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

fn block(out: &mut String, b: &Block) {
    match b {
        Block::Figures(figures) => {
            out.push_str("<div class=\"figures\">");
            for (label, value) in figures {
                let _ = write!(out, "<div class=\"figure\">{}<b>{}</b></div>", escape(label), escape(value));
            }
            out.push_str("</div>\n");
        }
        Block::Chart { chart, .. } => out.push_str(&svg(chart)),
        Block::Table(t) => table(out, t),
        Block::Text(text) => {
            let _ = writeln!(out, "<p>{}</p>", escape(text));
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222;padding:0 1em}\
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee}\
.figures{display:flex;flex-wrap:wrap;gap:1em}.figure{border:1px solid #ddd;border-radius:6px;padding:.6em 1em}\
.figure b{display:block;font-size:1.4em}figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:.3em}";

pub(crate) fn render(doc: &Document) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n<p>{} to {} (UTC), workspace <code>{}</code>. Generated {}.</p>\n",
        escape(&doc.title),
        escape(&doc.title),
        doc.from,
        doc.to,
        escape(&doc.workspace),
        doc.generated
    );
    for s in &doc.sections {
        let _ = writeln!(out, "<h2>{}</h2>", escape(&s.heading));
        for b in &s.blocks {
            block(&mut out, b);
        }
    }
    out.push_str("</body></html>\n");
    out
}
