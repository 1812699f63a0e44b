//! The enrichment step: language detection, per-language scorers from the
//! configuration, and per-brand sentiment written into mentions.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use veille_config::sentiment::{LanguageScorer, ScorerKind, SentimentConfig};
use veille_model::{Author, Mention, Platform, SentimentLabel, TermHit, WatchKind, WatchMatch};
use veille_sentiment::{SentimentAnalyzer, SentimentError, Vader};

fn mention(text: &str) -> Mention {
    let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().expect("valid time");
    let author = Author { handle: "ann".into(), ..Author::default() };
    Mention::new(Platform::X, "1", text, at, author)
}

#[test]
fn enrichment_detects_language_and_scores_with_its_scorer() {
    let analyzer = SentimentAnalyzer::from_config(&SentimentConfig::default()).unwrap();
    let mut m = mention("Le service client est vraiment nul, je suis furieux");
    analyzer.enrich(&mut m);
    assert_eq!(m.lang.as_deref(), Some("fr"));
    let s = m.scores.sentiment.expect("scored");
    assert_eq!(s.lang.as_deref(), Some("fr"));
    assert_eq!(s.scorer, "learned", "the shipped model scores French by default");
    assert_eq!(s.label, SentimentLabel::Negative);
}

#[test]
fn english_is_scored_by_the_shipped_learned_model_by_default() {
    let analyzer = SentimentAnalyzer::from_config(&SentimentConfig::default()).unwrap();
    for (text, label) in [
        ("The support team fixed my order in minutes, brilliant service!", SentimentLabel::Positive),
        ("Third delayed flight this week, worst airline ever", SentimentLabel::Negative),
    ] {
        let mut m = mention(text);
        analyzer.enrich(&mut m);
        assert_eq!(m.lang.as_deref(), Some("en"), "{text}");
        let s = m.scores.sentiment.expect("scored");
        assert_eq!(s.scorer, "learned", "the shipped model scores English by default: {text}");
        assert_eq!(s.label, label, "{text}");
    }
}

#[test]
fn a_language_given_by_the_platform_is_kept() {
    let analyzer = SentimentAnalyzer::from_config(&SentimentConfig::default()).unwrap();
    let mut m = mention("great");
    m.lang = Some("fr".into());
    analyzer.enrich(&mut m);
    assert_eq!(m.lang.as_deref(), Some("fr"));
    assert_eq!(m.scores.sentiment.unwrap().lang.as_deref(), Some("fr"));
}

#[test]
fn mentions_in_a_language_without_scorer_stay_unscored() {
    let analyzer = SentimentAnalyzer::from_config(&SentimentConfig::default()).unwrap();
    let mut m = mention("Das ist großartig");
    m.lang = Some("de".into());
    analyzer.enrich(&mut m);
    assert!(m.scores.sentiment.is_none());
}

#[test]
fn disabled_sentiment_leaves_mentions_untouched() {
    let config = SentimentConfig { enabled: false, ..SentimentConfig::default() };
    let analyzer = SentimentAnalyzer::from_config(&config).unwrap();
    let mut m = mention("I love it");
    analyzer.enrich(&mut m);
    assert!(m.scores.sentiment.is_none() && m.lang.is_none());
}

#[test]
fn learned_scorers_come_from_the_shipped_model_or_a_file() {
    let mut config = SentimentConfig::default();
    let analyzer = SentimentAnalyzer::from_config(&config).unwrap();
    assert_eq!(analyzer.scorer("en").unwrap().name(), "learned");
    assert_eq!(analyzer.scorer("fr").unwrap().name(), "learned");
    config.scorers.insert("fr".into(), LanguageScorer { scorer: ScorerKind::Vader, model: None });
    let analyzer = SentimentAnalyzer::from_config(&config).unwrap();
    assert_eq!(analyzer.scorer("fr").unwrap().name(), "vader");

    config
        .scorers
        .insert("en".into(), LanguageScorer { scorer: ScorerKind::Learned, model: Some("/nonexistent/en.vsm".into()) });
    let e = SentimentAnalyzer::from_config(&config).unwrap_err();
    assert!(matches!(e, SentimentError::Io { .. }), "{e}");
}

#[test]
fn each_named_brand_gets_the_sentiment_of_its_sentences() {
    let analyzer = SentimentAnalyzer::new(&["en"], "en").unwrap().with_scorer("en", Arc::new(Vader::english()));
    let text = "Acme fixed my laptop in a day, brilliant service! Rival lost my order, awful.";
    let hit = |term: &str| {
        let start = text.find(term).unwrap();
        TermHit { term: term.into(), start, end: start + term.len() }
    };
    let mut m = mention(text);
    m.tags = vec![
        WatchMatch { watch: "acme".into(), kind: WatchKind::Brand, hits: vec![hit("Acme")] },
        WatchMatch { watch: "rival".into(), kind: WatchKind::Competitor, hits: vec![hit("Rival")] },
    ];
    analyzer.enrich(&mut m);
    let s = m.scores.sentiment.unwrap();
    let by_watch = |w: &str| s.brands.iter().find(|b| b.watch == w).unwrap().label;
    assert_eq!(by_watch("acme"), SentimentLabel::Positive);
    assert_eq!(by_watch("rival"), SentimentLabel::Negative);
}
