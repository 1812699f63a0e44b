//! Charts as plain shapes in a box (origin top left, y down), drawn as SVG for HTML and as
//! vector paths for PDF from the same geometry.

use veille_index::{SentimentBucket, ShareOfVoice};

/// An RGB colour.
pub(crate) type Color = (u8, u8, u8);

pub(crate) const POSITIVE: Color = (46, 160, 67);
pub(crate) const NEUTRAL: Color = (160, 160, 160);
pub(crate) const NEGATIVE: Color = (207, 34, 46);
pub(crate) const UNSCORED: Color = (210, 210, 220);
pub(crate) const INK: Color = (40, 40, 40);
pub(crate) const BRAND: Color = (9, 105, 218);
pub(crate) const OTHERS: Color = (140, 149, 159);

/// Where a text's x refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

/// One element of a chart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    Rect { x: f32, y: f32, w: f32, h: f32, fill: Color },
    Line { points: Vec<(f32, f32)>, stroke: Color, width: f32 },
    Text { x: f32, y: f32, size: f32, text: String, anchor: Anchor },
}

/// A chart: a title and shapes in a `width` × `height` box.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Chart {
    pub title: String,
    pub width: f32,
    pub height: f32,
    pub shapes: Vec<Shape>,
}

const WIDTH: f32 = 480.0;
const LEFT: f32 = 40.0;
const BOTTOM: f32 = 24.0;
const TOP: f32 = 10.0;

/// Mentions per day, each bar stacked by sentiment.
pub(crate) fn daily_volume(days: &[SentimentBucket]) -> Chart {
    let height = 200.0;
    let plot_h = height - BOTTOM - TOP;
    let max = days.iter().map(|d| d.total).max().unwrap_or(0).max(1) as f32;
    let slot = (WIDTH - LEFT) / days.len().max(1) as f32;
    let bar = (slot * 0.8).max(1.0);
    let mut shapes = vec![
        Shape::Line {
            points: vec![(LEFT, TOP), (LEFT, height - BOTTOM), (WIDTH, height - BOTTOM)],
            stroke: INK,
            width: 0.8,
        },
        Shape::Text { x: LEFT - 4.0, y: TOP + 8.0, size: 8.0, text: format!("{}", max as u64), anchor: Anchor::End },
        Shape::Text { x: LEFT - 4.0, y: height - BOTTOM, size: 8.0, text: "0".into(), anchor: Anchor::End },
    ];
    for (i, d) in days.iter().enumerate() {
        let x = LEFT + i as f32 * slot + (slot - bar) / 2.0;
        let mut y = height - BOTTOM;
        let unscored = d.total.saturating_sub(d.positive + d.neutral + d.negative);
        for (count, fill) in
            [(d.negative, NEGATIVE), (d.neutral, NEUTRAL), (d.positive, POSITIVE), (unscored, UNSCORED)]
        {
            let h = plot_h * count as f32 / max;
            if h > 0.0 {
                y -= h;
                shapes.push(Shape::Rect { x, y, w: bar, h, fill });
            }
        }
        let every = (days.len() / 8).max(1);
        if i % every == 0 {
            shapes.push(Shape::Text {
                x: x + bar / 2.0,
                y: height - BOTTOM + 12.0,
                size: 7.0,
                text: d.start.format("%d/%m").to_string(),
                anchor: Anchor::Middle,
            });
        }
    }
    Chart { title: "Mentions per day, by sentiment".into(), width: WIDTH, height, shapes }
}

/// Net sentiment per day, as a line around the zero axis.
pub(crate) fn net_sentiment(days: &[SentimentBucket]) -> Chart {
    let height = 140.0;
    let mid = TOP + (height - BOTTOM - TOP) / 2.0;
    let half = (height - BOTTOM - TOP) / 2.0;
    let slot = (WIDTH - LEFT) / days.len().max(1) as f32;
    let points: Vec<(f32, f32)> = days
        .iter()
        .enumerate()
        .map(|(i, d)| (LEFT + (i as f32 + 0.5) * slot, mid - half * (d.net_sentiment as f32 / 100.0)))
        .collect();
    let mut shapes = vec![
        Shape::Line { points: vec![(LEFT, mid), (WIDTH, mid)], stroke: NEUTRAL, width: 0.6 },
        Shape::Line { points: vec![(LEFT, TOP), (LEFT, height - BOTTOM)], stroke: INK, width: 0.8 },
        Shape::Text { x: LEFT - 4.0, y: TOP + 8.0, size: 8.0, text: "+100".into(), anchor: Anchor::End },
        Shape::Text { x: LEFT - 4.0, y: mid + 3.0, size: 8.0, text: "0".into(), anchor: Anchor::End },
        Shape::Text { x: LEFT - 4.0, y: height - BOTTOM, size: 8.0, text: "-100".into(), anchor: Anchor::End },
    ];
    if points.len() > 1 {
        shapes.push(Shape::Line { points, stroke: BRAND, width: 1.6 });
    } else if let Some(&(x, y)) = points.first() {
        shapes.push(Shape::Rect { x: x - 2.0, y: y - 2.0, w: 4.0, h: 4.0, fill: BRAND });
    }
    Chart { title: "Net sentiment per day (positive minus negative, % of scored)".into(), width: WIDTH, height, shapes }
}

/// Share of voice, one horizontal bar per watch; the brand's bar stands out.
pub(crate) fn share_of_voice(sov: &ShareOfVoice, brand: &str) -> Chart {
    let row = 18.0;
    let label_w = 110.0;
    let height = TOP + row * sov.watches.len().max(1) as f32 + 6.0;
    let mut shapes = Vec::new();
    for (i, w) in sov.watches.iter().enumerate() {
        let y = TOP + i as f32 * row;
        let bar = (WIDTH - label_w - 50.0) * (w.share as f32 / 100.0);
        let fill = if w.watch == brand { BRAND } else { OTHERS };
        shapes.push(Shape::Text {
            x: label_w - 6.0,
            y: y + 11.0,
            size: 9.0,
            text: w.watch.clone(),
            anchor: Anchor::End,
        });
        shapes.push(Shape::Rect { x: label_w, y: y + 2.0, w: bar.max(0.5), h: row - 6.0, fill });
        shapes.push(Shape::Text {
            x: label_w + bar + 4.0,
            y: y + 11.0,
            size: 8.0,
            text: format!("{:.1} %", w.share),
            anchor: Anchor::Start,
        });
    }
    Chart { title: "Share of voice".into(), width: WIDTH, height, shapes }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn day(d: u32, positive: u64, negative: u64) -> SentimentBucket {
        SentimentBucket {
            start: Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).single().unwrap_or_default(),
            total: positive + negative,
            positive,
            neutral: 0,
            negative,
            net_sentiment: veille_index::net_sentiment(positive, 0, negative),
            mean_compound: None,
        }
    }

    #[test]
    fn the_busiest_day_fills_the_plot_height() {
        let chart = daily_volume(&[day(1, 2, 2), day(2, 0, 8)]);
        let tallest = chart
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Rect { h, .. } => Some(*h),
                _ => None,
            })
            .fold(0.0f32, f32::max);
        assert!((tallest - (200.0 - BOTTOM - TOP)).abs() < 1e-3, "{tallest}");
    }
}
