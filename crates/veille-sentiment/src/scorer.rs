//! The `Scorer` trait: anything that turns a text into a [`Sentiment`].

use veille_model::Sentiment;

/// A sentiment model for one language.
///
/// Implementations are immutable once built and shared between threads;
/// scoring one text never fails (an empty or unreadable text is neutral).
pub trait Scorer: Send + Sync {
    /// The scorer's name as recorded in [`Sentiment::scorer`] (`vader`, `learned`).
    fn name(&self) -> &str;

    /// The ISO 639-1 code of the language the scorer reads, if it is specific to one.
    fn lang(&self) -> Option<&str>;

    /// The sentiment of `text`.
    fn score(&self, text: &str) -> Sentiment;
}
