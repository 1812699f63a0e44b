//! A brand's own name is not an opinion about the brand: scorers read mentions with @handles and the
//! names of the watches that tagged them masked, and negation still reaches across the mask.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use chrono::{TimeZone, Utc};
use veille_config::Config;
use veille_match::Matcher;
use veille_model::{Author, Mention, Platform, SentimentLabel};
use veille_sentiment::mask::{sentiment_word_names, PLACEHOLDER};
use veille_sentiment::{Scorer, SentimentAnalyzer, Vader};

const CONFIG: &str = r##"
[[workspaces]]
name = "air"

[[workspaces.watches]]
name = "united"
kind = "brand"
terms = ["United Airlines", "United"]
handles = ["@united"]
hashtags = ["#UnitedAirlines"]
exclude = ["united front"]

[[workspaces.watches]]
name = "sage"
kind = "competitor"
terms = ["Sage"]

[[workspaces.watches]]
name = "crisis"
kind = "crisis"
terms = ["lost my bag"]

[sentiment.scorers.en]
scorer = "vader"

[sentiment.scorers.fr]
scorer = "vader"
"##;

fn config(sentiment: &str) -> Config {
    Config::from_toml_str(&CONFIG.replace("scorer = \"vader\"", sentiment), "masking.toml").expect("valid config")
}

/// A mention of the workspace, tagged by the config's watches.
fn tagged(config: &Config, text: &str) -> Mention {
    let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().expect("valid time");
    let author = Author { handle: "ann".into(), ..Author::default() };
    let mut m = Mention::new(Platform::X, "1", text, at, author);
    m.workspace = "air".into();
    Matcher::compile(config).expect("watches compile").tag(&mut m);
    m
}

fn score(analyzer: &SentimentAnalyzer, mention: &Mention) -> veille_model::Sentiment {
    let mut m = mention.clone();
    analyzer.enrich(&mut m);
    m.scores.sentiment.expect("scored")
}

#[test]
fn the_brand_name_never_makes_a_complaint_positive() {
    for scorer in ["learned", "vader"] {
        let config = config(&format!("scorer = \"{scorer}\""));
        let analyzer = SentimentAnalyzer::for_config(&config).unwrap();
        let m = tagged(&config, "United lost my bag");
        assert!(m.tags.iter().any(|t| t.watch == "united"), "tagged");
        let s = score(&analyzer, &m);
        assert_eq!(s.scorer, scorer);
        assert_eq!(s.label, SentimentLabel::Negative, "{scorer}: {s:?}");
        assert_eq!(m.text, "United lost my bag", "the mention's own text is unchanged");
        // The name, as a handle or a word, weighs what any other account's handle weighs: nothing.
        let plain = |text: &str| analyzer.score(text, Some("en")).expect("scored").compound;
        for text in ["@united thanks for nothing", "United thanks for nothing", "thanks for nothing @united"] {
            let masked = score(&analyzer, &tagged(&config, text)).compound;
            let other = text.replace("@united", "@someone").replace("United", "@someone");
            assert_eq!(masked, plain(&other), "{scorer}: {text}");
        }
    }
    // VADER reads "United" as praise (1.8): masking is what turns the complaint negative.
    let vader = Vader::english();
    assert_eq!(vader.score("United lost my bag").label, SentimentLabel::Positive);
    let config = config("scorer = \"vader\"");
    let analyzer = SentimentAnalyzer::for_config(&config).unwrap();
    let m = tagged(&config, "United lost my bag");
    assert_eq!(analyzer.scored_text(&m), format!("{PLACEHOLDER} lost my bag"));
    let m = tagged(&config, "@united thanks for nothing");
    assert!(score(&analyzer, &m).compound < vader.score(&m.text).compound, "the name no longer adds praise");
}

#[test]
fn every_name_of_a_tagging_watch_and_every_handle_is_masked_but_crisis_terms_are_not() {
    let config = config("scorer = \"vader\"");
    let analyzer = SentimentAnalyzer::for_config(&config).unwrap();
    let m = tagged(&config, "@united: UNITED AIRLINES lost my bag again, #UnitedAirlines cc @ann");
    assert_eq!(analyzer.scored_text(&m), "@user : @USER lost my bag again, @user cc @user");
    // A mention the brand watch does not tag keeps the word: it is not about the brand.
    let untagged = tagged(&config, "the united front of workers");
    assert!(untagged.tags.is_empty());
    assert_eq!(analyzer.scored_text(&untagged), "the united front of workers");
    // Masking off: scorers read the text as written.
    let raw = SentimentAnalyzer::for_config(&config).unwrap().with_masking(false);
    assert_eq!(raw.scored_text(&m), m.text);
}

#[test]
fn negation_boosters_and_but_reach_across_the_mask() {
    let config = config("scorer = \"vader\"");
    let analyzer = SentimentAnalyzer::for_config(&config).unwrap();
    let vader = Vader::english();
    let masked = |text: &str| score(&analyzer, &tagged(&config, text)).compound;
    // The placeholder is one plain word: the rules treat it as any other neutral word.
    let pairs = [
        ("United is not great", "Norbert is not great"),
        ("I really like United a lot", "I really like Norbert a lot"),
        ("United was late but the crew was lovely", "Norbert was late but the crew was lovely"),
    ];
    for (brand, plain) in pairs {
        assert_eq!(masked(brand), vader.score(plain).compound, "{brand}");
    }
    assert!(masked("United is not great") < 0.0);
}

#[test]
fn a_french_brand_that_is_a_french_sentiment_word_is_masked_in_french() {
    let config = config("scorer = \"vader\"");
    let analyzer = SentimentAnalyzer::for_config(&config).unwrap();
    let text = "Sage a encore planté pendant la clôture, la paie est bloquée";
    let m = tagged(&config, text);
    assert!(m.tags.iter().any(|t| t.watch == "sage"));
    let s = score(&analyzer, &m);
    assert_eq!(s.lang.as_deref(), Some("fr"));
    assert_eq!(analyzer.scored_text(&m), "@user a encore planté pendant la clôture, la paie est bloquée");
    // Unmasked, "sage" (wise, 2.1) makes the complaint positive.
    assert_eq!(Vader::french().score(text).label, SentimentLabel::Positive);
    assert_ne!(s.label, SentimentLabel::Positive, "{s:?}");
    let learned = SentimentAnalyzer::for_config(&config_learned_fr()).unwrap();
    assert_ne!(score(&learned, &m).label, SentimentLabel::Positive);
}

fn config_learned_fr() -> Config {
    config("scorer = \"learned\"")
}

#[test]
fn watch_names_that_are_sentiment_words_are_reported_with_their_valence() {
    let config = config("scorer = \"vader\"");
    let found: Vec<(String, String, String, f64)> =
        sentiment_word_names(&config).into_iter().map(|n| (n.watch, n.word, n.lang, n.valence)).collect();
    assert!(found.contains(&("united".into(), "united".into(), "en".into(), 1.8)), "{found:?}");
    assert!(found.contains(&("sage".into(), "sage".into(), "fr".into(), 2.1)), "{found:?}");
    assert!(found.iter().all(|f| f.0 != "crisis"), "crisis terms are opinion words on purpose");
    assert_eq!(found.iter().filter(|f| f.0 == "united" && f.2 == "en").count(), 1, "one notice per word");
    let message = sentiment_word_names(&config)[0].to_string();
    assert!(message.contains("watch `") && message.contains("valence"), "{message}");
}
