//! The report as a PDF: A4 pages of text in the standard Helvetica font and the same charts
//! as the HTML page, drawn as vector paths. Pure Rust, no external program.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use crate::chart::{Anchor, Chart, Color, Shape, INK};
use crate::sections::{Block, Document, Table};

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 50.0;
const FONT: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
/// Width of the text on a page.
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN;
/// Room given to the first column of a table (names, terms).
const FIRST_COLUMN: f32 = 200.0;
/// Size of the text of table rows.
const ROW_SIZE: f32 = 8.5;

/// Text in the WinAnsi encoding of the standard fonts; characters it lacks become `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '–' => 0x96,
            '—' => 0x97,
            '\t' | '\n' | '\r' => b' ',
            _ => b'?',
        })
        .collect()
}

/// Rough width of Helvetica text: enough to right-align labels and cut long lines.
fn width(text: &str, size: f32) -> f32 {
    text.chars().count() as f32 * size * 0.5
}

fn shorten(text: &str, max_chars: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max_chars {
        one_line
    } else {
        format!("{}…", one_line.chars().take(max_chars.saturating_sub(1)).collect::<String>())
    }
}

fn fill(content: &mut Content, (r, g, b): Color) {
    content.set_fill_rgb(f32::from(r) / 255.0, f32::from(g) / 255.0, f32::from(b) / 255.0);
}

/// Pages being written, with a cursor going down the current one.
struct Pages {
    done: Vec<Vec<u8>>,
    content: Content,
    y: f32,
}

impl Pages {
    fn new() -> Self {
        Pages { done: Vec::new(), content: Content::new(), y: PAGE_H - MARGIN }
    }

    fn room(&mut self, height: f32) {
        if self.y - height < MARGIN {
            let full = std::mem::replace(&mut self.content, Content::new());
            self.done.push(full.finish().into_vec());
            self.y = PAGE_H - MARGIN;
        }
    }

    fn text_at(&mut self, x: f32, y: f32, size: f32, font: Name, text: &str) {
        fill(&mut self.content, INK);
        self.content.begin_text();
        self.content.set_font(font, size);
        self.content.next_line(x, y);
        self.content.show(Str(&win_ansi(text)));
        self.content.end_text();
    }

    fn line(&mut self, size: f32, font: Name, text: &str) {
        self.room(size * 1.5);
        self.y -= size * 1.4;
        let y = self.y;
        self.text_at(MARGIN, y, size, font, text);
    }

    fn heading(&mut self, text: &str) {
        self.room(40.0);
        self.y -= 8.0;
        self.line(13.0, BOLD, text);
        self.y -= 2.0;
    }

    fn row(&mut self, columns: &[(f32, String)]) {
        self.room(12.0);
        self.y -= 11.0;
        let y = self.y;
        for (x, text) in columns {
            self.text_at(MARGIN + x, y, ROW_SIZE, FONT, text);
        }
    }

    fn chart(&mut self, chart: &Chart) {
        self.room(chart.height + 20.0);
        self.line(10.0, BOLD, &chart.title);
        self.y -= 4.0;
        let top = self.y;
        let scale = (PAGE_W - 2.0 * MARGIN) / chart.width;
        let at = |x: f32, y: f32| (MARGIN + x * scale, top - y * scale);
        for shape in &chart.shapes {
            match shape {
                Shape::Rect { x, y, w, h, fill: color } => {
                    let (px, py) = at(*x, *y + *h);
                    fill(&mut self.content, *color);
                    self.content.rect(px, py, w * scale, h * scale);
                    self.content.fill_nonzero();
                }
                Shape::Line { points, stroke, width } => {
                    let (r, g, b) = *stroke;
                    self.content.set_stroke_rgb(f32::from(r) / 255.0, f32::from(g) / 255.0, f32::from(b) / 255.0);
                    self.content.set_line_width(width * scale);
                    for (i, (x, y)) in points.iter().enumerate() {
                        let (px, py) = at(*x, *y);
                        if i == 0 {
                            self.content.move_to(px, py);
                        } else {
                            self.content.line_to(px, py);
                        }
                    }
                    self.content.stroke();
                }
                Shape::Text { x, y, size, text, anchor } => {
                    let size = size * scale;
                    let shift = match anchor {
                        Anchor::Start => 0.0,
                        Anchor::Middle => width(text, size) / 2.0,
                        Anchor::End => width(text, size),
                    };
                    let (px, py) = at(*x, *y);
                    self.text_at(px - shift, py, size, FONT, text);
                }
            }
        }
        self.y = top - chart.height * scale - 6.0;
    }

