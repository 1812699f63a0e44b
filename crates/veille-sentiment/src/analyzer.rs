//! The enrichment step: language, sentiment and per-brand sentiment of a mention.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use veille_config::sentiment::{ScorerKind, SentimentConfig};
use veille_config::Config;
use veille_model::{Mention, Sentiment};

use crate::brand::brand_sentiments_reusing;
use crate::error::SentimentError;
use crate::lang::LanguageDetector;
use crate::learned::{LearnedScorer, Model};
use crate::mask::{handle_spans, mask_text, WatchTerms};
use crate::scorer::Scorer;
use crate::vader::Vader;

/// Scratch space of [`SentimentAnalyzer::enrich`], kept between mentions.
#[derive(Default)]
struct Scratch {
    spans: Vec<Range<usize>>,
    masked: String,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Picks a scorer per language and writes sentiment into mentions.
///
/// With masking on (the default), scorers read the mention with its
/// @handles, and the names of the brand, competitor and campaign watches
/// that tagged it, replaced by a neutral placeholder (see [`crate::mask`]).
#[derive(Clone)]
pub struct SentimentAnalyzer {
    enabled: bool,
    mask: bool,
    detector: LanguageDetector,
    fallback_lang: String,
    scorers: BTreeMap<String, Arc<dyn Scorer>>,
    watch_terms: Option<WatchTerms>,
}

impl std::fmt::Debug for SentimentAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scorers: BTreeMap<&str, &str> = self.scorers.iter().map(|(lang, s)| (lang.as_str(), s.name())).collect();
        f.debug_struct("SentimentAnalyzer")
            .field("enabled", &self.enabled)
            .field("mask", &self.mask)
            .field("watch_terms", &self.watch_terms.is_some())
            .field("fallback_lang", &self.fallback_lang)
            .field("scorers", &scorers)
            .finish()
    }
}

impl SentimentAnalyzer {
    /// An analyzer detecting among `languages`, assuming `fallback_lang`
    /// when detection finds nothing, with no scorer yet.
    pub fn new<S: AsRef<str>>(languages: &[S], fallback_lang: &str) -> Result<Self, SentimentError> {
        Ok(SentimentAnalyzer {
            enabled: true,
            mask: true,
            detector: LanguageDetector::new(languages)?,
            fallback_lang: fallback_lang.to_string(),
            scorers: BTreeMap::new(),
            watch_terms: None,
        })
    }

    /// Turns masking on (the default) or off: off, scorers read mentions as written.
    pub fn with_masking(mut self, on: bool) -> Self {
        self.mask = on;
        self
    }

    /// Masks the names of the brand, competitor and campaign watches of
    /// `terms` in the mentions they tag.
    pub fn with_watch_terms(mut self, terms: WatchTerms) -> Self {
        self.watch_terms = Some(terms);
        self
    }

    /// The analyzer of a whole configuration: `[sentiment]`, masking the
    /// names of its watches.
    pub fn for_config(config: &Config) -> Result<Self, SentimentError> {
        let analyzer = SentimentAnalyzer::from_config(&config.sentiment)?;
        if !analyzer.mask || config.workspaces.iter().all(|w| w.watches.is_empty()) {
            return Ok(analyzer);
        }
        Ok(analyzer.with_watch_terms(WatchTerms::from_config(config)?))
    }

    /// Sets the scorer of `lang` (ISO 639-1), replacing any previous one.
    pub fn with_scorer(mut self, lang: &str, scorer: Arc<dyn Scorer>) -> Self {
        self.scorers.insert(lang.to_string(), scorer);
        self
    }

    /// Builds the analyzer `[sentiment]` describes, loading model files.
    pub fn from_config(config: &SentimentConfig) -> Result<Self, SentimentError> {
        config.validate().map_err(|(key, reason)| SentimentError::Config { key, reason })?;
        let mut analyzer = SentimentAnalyzer::new(&config.languages, &config.fallback_lang)?;
        analyzer.enabled = config.enabled;
        analyzer.mask = config.mask;
        for (lang, choice) in &config.scorers {
            let scorer: Arc<dyn Scorer> = match (choice.scorer, &choice.model) {
                (ScorerKind::Vader, _) => Arc::new(Vader::for_lang(lang)?),
                (ScorerKind::Learned, Some(path)) => Arc::new(LearnedScorer::new(Model::load(path)?)),
                (ScorerKind::Learned, None) => Arc::new(LearnedScorer::new(Model::builtin(lang)?)),
            };
            analyzer = analyzer.with_scorer(lang, scorer);
        }
        Ok(analyzer)
    }

