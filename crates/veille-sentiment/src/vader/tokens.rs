//! From text to tokens: emoji described in words, words split off, and
//! everything the rules ask about a token looked up once.

use super::words::Word;
use super::{lowercase, Dialect, Vader};
use crate::lexicon::EmojiDescriptions;
use crate::text::{is_all_caps, is_space, strip_punctuation};

/// Buffers reused from one text to the next.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    /// The text with emoji replaced by their descriptions.
    pub(super) text: String,
    /// One token's lower-case form (and, in French, its folded form).
    pub(super) lower: String,
    pub(super) folded: String,
    /// The tokens of the text.
    pub(super) tokens: Vec<Token>,
    /// One valence per token.
    pub(super) sentiments: Vec<f64>,
}

/// What the rules need to know about one token.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Token {
    /// Lexicon valence (looked up without accents in French).
    pub(super) valence: Option<f64>,
    /// Whether the lexicon key of the token is "no".
    pub(super) key_is_no: bool,
    /// Whether the lower-case token itself is a lexicon word.
    pub(super) in_lexicon: bool,
    /// Booster or dampener increment.
    pub(super) booster: Option<f64>,
    /// Whether the token negates.
    pub(super) negation: bool,
    /// Whether negation before this token is ignored.
    pub(super) no_negate: bool,
    /// Whether the token is written in capitals.
    pub(super) caps: bool,
    /// The token's role in the rules.
    pub(super) word: Word,
}

/// Replaces each described emoji by its description, separated from the
/// preceding text by a space unless one is already there.
pub(super) fn describe_emoji<'a>(text: &'a str, emoji: &EmojiDescriptions, out: &'a mut String) -> &'a str {
    if text.is_ascii() && !emoji.describes_ascii() {
        return text;
    }
    let mut after_space = true;
    let mut rewritten = false;
    for (i, c) in text.char_indices() {
        match emoji.get(c) {
            Some(description) => {
                if !rewritten {
                    out.clear();
                    out.push_str(&text[..i]);
                    rewritten = true;
                }
                if !after_space {
                    out.push(' ');
                }
                out.push_str(description);
                after_space = false;
            }
            None => {
                if rewritten {
                    out.push(c);
                }
                after_space = c == ' ';
            }
        }
    }
    if rewritten {
        out
    } else {
        text
    }
}

/// Splits `text` into tokens as the dialect does: on white space in English;
/// on every white-space character and apostrophe in French, where two
/// separators in a row make an empty token.
pub(super) fn tokenize(vader: &Vader, text: &str, tokens: &mut Vec<Token>, lower: &mut String, folded: &mut String) {
    tokens.clear();
    match vader.dialect {
        Dialect::English => {
            tokens.extend(text.split(is_space).filter(|t| !t.is_empty()).map(|raw| token(vader, raw, lower, folded)))
        }
        Dialect::French => {
            tokens.extend(text.split(|c| is_space(c) || c == '\'').map(|raw| token(vader, raw, lower, folded)))
        }
    }
}

fn token(vader: &Vader, raw: &str, lower: &mut String, folded: &mut String) -> Token {
    let word = strip_punctuation(raw);
    let lower = lowercase(word, lower);
    let entry = vader.entry(lower).copied().unwrap_or_default();
    let (valence, key_is_no) = if vader.dialect == Dialect::French && !lower.is_ascii() {
        let key = vader.valence_key(lower, folded);
        (vader.entry(key).and_then(|e| e.valence), key == "no")
    } else {
        (entry.valence, entry.word == Word::No)
    };
    Token {
        valence,
        key_is_no,
        in_lexicon: entry.valence.is_some(),
        booster: entry.booster,
        negation: entry.negation || lower.contains("n't"),
        no_negate: entry.no_negate,
        caps: is_all_caps(word),
        word: entry.word,
    }
}
