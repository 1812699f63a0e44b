//! A stemming token filter on `frostem`, the Snowball stemmers the stemmed search checks its
//! candidate words with ([`crate::stemmed`]): a query word and the words it reads as are stemmed
//! by the same code.
//!
//! Mentions' words are no longer stemmed when indexed (stemmed readings are answered at search
//! time), so this filter reads query words only; it needs no memory of the stems it computed.

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Snowball stemming; tokens must be lower-cased before it.
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
        SnowballStemmerStream { tail: self.inner.token_stream(text), stemmer: frostem::Stemmer::new(self.algorithm) }
    }
}

/// The tokens of one text, stemmed.
pub(crate) struct SnowballStemmerStream<T> {
    tail: T,
    stemmer: frostem::Stemmer,
}

impl<T: TokenStream> TokenStream for SnowballStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let std::borrow::Cow::Owned(stem) = self.stemmer.stem(&token.text) {
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
            for (language, algorithm) in
                [(Language::English, frostem::Algorithm::English), (Language::French, frostem::Algorithm::French)]
            {
                let (mut plain, mut snowball) = pair(language, algorithm);
                prop_assert_eq!(tokens(&mut snowball, &text), tokens(&mut plain, &text));
            }
        }
    }
}
