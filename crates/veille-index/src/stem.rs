//! A stemming token filter on `frostem`, the Snowball stemmers the stemmed search checks its
//! candidate words with ([`crate::stemmed`]): a query word and the words it reads as are stemmed
//! by the same code, [`FoldedStemmer`].
//!
//! Mentions' words are no longer stemmed when indexed (stemmed readings are answered at search
//! time), so this filter reads query words only; it needs no memory of the stems it computed.

use std::borrow::Cow;

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// French endings whose accent Snowball's suffix rules need, as the index writes them (accents
/// folded) and as French writes them: feminine past participles and the past historic plural.
const FRENCH_ENDINGS: [(&str, &str); 3] = [("ees", "\u{e9}es"), ("ee", "\u{e9}e"), ("erent", "\u{e8}rent")];

/// Snowball stemming of words whose accents are folded, as the index holds them; the stem is
/// folded too.
///
/// Folding loses what a few of Snowball's French rules read: `annulée` folds to `annulee`, which
/// stems to `annule` where `annulé`, `annulés` and `annulation` stem to `annul`. So a French word
/// ending in `ee`, `ees` or `erent` gets its accent back (`ée`, `ées`, `èrent`) before it is
/// stemmed. On the words of the French xlmt tweets, pairs of words that share a stem when stemmed
/// with their accents and folded after: 2,174 of 2,396 share one when stemmed folded, 2,332 with
/// the endings given back; 30 and 33 pairs of words with different stems are read as sharing one.
#[derive(Clone)]
pub(crate) struct FoldedStemmer {
    stemmer: frostem::Stemmer,
    french: bool,
}

impl FoldedStemmer {
    /// A stemmer of `algorithm`'s language.
    pub(crate) fn new(algorithm: frostem::Algorithm) -> Self {
        FoldedStemmer { stemmer: frostem::Stemmer::new(algorithm), french: algorithm == frostem::Algorithm::French }
    }

    /// The stem of `word` (lower-cased, accents folded), its accents folded.
    pub(crate) fn stem<'a>(&self, word: &'a str) -> Cow<'a, str> {
        if self.french {
            for (folded, written) in FRENCH_ENDINGS {
                if let Some(start) = word.strip_suffix(folded).filter(|s| s.chars().nth(1).is_some()) {
                    let stem = self.stemmer.stem(&format!("{start}{written}")).into_owned();
                    let stem = if stem.contains(['\u{e9}', '\u{e8}']) {
                        stem.replace(['\u{e9}', '\u{e8}'], "e")
                    } else {
                        stem
                    };
                    return Cow::Owned(stem);
                }
            }
        }
        self.stemmer.stem(word)
    }
}

/// Snowball stemming ([`FoldedStemmer`]); tokens must be lower-cased and their accents folded
/// before it.
#[derive(Clone, Copy)]
pub(crate) struct SnowballStemmer {
    algorithm: frostem::Algorithm,
}

impl SnowballStemmer {
    /// A filter stemming with `algorithm`.
    pub(crate) fn new(algorithm: frostem::Algorithm) -> Self {
        SnowballStemmer { algorithm }
    }
}

impl TokenFilter for SnowballStemmer {
    type Tokenizer<T: Tokenizer> = SnowballStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> SnowballStemmerFilter<T> {
        SnowballStemmerFilter { algorithm: self.algorithm, inner: tokenizer }
    }
}

/// The tokenizer [`SnowballStemmer`] makes of the one before it.
#[derive(Clone)]
pub(crate) struct SnowballStemmerFilter<T> {
    algorithm: frostem::Algorithm,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for SnowballStemmerFilter<T> {
    type TokenStream<'a> = SnowballStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        SnowballStemmerStream { tail: self.inner.token_stream(text), stemmer: FoldedStemmer::new(self.algorithm) }
    }
}

/// The tokens of one text, stemmed.
pub(crate) struct SnowballStemmerStream<T> {
    tail: T,
    stemmer: FoldedStemmer,
}

impl<T: TokenStream> TokenStream for SnowballStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Cow::Owned(stem) = self.stemmer.stem(&token.text) {
            token.text = stem;
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use tantivy::tokenizer::{Language, LowerCaser, SimpleTokenizer, Stemmer, TextAnalyzer};

