//! A stemming token filter that remembers the stems it computed.
//!
//! Snowball stemmers rebuild each word in a buffer of their own and walk their suffix tables:
//! about two thousand instructions and an allocation per English word. Mentions repeat the same
//! few thousand words (their frequencies fall off as Zipf's law says), so a table of the stems
//! already computed answers most words with one hash look-up. The stems are exactly the
//! stemmer's: the table only remembers them.

use std::collections::HashMap;

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Words remembered per analyser before the table starts again (a few MB at most; an
/// analyser lives in one indexing thread or one query).
const REMEMBERED_WORDS: usize = 65_536;

/// Longest word remembered: longer tokens are rare and are stemmed every time.
const LONGEST_REMEMBERED: usize = 24;

/// Snowball stemming with a table of the stems already computed (see the module docs).
#[derive(Clone, Copy)]
pub(crate) struct CachedStemmer {
    algorithm: frostem::Algorithm,
}

impl CachedStemmer {
    /// A filter stemming with `algorithm`; tokens must be lower-cased before it.
    pub(crate) fn new(algorithm: frostem::Algorithm) -> Self {
        CachedStemmer { algorithm }
    }
}

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter { algorithm: self.algorithm, stems: HashMap::new(), inner: tokenizer }
    }
}

/// The tokenizer [`CachedStemmer`] makes of the one before it.
pub(crate) struct CachedStemmerFilter<T> {
    algorithm: frostem::Algorithm,
    stems: HashMap<Box<str>, Box<str>>,
    inner: T,
}

impl<T: Clone> Clone for CachedStemmerFilter<T> {
    /// A copy starts with an empty table: analysers are copied for every query and every new
    /// segment, and copying the table each time would cost more than it saves.
    fn clone(&self) -> Self {
        CachedStemmerFilter { algorithm: self.algorithm, stems: HashMap::new(), inner: self.inner.clone() }
    }
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: frostem::Stemmer::new(self.algorithm),
            stems: &mut self.stems,
        }
    }
}

/// The tokens of one text, stemmed.
pub(crate) struct CachedStemmerStream<'a, T> {
    tail: T,
    stemmer: frostem::Stemmer,
    stems: &'a mut HashMap<Box<str>, Box<str>>,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(stem) = self.stems.get(token.text.as_str()) {
            replace(&mut token.text, stem);
            return true;
        }
        let stem: Box<str> = self.stemmer.stem(&token.text).into();
        if token.text.len() <= LONGEST_REMEMBERED {
            if self.stems.len() >= REMEMBERED_WORDS {
                self.stems.clear();
            }
            self.stems.insert(token.text.as_str().into(), stem.clone());
        }
        replace(&mut token.text, &stem);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Writes `stem` over `text` in place (its buffer is reused), unless they are equal already.
fn replace(text: &mut String, stem: &str) {
    if text != stem {
        text.clear();
        text.push_str(stem);
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
        let cached =
            TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).filter(CachedStemmer::new(algorithm));
        (plain.build(), cached.build())
    }

    #[test]
    fn remembered_stems_are_the_stemmers_own_in_english_and_french() {
        let texts = [
            "@united thanks for nothing, my flights were cancelled and cancelling again tomorrow",
            "Running runners run; the runner's running shoes ran",
            "Les vols annulés, les bagages perdus : nationalisation, nationalement, nationaux",
        ];
        for (language, algorithm) in
            [(Language::English, frostem::Algorithm::English), (Language::French, frostem::Algorithm::French)]
        {
            let (mut plain, mut cached) = pair(language, algorithm);
            // Twice over: the second time every word comes from the table.
            for text in texts.iter().chain(texts.iter()) {
                assert_eq!(tokens(&mut cached, text), tokens(&mut plain, text), "{text}");
            }
        }
    }

    #[test]
    fn a_copy_starts_empty_and_stems_alike() {
        let (mut plain, mut cached) = pair(Language::English, frostem::Algorithm::English);
        let text = "cancelled flights, cancelled again";
        let first = tokens(&mut cached, text);
        let mut copy = cached.clone();
        assert_eq!(tokens(&mut copy, text), first);
        assert_eq!(first, tokens(&mut plain, text));
    }

    proptest! {
        #[test]
        fn any_text_stems_as_the_stemmer_does(words in proptest::collection::vec("[a-zà-ÿ']{1,30}", 1..40)) {
            let text = words.join(" ");
            for (language, algorithm) in
                [(Language::English, frostem::Algorithm::English), (Language::French, frostem::Algorithm::French)]
            {
                let (mut plain, mut cached) = pair(language, algorithm);
                let expected = tokens(&mut plain, &text);
                prop_assert_eq!(tokens(&mut cached, &text), expected.clone());
                prop_assert_eq!(tokens(&mut cached, &text), expected);
            }
        }
    }
}
