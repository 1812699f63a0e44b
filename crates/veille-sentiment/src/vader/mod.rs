//! VADER: lexicon and rule-based sentiment, compatible with the reference.
//!
//! [`Vader::english`] scores like `vaderSentiment` 3.3.2 and
//! [`Vader::french`] like `vaderSentiment-fr` 1.3.4 (`polarity_scores`):
//! same tokens, same rules, same figures, rounded as the reference rounds
//! them (compound to 4 decimals, proportions to 3).

mod rules;
mod tokens;
mod words;

use std::borrow::Cow;
use std::cell::RefCell;

use rustc_hash::FxHashMap;
use veille_model::{Sentiment, SentimentLabel};

use crate::error::SentimentError;
use crate::lexicon::{self, EmojiDescriptions, Lexicon};
use crate::scorer::Scorer;
use crate::text::push_lowercase;
use tokens::Scratch;
use words::Word;

/// The rule set a [`Vader`] scorer follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// English (`vaderSentiment` 3.3.2).
    English,
    /// French (`vaderSentiment-fr` 1.3.4).
    French,
}

impl Dialect {
    /// The ISO 639-1 code of the dialect's language.
    pub fn lang(self) -> &'static str {
        match self {
            Dialect::English => "en",
            Dialect::French => "fr",
        }
    }
}

/// The figures VADER computes for one text.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Polarity {
    /// Normalised sum of valences, in [-1, 1], rounded to 4 decimals.
    pub compound: f64,
    /// Share of positive valence, in [0, 1], rounded to 3 decimals.
    pub positive: f64,
    /// Share of neutral tokens, in [0, 1], rounded to 3 decimals.
    pub neutral: f64,
    /// Share of negative valence, in [0, 1], rounded to 3 decimals.
    pub negative: f64,
}

/// What the rules know about one vocabulary word.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Entry {
    /// Lexicon valence.
    pub(crate) valence: Option<f64>,
    /// Booster (> 0) or dampener (< 0) increment.
    pub(crate) booster: Option<f64>,
    /// Whether the word negates what follows.
    pub(crate) negation: bool,
    /// Whether a negation before the word is ignored (French).
    pub(crate) no_negate: bool,
    /// The word's role in the rules and idioms.
    pub(crate) word: Word,
}

