//! Sentiment for veille: language identification, VADER-compatible English
//! and French scoring, and a learned linear scorer.
//!
//! # Model
//!
//! A [`Scorer`] turns a text into a [`veille_model::Sentiment`]: a label
//! (negative, neutral, positive), a compound score in [-1, 1], the
//! positive / neutral / negative proportions, the language read and the
//! scorer's name. Two scorers ship:
//!
//! - [`Vader`] reproduces the reference VADER implementations exactly
//!   (`vaderSentiment` 3.3.2 for English, `vaderSentiment-fr` 1.3.4 for
//!   French): lexicon valences, boosters and dampeners, negation (French
//!   "pas", "jamais", ... with the words that escape it), "but" weighting,
//!   capitals, exclamation and question marks, emoticons, emoji read
//!   through their descriptions, and the compound normalisation. The label
//!   follows VADER's thresholds (compound ≥ 0.05 positive, ≤ -0.05
//!   negative). The lexicons are data files under `data/` with their MIT
//!   licence.
//! - [`LearnedScorer`] applies a [`Model`] trained by [`train`] on labelled
//!   posts: a multinomial logistic regression over hashed word n-grams
//!   (optionally character n-grams), negation marking, and lexicon figures
//!   computed from the VADER lexicons in the same pass over the text. Its
//!   label is the most probable class, its compound P(positive) −
//!   P(negative). Models for English and French ship with the crate
//!   ([`Model::builtin`]) and are the default scorers: they beat VADER on
//!   every set measured, at 80–90 % of its speed.
//!
//! [`LanguageDetector`] finds a post's language (ISO 639-1) among the
//! languages a deployment listens to. [`SentimentAnalyzer`] ties it
//! together from the `[sentiment]` configuration: it detects the language
//! of a [`veille_model::Mention`] when the platform gave none, scores it
//! with that language's scorer, and, when the mention names several
//! brands, scores the sentences holding each brand's hits
//! ([`brand::brand_sentiments`]). Scorers read the mention with its
//! @handles and the names of the watches that tagged it masked
//! ([`mask`]): a brand's own name is not an opinion about it.
//!
//! [`eval::evaluate`] measures a scorer against human labels (accuracy,
//! macro-F1, per-class precision and recall, posts per second) on data read
//! by [`dataset`].
//!
//! ```
//! use veille_model::SentimentLabel;
//! use veille_sentiment::{Scorer, Vader};
//!
//! let vader = Vader::english();
//! let s = vader.score("The support team was GREAT, thanks!!");
//! assert_eq!(s.label, SentimentLabel::Positive);
//! assert_eq!(s.scorer, "vader");
//!
//! let p = Vader::french().polarity("Ce n'est pas bon du tout");
//! assert!(p.compound < -0.05);
//! ```

mod analyzer;
pub mod brand;
pub mod dataset;
mod error;
pub mod eval;
mod fold;
mod lang;
mod learned;
mod lexicon;
pub mod mask;
mod scorer;
mod text;
mod vader;

pub use analyzer::SentimentAnalyzer;
pub use error::SentimentError;
pub use lang::LanguageDetector;
pub use learned::{train, train_with_progress, LearnedScorer, Model, TrainOptions, TrainProgress};
pub use scorer::Scorer;
pub use vader::{Dialect, Polarity, Vader};
