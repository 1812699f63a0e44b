//! The report as a PDF: A4 pages of text in the standard Helvetica font and the same charts
//! as the HTML page, drawn as vector paths. Pure Rust, no external program.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use crate::chart::{self, Anchor, Chart, Color, Shape, INK};
use crate::Report;

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 50.0;
const FONT: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

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
            self.text_at(MARGIN + x, y, 8.5, FONT, text);
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

fn body(r: &Report) -> Vec<Vec<u8>> {
    let a = &r.audit;
    let mut p = Pages::new();
    p.line(18.0, BOLD, &r.title);
    p.line(
        9.0,
        FONT,
        &format!(
            "{} to {} (UTC), workspace {}. Generated {}.",
            a.period.from.format("%Y-%m-%d"),
            a.period.to.format("%Y-%m-%d"),
            r.workspace,
            r.generated_at.format("%Y-%m-%d %H:%M UTC")
        ),
    );
    p.heading("Key figures");
    let peak =
        a.peak_day.map_or_else(|| "-".to_string(), |d| format!("{} ({} mentions)", d.day.format("%Y-%m-%d"), d.count));
    for (label, value) in [
        ("Mentions", format!("{} (previous period {})", a.volume.count, a.volume.previous)),
        ("Change", r.volume_change()),
        ("Net sentiment", format!("{:+.1}", a.sentiment.net_sentiment)),
        (
            "Positive / neutral / negative",
            format!(
                "{} / {} / {}",
                a.sentiment.counts.positive, a.sentiment.counts.neutral, a.sentiment.counts.negative
            ),
        ),
        ("Share of voice", r.brand_share()),
        ("Peak day", peak),
    ] {
        p.row(&[(0.0, label.to_string()), (170.0, value)]);
    }
    p.heading("Volume and sentiment");
    p.chart(&chart::daily_volume(&a.sentiment.trend));
    p.chart(&chart::net_sentiment(&a.sentiment.trend));
    p.heading("Share of voice");
    p.chart(&chart::share_of_voice(&a.share_of_voice, &a.watch));
    for (title, terms) in [("Significant words", &a.terms), ("Significant hashtags", &a.hashtags)] {
        p.heading(&format!("{title} (against the previous period)"));
        p.row(&[(0.0, "Term".into()), (200.0, "Mentions".into()), (280.0, "Before".into()), (360.0, "Score".into())]);
        for t in terms {
            p.row(&[
                (0.0, shorten(&t.term, 40)),
                (200.0, t.count.to_string()),
                (280.0, t.baseline_count.to_string()),
                (360.0, format!("{:.1}", t.score)),
            ]);
        }
    }
    p.heading("Most active authors");
    p.row(&[
        (0.0, "Author".into()),
        (200.0, "Mentions".into()),
        (280.0, "Engagement".into()),
        (380.0, "Followers".into()),
    ]);
    for x in &a.authors {
        p.row(&[
            (0.0, format!("@{}", shorten(&x.author, 40))),
            (200.0, x.mentions.to_string()),
            (280.0, x.engagement.to_string()),
            (380.0, x.followers.to_string()),
        ]);
    }
    p.heading("Key nodes");
    for k in &r.key_nodes {
        let score = k.max_key_node.map_or_else(|| "-".to_string(), |s| format!("{s:.2}"));
        p.row(&[
            (0.0, format!("@{}", shorten(&k.author, 40))),
            (200.0, score),
            (280.0, format!("{} followers", k.followers)),
        ]);
    }
    for (title, list) in
        [("Most engaging positive mentions", &a.top_positive), ("Most engaging negative mentions", &a.top_negative)]
    {
        p.heading(title);
        for m in list {
            p.row(&[(
                0.0,
                format!(
                    "{} @{} ({} engagements)",
                    m.created_at.format("%Y-%m-%d %H:%M"),
                    shorten(&m.author, 30),
                    m.engagement
                ),
            )]);
            p.row(&[(12.0, shorten(&m.text, 105))]);
        }
    }
    p.heading("Alerts of the period");
    if r.alerts.is_empty() {
        p.line(9.0, FONT, "No alert.");
    }
    for al in &r.alerts {
        p.row(&[(
            0.0,
            format!(
                "{} {} {} ({}, {})",
                al.starts_at.format("%Y-%m-%d %H:%M"),
                al.watch,
                al.rule,
                al.severity,
                al.state
            ),
        )]);
        p.row(&[(12.0, shorten(&al.summary, 105))]);
    }
    p.finish()
}

pub(crate) fn render(r: &Report) -> Vec<u8> {
    let pages = body(r);
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
