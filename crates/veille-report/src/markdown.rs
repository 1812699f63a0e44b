//! The report as Markdown: headings, figures and tables; charts give way to their data.

use std::fmt::Write;

use crate::sections::{Block, Document, Table};

/// Keeps a table cell on one line and its pipes from splitting it.
pub(crate) fn cell(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let short: String = one_line.chars().take(160).collect();
    let short = if one_line.chars().count() > 160 { format!("{short}…") } else { short };
    short.replace('|', "\\|")
}

fn row<'a>(out: &mut String, cells: impl IntoIterator<Item = &'a str>) {
    out.push('|');
    for c in cells {
        let _ = write!(out, " {} |", cell(c));
    }
    out.push('\n');
}

fn table(out: &mut String, t: &Table) {
    row(out, t.header.iter().copied());
    let _ = writeln!(out, "|{}", "---|".repeat(t.header.len()));
    for r in &t.rows {
        row(out, r.iter().map(String::as_str));
    }
}

/// The block as Markdown, or `None` when Markdown shows nothing of it (a chart without data).
fn block(b: &Block) -> Option<String> {
    let mut out = String::new();
    match b {
        Block::Figures(figures) => {
            out.push_str("| Figure | Value |\n|---|---|\n");
            for (label, value) in figures {
                row(&mut out, [*label, value.as_str()]);
            }
        }
        Block::Chart { data, .. } => table(&mut out, data.as_ref()?),
        Block::Table(t) => table(&mut out, t),
        Block::Text(text) => {
            let _ = writeln!(out, "{text}");
        }
    }
    Some(out)
}

pub(crate) fn render(doc: &Document) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", doc.title);
    let _ = writeln!(
        out,
        "Period: {} to {} (UTC), workspace `{}`. Generated {}.\n",
        doc.from, doc.to, doc.workspace, doc.generated
    );
    for (i, s) in doc.sections.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "## {}\n", s.heading);
        let blocks: Vec<String> = s.blocks.iter().filter_map(block).collect();
        out.push_str(&blocks.join("\n"));
    }
    out
}
