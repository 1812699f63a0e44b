//! The sentiment step: language, then the scorer configured for it.

use veille_model::Mention;
use veille_sentiment::SentimentAnalyzer;

use crate::Enricher;

/// Sets `scores.sentiment` (and `lang` when missing), with per-brand sentiment from the tags.
pub struct Sentiment {
    analyzer: SentimentAnalyzer,
}

impl Sentiment {
    /// A step scoring as `[sentiment]` says.
    pub fn new(config: &veille_config::SentimentConfig) -> Result<Self, veille_sentiment::SentimentError> {
        Ok(Sentiment { analyzer: SentimentAnalyzer::from_config(config)? })
    }
}

impl Enricher for Sentiment {
    fn name(&self) -> &'static str {
        "sentiment"
    }

    fn enrich(&mut self, mention: &mut Mention) {
        self.analyzer.enrich(mention);
    }
}
