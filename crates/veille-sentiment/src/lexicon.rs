//! The lexicon files: word valences and emoji descriptions.
//!
//! Two formats ship under `data/`: the English VADER lexicon
//! (`token TAB mean valence TAB std TAB ratings`) and the French one
//! (`token->valence`, keys folded to ASCII as the French reference does).
//! Emoji lexicons map one emoji to a short description in the lexicon's
//! language; the scorer reads the description in place of the emoji.

use rustc_hash::FxHashMap;

use crate::error::SentimentError;
use crate::fold::folded;
use crate::text::is_space;

/// The English VADER lexicon, as shipped.
pub(crate) const ENGLISH_LEXICON: &str = include_str!("../data/vader/vader_lexicon.txt");
/// English descriptions of emoji, as shipped.
pub(crate) const ENGLISH_EMOJI: &str = include_str!("../data/vader/emoji_utf8_lexicon.txt");
/// The French VADER lexicon, as shipped.
pub(crate) const FRENCH_LEXICON: &str = include_str!("../data/vader_fr/fr_lexicon.txt");
/// French descriptions of emoji, as shipped.
pub(crate) const FRENCH_EMOJI: &str = include_str!("../data/vader_fr/emojis_fr.txt");
/// French words after which a negation does not apply.
pub(crate) const FRENCH_NO_NEGATE: &str = include_str!("../data/vader_fr/no_negate.txt");

/// Word → valence, looked up by lower-case word.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lexicon {
    valences: FxHashMap<Box<str>, f64>,
}

impl Lexicon {
    /// Parses `token TAB valence ...` lines; a later entry replaces an earlier one.
    pub(crate) fn parse_tab_separated(text: &str, name: &str) -> Result<Self, SentimentError> {
        Self::parse(text, name, |line| {
            let mut fields = line.split('\t');
            let word = fields.next().unwrap_or_default();
            Some((word.to_string(), fields.next()?))
        })
    }

    /// Parses `token->valence` lines, folding each token to ASCII.
    pub(crate) fn parse_arrow_separated(text: &str, name: &str) -> Result<Self, SentimentError> {
        Self::parse(text, name, |line| {
            let mut fields = line.split("->");
            let word = fields.next().unwrap_or_default();
            Some((folded(word), fields.next()?))
        })
    }

    fn parse<'a>(
        text: &'a str,
        name: &str,
        split: impl Fn(&'a str) -> Option<(String, &'a str)>,
    ) -> Result<Self, SentimentError> {
        let mut valences = FxHashMap::default();
        for (i, raw) in text.trim_end_matches('\n').split('\n').enumerate() {
            if raw.is_empty() {
                continue;
            }
            let error = |reason: String| SentimentError::Lexicon { name: name.to_string(), line: i + 1, reason };
            let line = raw.trim_matches(is_space);
            let (word, value) = split(line).ok_or_else(|| error("expected a token and a valence".into()))?;
            let valence: f64 =
                value.trim_matches(is_space).parse().map_err(|_| error(format!("`{value}` is not a number")))?;
            valences.insert(word.into_boxed_str(), valence);
        }
        Ok(Lexicon { valences })
    }

    /// Every word with its valence.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, f64)> {
        self.valences.iter().map(|(w, v)| (&**w, *v))
    }

    /// The valence of `word` (already lower-cased), if it is in the lexicon.
    #[cfg(test)]
    pub(crate) fn get(&self, word: &str) -> Option<f64> {
        self.valences.get(word).copied()
    }

    /// Number of entries.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.valences.len()
    }
}

/// Emoji → description, for single-character emoji.
///
/// Multi-character sequences (skin tones, joiners, variation selectors) are
/// read one character at a time, as the reference does, so only entries of
/// one character can ever match.
#[derive(Debug, Clone)]
pub(crate) struct EmojiDescriptions {
    descriptions: FxHashMap<char, Box<str>>,
    /// Whether some described character is ASCII (none in the shipped tables).
    ascii: bool,
    /// One bit per character of the Basic Multilingual Plane: set when the
    /// character may be described, so most letters skip the hash lookup.
    bmp: Vec<u64>,
}

impl EmojiDescriptions {
    /// Parses `emoji TAB description` lines.
    pub(crate) fn parse(text: &str, name: &str) -> Result<Self, SentimentError> {
        let mut descriptions = FxHashMap::default();
        for (i, raw) in text.trim_end_matches('\n').split('\n').enumerate() {
            let line = raw.trim_matches(is_space);
            let mut fields = line.split('\t');
            let emoji = fields.next().unwrap_or_default();
            let description = fields.next().ok_or_else(|| SentimentError::Lexicon {
                name: name.to_string(),
                line: i + 1,
                reason: "expected an emoji, a tab and a description".into(),
            })?;
            let mut chars = emoji.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                descriptions.insert(c, description.into());
            }
        }
        let ascii = descriptions.keys().any(char::is_ascii);
        let mut bmp = vec![0u64; 0x10000 / 64];
        for &c in descriptions.keys() {
            let code = c as usize;
            if code < 0x10000 {
                bmp[code / 64] |= 1 << (code % 64);
            }
        }
        Ok(EmojiDescriptions { descriptions, ascii, bmp })
    }

    /// Every described emoji with its description.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (char, &str)> {
        self.descriptions.iter().map(|(c, d)| (*c, &**d))
    }

    /// Whether text made only of ASCII characters can hold a described emoji.
    #[inline]
    pub(crate) fn describes_ascii(&self) -> bool {
        self.ascii
    }

    /// The description of `c`, when it is a described emoji.
    #[inline]
    pub(crate) fn get(&self, c: char) -> Option<&str> {
        let code = c as usize;
        if code < 0x10000 && self.bmp[code / 64] & (1 << (code % 64)) == 0 {
            return None;
        }
        self.descriptions.get(&c).map(|d| &**d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_lexicons_parse_completely() {
        let en = Lexicon::parse_tab_separated(ENGLISH_LEXICON, "en").unwrap();
        assert_eq!(en.len(), 7506, "7,520 lines, some tokens listed twice");
        assert_eq!(en.get("good"), Some(1.9));
        assert_eq!(en.get(":)"), Some(2.0));
        let fr = Lexicon::parse_arrow_separated(FRENCH_LEXICON, "fr").unwrap();
        assert_eq!(fr.len(), 8621, "9,098 lines, fewer keys once accents are folded");
        assert!(fr.get("genial").is_some(), "accents are folded in keys");
        assert!(fr.get("génial").is_none());
        let emoji = EmojiDescriptions::parse(ENGLISH_EMOJI, "emoji").unwrap();
        assert_eq!(emoji.get('😀'), Some("grinning face"));
        let emoji_fr = EmojiDescriptions::parse(FRENCH_EMOJI, "emoji_fr").unwrap();
        assert_eq!(emoji_fr.get('😀'), Some("grand sourire"));
    }

    #[test]
    fn malformed_lines_name_the_line() {
        let e = Lexicon::parse_tab_separated("good\t1.9\nbad\tworse\n", "mine").unwrap_err();
        assert_eq!(e.to_string(), "lexicon mine, line 2: `worse` is not a number");
        let e = Lexicon::parse_arrow_separated("bien->1\nmal\n", "fr").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}