    use super::*;

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
        }
        out
    }

    fn pair(language: Language, algorithm: frostem::Algorithm) -> (TextAnalyzer, TextAnalyzer) {
        let plain = TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).filter(Stemmer::new(language));
        let snowball = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(SnowballStemmer::new(algorithm));
        (plain.build(), snowball.build())
    }

    #[test]
    fn stems_are_tantivys_own_in_english_and_french() {
        let texts = [
            "@united thanks for nothing, my flights were cancelled and cancelling again tomorrow",
            "Running runners run; the runner's running shoes ran",
            "Les vols annulés, les bagages perdus : nationalisation, nationalement, nationaux",
        ];
        for (language, algorithm) in
            [(Language::English, frostem::Algorithm::English), (Language::French, frostem::Algorithm::French)]
        {
            let (mut plain, mut snowball) = pair(language, algorithm);
            for text in texts {
                assert_eq!(tokens(&mut snowball, text), tokens(&mut plain, text), "{text}");
            }
        }
    }

    proptest! {
        #[test]
        fn any_text_stems_as_the_stemmer_does(words in proptest::collection::vec("[a-zà-ÿ']{1,30}", 1..40)) {
            let text = words.join(" ");
            // French words written with the endings folded are the exception, tested below.
            let french_text = words
                .iter()
                .filter(|w| {
                    let mut words = w.split(|c: char| !c.is_alphanumeric());
                    !words.any(|w| FRENCH_ENDINGS.iter().any(|(folded, _)| w.ends_with(folded)))
                })
                .cloned()
                .collect::<Vec<_>>()
                .join(" ");
            for (language, algorithm, text) in [
                (Language::English, frostem::Algorithm::English, &text),
                (Language::French, frostem::Algorithm::French, &french_text),
            ] {
                let (mut plain, mut snowball) = pair(language, algorithm);
                prop_assert_eq!(tokens(&mut snowball, text), tokens(&mut plain, text));
            }
        }

        #[test]
        fn folded_french_endings_stem_as_their_accented_writing(start in "[a-z]{2,12}", ending in 0..3usize) {
            let (folded, written) = FRENCH_ENDINGS[ending];
            let stemmer = FoldedStemmer::new(frostem::Algorithm::French);
            let accented = frostem::Stemmer::new(frostem::Algorithm::French).stem(&format!("{start}{written}")).replace(['é', 'è'], "e");
            prop_assert_eq!(stemmer.stem(&format!("{start}{folded}")).into_owned(), accented);
        }
    }

    #[test]
    fn french_participles_share_their_stem_once_folded() {
        let stemmer = FoldedStemmer::new(frostem::Algorithm::French);
        for (stem, words) in [
            ("annul", &["annule", "annulee", "annules", "annulees", "annulerent", "annulation", "annulations"][..]),
            ("retard", &["retard", "retarde", "retardee", "retardees", "retardes"][..]),
        ] {
            for word in words {
                assert_eq!(stemmer.stem(word), stem, "{word}");
            }
        }
        // English is stemmed as Snowball stems it.
        let english = FoldedStemmer::new(frostem::Algorithm::English);
        assert_eq!(english.stem("agreed"), frostem::Stemmer::new(frostem::Algorithm::English).stem("agreed"));
    }

    /// The words of the French xlmt tweets (`../shared/data`), folded as the index folds them:
    /// pairs of words that share a stem when stemmed with their accents (and folded after) should
    /// share it when stemmed folded, and pairs that do not should not.
    #[test]
    fn folded_french_words_keep_the_stems_of_their_accented_writing() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/xlmt_sentiment/french");
        let Ok(texts) = ["train_text.txt", "val_text.txt"]
            .iter()
            .map(|f| std::fs::read_to_string(dir.join(f)))
            .collect::<Result<Vec<_>, _>>()
        else {
            eprintln!("skipped: ../shared/data not found (xlmt_sentiment/french)");
            return;
        };
        let mut lower = TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).build();
        let mut fold = TextAnalyzer::builder(tantivy::tokenizer::RawTokenizer::default())
            .filter(tantivy::tokenizer::AsciiFoldingFilter)
            .build();
        let mut folded = |w: &str| tokens(&mut fold, w).pop().map(|t| t.0).unwrap_or_default();
        let words: std::collections::BTreeSet<String> =
            texts.iter().flat_map(|t| tokens(&mut lower, t)).map(|t| t.0).collect();
        let snowball = frostem::Stemmer::new(frostem::Algorithm::French);
        let ours = FoldedStemmer::new(frostem::Algorithm::French);
        // (stem of the accented word folded, stem of the folded word, ours)
        let stems: Vec<(String, String, String)> = words
            .iter()
            .map(|w| {
                let f = folded(w);
                (folded(&snowball.stem(w)), snowball.stem(&f).into_owned(), ours.stem(&f).into_owned())
            })
            .collect();
        let pairs = |pick: fn(&(String, String, String)) -> &String| {
            let (mut kept, mut missed, mut joined) = (0, 0, 0);
            for (i, a) in stems.iter().enumerate() {
                for b in &stems[i + 1..] {
                    match (a.0 == b.0, pick(a) == pick(b)) {
                        (true, true) => kept += 1,
                        (true, false) => missed += 1,
                        (false, true) => joined += 1,
                        (false, false) => {}
                    }
                }
            }
            (kept, missed, joined)
        };
        let plain = pairs(|s| &s.1);
        let restored = pairs(|s| &s.2);
        eprintln!(
            "{} words; pairs (kept, missed, wrongly joined): folded {plain:?}, endings restored {restored:?}",
            words.len()
        );
        assert!(words.len() > 5_000, "{} words", words.len());
        assert!(restored.1 * 3 < plain.1, "missed pairs: {} restored, {} folded", restored.1, plain.1);
        assert!(restored.1 * 30 < restored.0, "missed pairs: {} of {}", restored.1, restored.0 + restored.1);
        assert!(restored.2 <= plain.2 + 5, "wrongly joined pairs: {} restored, {} folded", restored.2, plain.2);
    }
}