/// A VADER scorer for one language.
///
/// Building one parses its lexicons (a few milliseconds); scoring allocates
/// nothing per token: the scratch space is kept per thread and reused.
#[derive(Debug, Clone)]
pub struct Vader {
    dialect: Dialect,
    vocabulary: FxHashMap<Box<str>, Entry>,
    emoji: EmojiDescriptions,
    booster_phrases: &'static [(&'static [Word], f64)],
    contrast: Option<Word>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Vader {
    /// The English scorer, with the shipped lexicons.
    pub fn english() -> Vader {
        // The shipped lexicons are checked by this crate's tests: parsing cannot fail.
        Self::build(Dialect::English).unwrap_or_else(|e| panic!("shipped lexicon: {e}"))
    }

    /// The French scorer, with the shipped lexicons.
    ///
    /// Like the reference, it does not weigh clauses around "mais"; see
    /// [`Vader::with_contrast_weighting`].
    pub fn french() -> Vader {
        Self::build(Dialect::French).unwrap_or_else(|e| panic!("shipped lexicon: {e}"))
    }

    /// The scorer of `lang` (`en` or `fr`).
    pub fn for_lang(lang: &str) -> Result<Vader, SentimentError> {
        match lang {
            "en" => Self::build(Dialect::English),
            "fr" => Self::build(Dialect::French),
            other => Err(SentimentError::UnsupportedLanguage(other.to_string())),
        }
    }

    /// Turns the contrast rule on or off: words before "but" ("mais") count
    /// half, words after it count one and a half times. On by default in
    /// English; off by default in French, as in the French reference.
    pub fn with_contrast_weighting(mut self, on: bool) -> Vader {
        self.contrast = on.then_some(match self.dialect {
            Dialect::English => Word::But,
            Dialect::French => Word::Mais,
        });
        self
    }

    /// The rule set this scorer follows.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn build(dialect: Dialect) -> Result<Vader, SentimentError> {
        let (lexicon, emoji, negations, boosters, booster_phrases, contrast) = match dialect {
            Dialect::English => (
                Lexicon::parse_tab_separated(lexicon::ENGLISH_LEXICON, "vader_lexicon.txt")?,
                EmojiDescriptions::parse(lexicon::ENGLISH_EMOJI, "emoji_utf8_lexicon.txt")?,
                words::ENGLISH_NEGATIONS,
                words::ENGLISH_BOOSTERS,
                words::ENGLISH_BOOSTER_PHRASES,
                Some(Word::But),
            ),
            Dialect::French => (
                Lexicon::parse_arrow_separated(lexicon::FRENCH_LEXICON, "fr_lexicon.txt")?,
                EmojiDescriptions::parse(lexicon::FRENCH_EMOJI, "emojis_fr.txt")?,
                words::FRENCH_NEGATIONS,
                words::FRENCH_BOOSTERS,
                words::FRENCH_BOOSTER_PHRASES,
                None,
            ),
        };
        let mut vocabulary: FxHashMap<Box<str>, Entry> = lexicon
            .entries()
            .map(|(word, valence)| {
                let entry = Entry { valence: Some(valence), ..Entry::default() };
                (Box::from(word), entry)
            })
            .collect();
        fn entry<'a>(vocabulary: &'a mut FxHashMap<Box<str>, Entry>, word: &str) -> &'a mut Entry {
            vocabulary.entry(Box::from(word)).or_default()
        }
        for &word in negations {
            entry(&mut vocabulary, word).negation = true;
        }
        for &(word, increment) in boosters {
            entry(&mut vocabulary, word).booster = Some(increment);
        }
        for &(name, word) in words::NAMED {
            entry(&mut vocabulary, name).word = word;
        }
        if dialect == Dialect::French {
            // The reference compares the folded list with words it has not
            // folded: "serieux" escapes negation, "sérieux" does not.
            for word in lexicon::FRENCH_NO_NEGATE.trim().split('\n') {
                entry(&mut vocabulary, &crate::fold::folded(word)).no_negate = true;
            }
        }
        Ok(Vader { dialect, vocabulary, emoji, booster_phrases, contrast })
    }

    /// Scores `text` as the reference's `polarity_scores` does.
    pub fn polarity(&self, text: &str) -> Polarity {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => self.polarity_with(text, &mut scratch),
            Err(_) => self.polarity_with(text, &mut Scratch::default()),
        })
    }

    fn polarity_with(&self, text: &str, scratch: &mut Scratch) -> Polarity {
        let Scratch { text: described, lower, folded, tokens, sentiments } = scratch;
        let text = crate::text::trim(tokens::describe_emoji(text, &self.emoji, described));
        tokens::tokenize(self, text, tokens, lower, folded);
        rules::score(self, text, tokens, sentiments)
    }

    /// The lexicon valence of `word` (any case; in French, with or without
    /// accents), as the rules look it up; `None` for a word of no valence.
    pub fn valence(&self, word: &str) -> Option<f64> {
        let (mut lower, mut folded) = (String::new(), String::new());
        let lower = lowercase(word, &mut lower);
        let key = self.valence_key(lower, &mut folded);
        self.entry(key).and_then(|e| e.valence)
    }

    /// Every vocabulary word with what the rules know about it.
    pub(crate) fn vocabulary(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.vocabulary.iter().map(|(w, e)| (&**w, e))
    }

    /// Every described emoji with its description.
    pub(crate) fn emoji_descriptions(&self) -> impl Iterator<Item = (char, &str)> {
        self.emoji.entries()
    }

    /// What the vocabulary knows about a lower-case word.
    #[inline]
    fn entry(&self, lower: &str) -> Option<&Entry> {
        self.vocabulary.get(lower)
    }

    /// The key the lexicon valence of `lower` is looked up under: the word
    /// itself, or in French the word without accents.
    fn valence_key<'a>(&self, lower: &'a str, folded: &'a mut String) -> &'a str {
        if self.dialect == Dialect::French && !lower.is_ascii() {
            folded.clear();
            crate::fold::push_folded(lower, folded);
            folded
        } else {
            lower
        }
    }
}

/// The scorer's name, in each [`Sentiment`] it gives.
const NAME: &str = "vader";

impl Scorer for Vader {
    fn name(&self) -> &str {
        NAME
    }

    fn lang(&self) -> Option<&str> {
        Some(self.dialect.lang())
    }

    fn score(&self, text: &str) -> Sentiment {
        let p = self.polarity(text);
        Sentiment {
            label: SentimentLabel::from_compound(p.compound),
            compound: p.compound,
            positive: p.positive,
            neutral: p.neutral,
            negative: p.negative,
            lang: Some(Cow::Borrowed(self.dialect.lang())),
            scorer: Cow::Borrowed(NAME),
            brands: Vec::new(),
        }
    }
}

/// Lower-cases `word` into `buffer` and returns it.
fn lowercase<'a>(word: &str, buffer: &'a mut String) -> &'a str {
    buffer.clear();
    push_lowercase(word, buffer);
    buffer
}