    /// The language of `text` (ISO 639-1), or `None` when it holds no
    /// letters to judge by.
    pub fn detect_lang(&self, text: &str) -> Option<&'static str> {
        self.detector.detect(text)
    }

    /// The scorer configured for `lang`.
    pub fn scorer(&self, lang: &str) -> Option<&dyn Scorer> {
        self.scorers.get(lang).map(|s| &**s)
    }

    /// The sentiment of `text` read as `lang` (detected when `None`);
    /// `None` when no scorer reads that language.
    pub fn score(&self, text: &str, lang: Option<&str>) -> Option<Sentiment> {
        let lang = lang.or_else(|| self.detect_lang(text)).unwrap_or(&self.fallback_lang);
        self.scorer(lang).map(|s| s.score(text))
    }

    /// The byte ranges of `mention.text` that scorers do not read: its
    /// @handles and the names of the masked watches that tagged it (none
    /// when masking is off).
    pub fn masked_spans(&self, mention: &Mention) -> Vec<Range<usize>> {
        let mut spans = Vec::new();
        self.masked_spans_into(mention, &mut spans);
        spans
    }

    fn masked_spans_into(&self, mention: &Mention, spans: &mut Vec<Range<usize>>) {
        spans.clear();
        if self.mask {
            handle_spans(&mention.text, spans);
            if let Some(terms) = &self.watch_terms {
                terms.spans(mention, spans);
            }
        }
    }

    /// What the scorers read of `mention`: its text (its title when the
    /// text is empty), masked.
    pub fn scored_text(&self, mention: &Mention) -> String {
        let mut scratch = Scratch::default();
        self.mask_into(mention, &mut scratch);
        scratch.masked
    }

    /// Fills `scratch` with what the scorers read of `mention` and, when
    /// that is its text, the masked spans of the text.
    fn mask_into(&self, mention: &Mention, scratch: &mut Scratch) {
        let Scratch { spans, masked } = scratch;
        if mention.text.trim().is_empty() {
            let title = mention.title.as_deref().unwrap_or_default();
            spans.clear();
            if self.mask {
                handle_spans(title, spans);
            }
            mask_text(title, spans, masked);
            spans.clear();
        } else {
            self.masked_spans_into(mention, spans);
            mask_text(&mention.text, spans, masked);
        }
    }

    /// Sets `mention.scores.sentiment` (with per-brand sentiment when the
    /// mention matched several brand or competitor watches), and
    /// `mention.lang` when it was unknown and detection found it.
    ///
    /// Does nothing when the configuration disables sentiment. A mention in
    /// a language without a scorer keeps no sentiment.
    pub fn enrich(&self, mention: &mut Mention) {
        if !self.enabled {
            return;
        }
        if mention.lang.is_none() {
            let text = if mention.text.trim().is_empty() {
                mention.title.as_deref().unwrap_or_default()
            } else {
                mention.text.as_str()
            };
            mention.lang = self.detect_lang(text).map(Into::into);
        }
        let lang = mention.lang.as_deref().unwrap_or(&self.fallback_lang);
        let Some(scorer) = self.scorers.get(lang) else {
            return;
        };
        let sentiment = SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.score_mention(&**scorer, mention, &mut scratch),
            Err(_) => self.score_mention(&**scorer, mention, &mut Scratch::default()),
        });
        mention.scores.sentiment = Some(sentiment);
    }

    /// The sentiment of `mention` and, when it names several brands, toward each: the text is
    /// masked once, and the per-brand reading reuses its masked spans.
    fn score_mention(&self, scorer: &dyn Scorer, mention: &Mention, scratch: &mut Scratch) -> Sentiment {
        self.mask_into(mention, scratch);
        let mut sentiment = scorer.score(&scratch.masked);
        if !mention.text.trim().is_empty() {
            let whole = Some((scratch.masked.as_str(), &sentiment));
            sentiment.brands = brand_sentiments_reusing(scorer, &mention.text, &mention.tags, &scratch.spans, whole);
        }
        sentiment
    }
}
