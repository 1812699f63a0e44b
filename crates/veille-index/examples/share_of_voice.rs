//! Share of voice, sentiment and significant terms over a small index, step by step.
//!
//! Run: `cargo run -p veille-index --example share_of_voice`.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use chrono::{TimeDelta, TimeZone, Utc};
use veille_index::{MentionIndex, Scope, ShareOfVoiceRequest, SignificantTermsRequest, TermField};
use veille_model::{Author, Checkpoint, Mention, Platform, Sentiment, SentimentLabel, WatchKind, WatchMatch};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. An index in a temporary directory, with two weeks of mentions about a brand and a
    //    competitor. In the second week a refund complaint spreads about the brand.
    let dir = tempfile::tempdir()?;
    let index = MentionIndex::open(dir.path())?;
    let mut writer = index.writer(&Default::default())?;
    let monday = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("bad date")?;
    let posts = [
        (0, "Acme crew were lovely", "acme", WatchKind::Brand, 0.6),
        (1, "Globex seats are comfy", "globex", WatchKind::Competitor, 0.4),
        (2, "Acme on time as usual", "acme", WatchKind::Brand, 0.2),
        (8, "Acme refund refused #refund", "acme", WatchKind::Brand, -0.7),
        (9, "Still no refund from Acme #refund", "acme", WatchKind::Brand, -0.5),
        (10, "Globex refund in two days", "globex", WatchKind::Competitor, 0.5),
    ];
    for (i, (day, text, watch, kind, compound)) in posts.into_iter().enumerate() {
        let author = Author { handle: format!("author{i}"), ..Default::default() };
        let mut m = Mention::new(Platform::X, i.to_string(), text, monday + TimeDelta::days(day), author);
        // The matcher and the sentiment scorer set these in the pipeline.
        m.tags.push(WatchMatch { watch: watch.into(), kind, hits: vec![] });
        m.scores.sentiment = Some(Sentiment {
            label: SentimentLabel::from_compound(compound),
            compound,
            positive: 0.0,
            neutral: 0.0,
            negative: 0.0,
            lang: None,
            scorer: "example".into(),
            brands: vec![],
        });
        writer.upsert(&m)?;
    }
    writer.commit(&Checkpoint::default())?;
    index.reload()?;

    // 2. Every aggregation takes a scope: a workspace, a query and a time range.
    let second_week =
        Scope::new("default", "").between(Some(monday + TimeDelta::days(7)), Some(monday + TimeDelta::days(14)));

    // 3. Share of voice compares the brand and competitor watches found in the scope.
    let sov = index.share_of_voice(&ShareOfVoiceRequest { scope: second_week.clone(), ..Default::default() })?;
    for w in &sov.watches {
        println!(
            "{:<8} {:>3} mentions  {:>5.1} %  net sentiment {:+.0}",
            w.watch, w.count, w.share, w.sentiment.net_sentiment
        );
    }

    // 4. The sentiment of the brand's mentions only: the scope narrowed by a query.
    let acme = index.sentiment(&second_week.and("watch:acme"), Some("1d"))?;
    println!("acme: {} mentions, net sentiment {:+.0}", acme.total, acme.net_sentiment);

    // 5. Words that are new this week compared with the week before.
    let mut terms = SignificantTermsRequest::new(
        "default",
        "",
        monday + TimeDelta::days(7),
        monday + TimeDelta::days(14),
        TermField::Text,
    );
    terms.min_count = 2;
    for t in index.significant_terms(&terms)?.terms {
        println!(
            "significant: {:<8} {} this week, {} the week before (G² {:.1})",
            t.term, t.count, t.baseline_count, t.score
        );
    }
    Ok(())
}
