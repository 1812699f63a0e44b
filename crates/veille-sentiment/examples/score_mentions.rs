//! Enriching mentions with sentiment, from configuration to output.
//!
//! ```text
//! cargo run -p veille-sentiment --example score_mentions
//! ```
//!
//! A deployment describes its scorers in `[sentiment]`; the analyzer built
//! from it detects each mention's language when the platform gave none,
//! scores the text with that language's scorer, and scores each brand on
//! the sentences that name it when a mention names several.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use std::sync::Arc;

use chrono::Utc;
use veille_config::Config;
use veille_model::{Author, Mention, Platform, TermHit, WatchKind, WatchMatch};
use veille_sentiment::{LearnedScorer, Model, Scorer, SentimentAnalyzer, Vader};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The configuration: VADER for French, the shipped learned model
    //    for English.
    let config = Config::from_toml_str(
        r#"
        [sentiment]
        languages = ["en", "fr"]

        [sentiment.scorers.en]
        scorer = "learned"

        [sentiment.scorers.fr]
        scorer = "vader"
        "#,
        "example.toml",
    )?;
    let analyzer = SentimentAnalyzer::from_config(&config.sentiment)?;

    // 2. A mention naming two brands, with the hits the matcher found.
    let text = "Loving my new Acme phone, the camera is superb. Rival's support was useless.";
    let mut mention =
        Mention::new(Platform::X, "1", text, Utc::now(), Author { handle: "ann".into(), ..Author::default() });
    let hit = |term: &str| {
        let start = text.find(term).unwrap_or(0);
        TermHit { term: term.to_string(), start, end: start + term.len() }
    };
    mention.tags = vec![
        WatchMatch { watch: "acme".into(), kind: WatchKind::Brand, hits: vec![hit("Acme")] },
        WatchMatch { watch: "rival".into(), kind: WatchKind::Competitor, hits: vec![hit("Rival")] },
    ];

    // 3. Enrichment fills the language and the scores in place.
    analyzer.enrich(&mut mention);
    println!("{}", serde_json::to_string_pretty(&mention.scores)?);
    println!("language: {:?}", mention.lang);

    // 4. Scorers also work alone, behind the same trait.
    let scorers: Vec<Arc<dyn Scorer>> =
        vec![Arc::new(Vader::french()), Arc::new(LearnedScorer::new(Model::builtin("fr")?))];
    for scorer in scorers {
        let s = scorer.score("Livraison en retard et colis abîmé, quelle déception");
        println!("{:>8}: {} ({:+.3})", scorer.name(), s.label.as_str(), s.compound);
    }
    Ok(())
}
