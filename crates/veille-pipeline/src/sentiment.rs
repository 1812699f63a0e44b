//! The sentiment step: language, then the scorer configured for it, reading the mention with its
//! @handles and the names of the watches that tagged it masked.

use veille_model::Mention;
use veille_sentiment::SentimentAnalyzer;

use crate::Enricher;

/// Sets `scores.sentiment` (and `lang` when missing), with per-brand sentiment from the tags.
pub struct Sentiment {
    analyzer: SentimentAnalyzer,
}

impl Sentiment {
    /// A step scoring as `[sentiment]` says, masking the names of the configuration's watches.
    ///
    /// Logs a warning for each watch name that is a sentiment word of a lexicon in use: it is
    /// masked in the mentions its watch tags, but reads as an opinion everywhere else.
    pub fn new(config: &veille_config::Config) -> Result<Self, veille_sentiment::SentimentError> {
        let analyzer = SentimentAnalyzer::for_config(config)?;
        if config.sentiment.mask {
            for name in veille_sentiment::mask::sentiment_word_names(config) {
                tracing::warn!(
                    workspace = %name.workspace,
                    watch = %name.watch,
                    term = %name.term,
                    word = %name.word,
                    valence = name.valence,
                    lang = %name.lang,
                    "{name}"
                );
            }
        }
        Ok(Sentiment { analyzer })
    }

    /// The analyzer this step scores with.
    pub fn analyzer(&self) -> &SentimentAnalyzer {
        &self.analyzer
    }
}

impl Enricher for Sentiment {
    fn name(&self) -> &'static str {
        "sentiment"
    }

    fn enrich(&mut self, mention: &mut Mention) {
        self.analyzer.enrich(mention);
    }

    fn fork(&self) -> Option<Box<dyn Enricher>> {
        Some(Box::new(Sentiment { analyzer: self.analyzer.clone() }))
    }
}
