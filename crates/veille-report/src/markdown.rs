//! The report as Markdown: headings, figures and tables, no charts.

use std::fmt::Write;

use crate::Report;

/// Keeps a table cell on one line and its pipes from splitting it.
pub(crate) fn cell(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let short: String = one_line.chars().take(160).collect();
    let short = if one_line.chars().count() > 160 { format!("{short}…") } else { short };
    short.replace('|', "\\|")
}

pub(crate) fn render(r: &Report) -> String {
    let a = &r.audit;
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", r.title);
    let _ = writeln!(
        out,
        "Period: {} to {} (UTC), workspace `{}`. Generated {}.\n",
        a.period.from.format("%Y-%m-%d"),
        a.period.to.format("%Y-%m-%d"),
        r.workspace,
        r.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(out, "## Key figures\n\n| Figure | Value |\n|---|---|");
    let _ = writeln!(out, "| Mentions | {} |", a.volume.count);
    let _ = writeln!(out, "| Previous period | {} |", a.volume.previous);
    let _ = writeln!(out, "| Change | {} |", r.volume_change());
    let _ = writeln!(out, "| Net sentiment | {:+.1} |", a.sentiment.net_sentiment);
    let _ = writeln!(
        out,
        "| Positive / neutral / negative | {} / {} / {} |",
        a.sentiment.counts.positive, a.sentiment.counts.neutral, a.sentiment.counts.negative
    );
    let _ = writeln!(out, "| Share of voice | {} |", r.brand_share());
    if let Some(p) = &a.peak_day {
        let _ = writeln!(out, "| Peak day | {} ({} mentions) |", p.day.format("%Y-%m-%d"), p.count);
    }
    let _ = writeln!(
        out,
        "\n## Share of voice\n\n| Watch | Kind | Mentions | Share | Net sentiment |\n|---|---|---|---|---|"
    );
    for w in &a.share_of_voice.watches {
        let kind = w.kind.map_or("", |k| k.as_str());
        let _ = writeln!(
            out,
            "| {} | {kind} | {} | {:.1} % | {:+.1} |",
            cell(&w.watch),
            w.count,
            w.share,
            w.sentiment.net_sentiment
        );
    }
    let _ =
        writeln!(out, "\n## Mentions per day\n\n| Day | Mentions | Positive | Negative | Net |\n|---|---|---|---|---|");
    for d in &a.sentiment.trend {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:+.1} |",
            d.start.format("%Y-%m-%d"),
            d.total,
            d.positive,
            d.negative,
            d.net_sentiment
        );
    }
    for (title, terms) in [("Significant words", &a.terms), ("Significant hashtags", &a.hashtags)] {
        let _ = writeln!(
            out,
            "\n## {title} (against the previous period)\n\n| Term | Mentions | Before | Score |\n|---|---|---|---|"
        );
        for t in terms {
            let _ = writeln!(out, "| {} | {} | {} | {:.1} |", cell(&t.term), t.count, t.baseline_count, t.score);
        }
    }
    let _ =
        writeln!(out, "\n## Most active authors\n\n| Author | Mentions | Engagement | Followers |\n|---|---|---|---|");
    for au in &a.authors {
        let _ = writeln!(out, "| @{} | {} | {} | {} |", cell(&au.author), au.mentions, au.engagement, au.followers);
    }
    let _ = writeln!(out, "\n## Key nodes\n\n| Author | Key-node score | Mentions | Followers |\n|---|---|---|---|");
    for k in &r.key_nodes {
        let score = k.max_key_node.map_or_else(|| "-".to_string(), |s| format!("{s:.2}"));
        let _ = writeln!(out, "| @{} | {score} | {} | {} |", cell(&k.author), k.mentions, k.followers);
    }
    for (title, list) in
        [("Most engaging positive mentions", &a.top_positive), ("Most engaging negative mentions", &a.top_negative)]
    {
        let _ = writeln!(out, "\n## {title}\n\n| When | Author | Engagement | Text |\n|---|---|---|---|");
        for m in list {
            let _ = writeln!(
                out,
                "| {} | @{} | {} | {} |",
                m.created_at.format("%Y-%m-%d %H:%M"),
                cell(&m.author),
                m.engagement,
                cell(&m.text)
            );
        }
    }
    let _ = writeln!(out, "\n## Alerts of the period\n");
    if r.alerts.is_empty() {
        let _ = writeln!(out, "No alert.");
    } else {
        let _ = writeln!(out, "| Started | Watch | Rule | Severity | State | Summary |\n|---|---|---|---|---|---|");
        for al in &r.alerts {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                al.starts_at.format("%Y-%m-%d %H:%M"),
                cell(&al.watch),
                al.rule,
                al.severity,
                al.state,
                cell(&al.summary)
            );
        }
    }
    out
}
