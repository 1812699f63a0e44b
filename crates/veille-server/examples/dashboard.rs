//! Serves the dashboard over a small index of made-up mentions, and keeps
//! adding one every second so the live stream moves.
//!
//! ```text
//! cargo run -p veille-server --example dashboard -- 127.0.0.1:7700
//! ```
//! then open <http://127.0.0.1:7700/>. Without the pipeline there are no alerts
//! nor key nodes: the page says so, and shows everything else.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use veille_index::MentionIndex;
use veille_model::{
    Author, Checkpoint, Mention, Platform, Scores, Sentiment, SentimentLabel, TermHit, WatchKind, WatchMatch,
};
use veille_server::AppState;

/// What the made-up mentions say, with their sentiment.
const LINES: &[(&str, f64)] = &[
    ("Loving the new {} app, checkout is so fast now", 0.8),
    ("{} support answered in five minutes, impressed", 0.6),
    ("Is {} down again? Cannot log in since this morning", -0.5),
    ("Third delayed delivery from {} this month, I want a refund", -0.7),
    ("{} announced a new store in Lyon", 0.0),
    ("Comparing {} prices before the holidays", 0.05),
];

/// The `n`th made-up mention, published `ago` before now.
fn made_up(n: u64, ago: TimeDelta) -> Mention {
    let brand = if n.is_multiple_of(3) {
        ("Globex", "globex", WatchKind::Competitor)
    } else {
        ("Acme", "acme", WatchKind::Brand)
    };
    let (template, compound) = LINES[(n % LINES.len() as u64) as usize];
    let text = template.replace("{}", brand.0);
    let start = text.find(brand.0).unwrap_or(0);
    let platform = [Platform::X, Platform::Bluesky, Platform::Mastodon][(n % 7 % 3) as usize];
    let author =
        Author { handle: format!("user{}", n * 7919 % 97), followers: Some(n * 37 % 5000), ..Default::default() };
    let mut m = Mention::new(platform, format!("ex{n}"), text, Utc::now() - ago, author);
    m.lang = Some("en".into());
    m.tags.push(WatchMatch {
        watch: brand.1.into(),
        kind: brand.2,
        hits: vec![TermHit { term: brand.0.into(), start, end: start + brand.0.len() }],
    });
    m.scores = Scores {
        sentiment: Some(Sentiment {
            label: SentimentLabel::from_compound(compound),
            compound,
            positive: compound.max(0.0),
            neutral: 1.0 - compound.abs(),
            negative: (-compound).max(0.0),
            lang: Some("en".into()),
            scorer: "example".into(),
            brands: Vec::new(),
        }),
        key_node: None,
    };
    m
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7700".into());
    let dir = tempfile::tempdir()?;
    let index = MentionIndex::open(dir.path())?;
    let mut writer = index.writer(&Default::default())?;

    // A day of history: one mention every 40 seconds, busier in the evening.
    let mut n = 0;
    for step in 0..2_160u64 {
        let ago = TimeDelta::seconds((step * 40) as i64);
        let extra = if (step / 90) % 24 < 4 { 2 } else { 1 };
        for _ in 0..extra {
            writer.upsert(&made_up(n, ago))?;
            n += 1;
        }
    }
    writer.commit(&Checkpoint::default())?;
    index.reload()?;

    let state = AppState::new(index.clone());
    state.set_ready(true);
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("dashboard at http://{}/ (Ctrl-C stops)", listener.local_addr()?);
    let server = tokio::spawn(veille_server::serve_app(listener, veille_server::router(state), None, async {
        let _ = tokio::signal::ctrl_c().await;
    }));

    // Live: a new mention every second.
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    while !server.is_finished() {
        ticker.tick().await;
        writer.upsert(&made_up(n, TimeDelta::zero()))?;
        writer.commit(&Checkpoint::default())?;
        n += 1;
    }
    server.await??;
    Ok(())
}