    fn finish(mut self) -> Vec<Vec<u8>> {
        self.done.push(self.content.finish().into_vec());
        self.done
    }
}

/// Left edges of a table's `n` columns: a wide first one, the others evenly after it.
fn columns(n: usize) -> Vec<f32> {
    let step = if n > 1 { ((TEXT_W - FIRST_COLUMN) / (n - 1) as f32).min(90.0) } else { 0.0 };
    (0..n).map(|i| if i == 0 { 0.0 } else { FIRST_COLUMN + (i - 1) as f32 * step }).collect()
}

/// A table in columns, cells cut to their column; one with a free-text column as entries.
fn table(p: &mut Pages, t: &Table) {
    if let Some(prose) = t.prose {
        return entries(p, t, prose);
    }
    let xs = columns(t.header.len());
    let fits = |i: usize| {
        let right = xs.get(i + 1).copied().unwrap_or(TEXT_W);
        ((right - xs[i] - 6.0) / (ROW_SIZE * 0.5)).max(4.0) as usize
    };
    p.row(&xs.iter().zip(&t.header).map(|(x, h)| (*x, h.to_string())).collect::<Vec<_>>());
    for r in &t.rows {
        p.row(&xs.iter().zip(r).enumerate().map(|(i, (x, c))| (*x, shorten(c, fits(i)))).collect::<Vec<_>>());
    }
}

/// Each row as two lines: its short cells (labelled after the first), then its free text.
fn entries(p: &mut Pages, t: &Table, prose: usize) {
    for r in &t.rows {
        let head: Vec<String> = t
            .header
            .iter()
            .zip(r)
            .enumerate()
            .filter(|(i, _)| *i != prose)
            .map(|(i, (h, c))| if i == 0 { c.clone() } else { format!("{h}: {}", shorten(c, 30)) })
            .collect();
        p.row(&[(0.0, shorten(&head.join(" · "), 110))]);
        if let Some(text) = r.get(prose) {
            p.row(&[(12.0, shorten(text, 105))]);
        }
    }
}

fn body(doc: &Document) -> Vec<Vec<u8>> {
    let mut p = Pages::new();
    p.line(18.0, BOLD, &doc.title);
    p.line(
        9.0,
        FONT,
        &format!("{} to {} (UTC), workspace {}. Generated {}.", doc.from, doc.to, doc.workspace, doc.generated),
    );
    for s in &doc.sections {
        p.heading(&s.heading);
        for b in &s.blocks {
            match b {
                Block::Figures(figures) => {
                    for (label, value) in figures {
                        p.row(&[(0.0, label.to_string()), (170.0, value.clone())]);
                    }
                }
                Block::Chart { chart, .. } => p.chart(chart),
                Block::Table(t) => table(&mut p, t),
                Block::Text(text) => p.line(9.0, FONT, text),
            }
        }
    }
    p.finish()
}

pub(crate) fn render(doc: &Document) -> Vec<u8> {
    let pages = body(doc);
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let first_page = 5;
    let page_ids: Vec<Ref> = (0..pages.len()).map(|i| Ref::new(first_page + 2 * i as i32)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(pages.len() as i32);
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    for (i, content) in pages.iter().enumerate() {
        let id = page_ids[i];
        let content_id = Ref::new(id.get() + 1);
        let mut page = pdf.page(id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        resources.fonts().pair(FONT, regular).pair(BOLD, bold);
        resources.finish();
        page.finish();
        pdf.stream(content_id, content);
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_survive_and_the_rest_becomes_a_question_mark() {
        assert_eq!(win_ansi("été €"), vec![0xe9, b't', 0xe9, b' ', 0x80]);
        assert_eq!(win_ansi("日"), b"?".to_vec());
    }
}
