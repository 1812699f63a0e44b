//! The sentiment step as configured: the default configuration scores English and French with the
//! learned models, and with the airline example each airline's mentions read as its customers wrote
//! them (the brand's own name masked), measured against the human labels of the airline data set.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use veille_config::Config;
use veille_model::{Author, Mention, Platform, SentimentLabel, WatchKind};
use veille_pipeline::{Enricher, Sentiment, Tagging};
use veille_sentiment::dataset::read_airline_rows;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn mention(text: &str, author: &str, at: DateTime<Utc>) -> Mention {
    let author = Author { handle: author.into(), ..Author::default() };
    Mention::new(Platform::X, "1", text, at, author)
}

#[test]
fn the_default_configuration_scores_english_and_french_mentions_with_the_learned_models() {
    let config = Config::load(&root().join("config/veille.toml")).expect("config/veille.toml loads");
    let mut step = Sentiment::new(&config).expect("the shipped models load");
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).single().expect("valid time");
    for (text, lang, label) in [
        ("The support team fixed my order in minutes, brilliant service!", "en", SentimentLabel::Positive),
        ("Le service client est nul, colis jamais reçu, je suis furieux", "fr", SentimentLabel::Negative),
    ] {
        let mut m = mention(text, "ann", at);
        step.enrich(&mut m);
        let s = m.scores.sentiment.expect("scored");
        assert_eq!((&*s.scorer, s.lang.as_deref()), ("learned", Some(lang)), "{text}");
        assert_eq!(s.label, label, "{text}");
    }
}

/// Spearman's rank correlation of two series without ties.
fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let ranks = |v: &[f64]| {
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0.0; v.len()];
        order.iter().enumerate().for_each(|(rank, &i)| r[i] = rank as f64);
        r
    };
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let d2: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - y) * (x - y)).sum();
    1.0 - 6.0 * d2 / (n * (n * n - 1.0))
}

/// Net sentiment in percent: positive share minus negative share.
fn net(counts: &[usize; 3]) -> f64 {
    let total: usize = counts.iter().sum();
    100.0 * (counts[2] as f64 - counts[0] as f64) / total.max(1) as f64
}

fn index(label: SentimentLabel) -> usize {
    match label {
        SentimentLabel::Negative => 0,
        SentimentLabel::Neutral => 1,
        SentimentLabel::Positive => 2,
    }
}

#[test]
fn each_airline_watch_reads_as_its_customers_did_with_the_default_scorer() {
    let csv = root().join("../shared/data/airline/Tweets.csv");
    if !csv.exists() {
        println!("skipped: ../shared/data not found");
        return;
    }
    let config = Config::load(&root().join("config/examples/airlines.toml")).expect("airline example loads");
    assert_eq!(config.sentiment, veille_config::SentimentConfig::default(), "the example keeps the default scorer");
    let mut tagging = Tagging::new(veille_match::Matcher::compile(&config).expect("watches compile"));
    let mut sentiment = Sentiment::new(&config).expect("scorers load");
    let (rows, _) = read_airline_rows(&csv).expect("airline CSV");
    // Per watch: human and scored label counts (negative, neutral, positive).
    let mut counts: BTreeMap<String, ([usize; 3], [usize; 3])> = BTreeMap::new();
    for row in &rows {
        let Ok(at) = DateTime::parse_from_str(row.created.trim(), "%Y-%m-%d %H:%M:%S %z") else { continue };
        let mut m = mention(&row.text, &row.author, at.with_timezone(&Utc));
        m.workspace = "airlines".into();
        tagging.enrich(&mut m);
        sentiment.enrich(&mut m);
        let scored = m.scores.sentiment.as_ref().map(|s| s.label);
        for tag in m.tags.iter().filter(|t| matches!(t.kind, WatchKind::Brand | WatchKind::Competitor)) {
            let entry = counts.entry(tag.watch.clone()).or_default();
            entry.0[index(row.label)] += 1;
            if let Some(label) = scored {
                entry.1[index(label)] += 1;
            }
        }
    }
    let airlines = ["united", "us-airways", "american", "southwest", "jetblue", "virgin-america"];
    let (mut human, mut scored) = (Vec::new(), Vec::new());
    for watch in airlines {
        let (h, s) = counts.get(watch).copied().unwrap_or_default();
        let (hn, sn) = (net(&h), net(&s));
        println!(
            "{watch:>15}: {:>5} mentions, human net {hn:+6.1}, scored net {sn:+6.1} ({s:?})",
            h.iter().sum::<usize>()
        );
        human.push(hn);
        scored.push(sn);
    }
    for ((watch, h), s) in airlines.iter().zip(&human).zip(&scored) {
        if *h < -15.0 {
            assert!(*s < 0.0, "{watch}: its customers are negative ({h:+.1}), the scorer says {s:+.1}");
        }
    }
    let rho = spearman(&human, &scored);
    println!("Spearman correlation of the six airlines' net sentiment: {rho:.3}");
    assert!(rho >= 0.8, "airlines ranked unlike their customers did: {rho:.3}");
}
