//! Features of the learned scorer: hashed word and character n-grams plus
//! the VADER figures of the text.
//!
//! Text is lower-cased; links become `<url>`, @handles `<user>`, and letters
//! repeated three times or more are squeezed to two ("sooooo" → "soo").
//! Word unigrams and bigrams and the character n-grams of each word (padded
//! with a space at both ends) are hashed into `2^hash_bits` buckets with a
//! fixed hash (FNV-1a over code points), so a model file stays valid across
//! platforms and releases. Each group is scaled to unit length. The VADER
//! compound, positive, negative and neutral figures and the VADER label
//! follow, in fixed slots after the buckets.

use crate::vader::Vader;

/// Number of lexicon (VADER) features, stored after the hashed buckets.
pub(crate) const LEXICON_FEATURES: usize = 6;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const WORD_SEED: u64 = 0x57;
const BIGRAM_SEED: u64 = 0x42;
const CHAR_SEED: u64 = 0x43;

/// How texts become feature vectors; stored in the model file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FeatureSpec {
    /// log2 of the number of hash buckets.
    pub(crate) hash_bits: u8,
    /// 1 for unigrams only, 2 for unigrams and bigrams.
    pub(crate) word_ngrams: u8,
    /// Shortest character n-gram; 0 for none.
    pub(crate) char_min: u8,
    /// Longest character n-gram.
    pub(crate) char_max: u8,
    /// Scale of the VADER features; 0 to leave them out.
    pub(crate) lexicon_weight: f32,
}

impl FeatureSpec {
    /// Number of hashed buckets.
    pub(crate) fn buckets(&self) -> usize {
        1 << self.hash_bits
    }

    /// Number of feature slots: buckets, then the lexicon features.
    pub(crate) fn width(&self) -> usize {
        self.buckets() + LEXICON_FEATURES
    }
}

/// A sparse feature vector; an index may repeat (its values add up).
#[derive(Debug, Clone, Default)]
pub(crate) struct Features {
    pub(crate) indices: Vec<u32>,
    pub(crate) values: Vec<f32>,
    /// Scratch: the normalised text and the word boundaries in it.
    text: String,
    words: Vec<(usize, usize)>,
    chars: Vec<u64>,
}

#[inline]
fn fnv(h: u64, c: u64) -> u64 {
    (h ^ c).wrapping_mul(FNV_PRIME)
}

#[inline]
fn bucket(h: u64, bits: u8) -> u32 {
    // Fibonacci hashing spreads the high bits of the FNV state.
    (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - u32::from(bits))) as u32
}

fn hash_str(seed: u64, s: &str) -> u64 {
    s.chars().fold(fnv(FNV_OFFSET, seed), |h, c| fnv(h, u64::from(c)))
}

/// Lower-cases, replaces links and handles, squeezes repeated letters, and
/// records word boundaries.
fn normalise(text: &str, out: &mut String, words: &mut Vec<(usize, usize)>) {
    out.clear();
    words.clear();
    for raw in text.split_whitespace() {
        let start = out.len();
        if raw.starts_with("http://") || raw.starts_with("https://") {
            out.push_str("<url>");
        } else if raw.len() > 1 && raw.starts_with('@') {
            out.push_str("<user>");
        } else {
            let (mut last, mut run) = ('\0', 0);
            for c in raw.chars().flat_map(char::to_lowercase) {
                run = if c == last { run + 1 } else { 1 };
                last = c;
                if run <= 2 {
                    out.push(c);
                }
            }
        }
        words.push((start, out.len()));
        out.push(' ');
    }
}

/// Word tokens of a normalised word: runs of letters, digits, `'`, `#`, `_`
/// and `<>` (for `<url>`), or runs of other characters (emoticons, "!!").
fn word_tokens(word: &str) -> impl Iterator<Item = &str> {
    let wordish = |c: char| c.is_alphanumeric() || matches!(c, '\'' | '#' | '_' | '<' | '>');
    let mut rest = word;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let kind = wordish(first);
        let end = rest.char_indices().find(|&(_, c)| wordish(c) != kind).map_or(rest.len(), |(i, _)| i);
        let (token, tail) = rest.split_at(end);
        rest = tail;
        Some(token)
    })
}

impl Features {
    /// Fills `self` with the features of `text`.
    pub(crate) fn extract(&mut self, spec: &FeatureSpec, vader: Option<&Vader>, text: &str) {
        self.indices.clear();
        self.values.clear();
        let mut normalised = std::mem::take(&mut self.text);
        let mut words = std::mem::take(&mut self.words);
        normalise(text, &mut normalised, &mut words);

        let start = self.indices.len();
        let mut previous: Option<u64> = None;
        for &(a, b) in &words {
            for token in word_tokens(&normalised[a..b]) {
                let h = hash_str(WORD_SEED, token);
                self.indices.push(bucket(h, spec.hash_bits));
                if spec.word_ngrams >= 2 {
                    let pair = previous.map_or(h ^ BIGRAM_SEED, |p| fnv(fnv(p, BIGRAM_SEED), h));
                    self.indices.push(bucket(pair, spec.hash_bits));
                }
                previous = Some(h);
            }
        }
        self.scale_group(start);

        if spec.char_min > 0 {
            let start = self.indices.len();
            let (min, max) = (usize::from(spec.char_min), usize::from(spec.char_max));
            let mut chars = std::mem::take(&mut self.chars);
            for &(a, b) in &words {
                chars.clear();
                chars.push(u64::from(' '));
                chars.extend(normalised[a..b].chars().map(u64::from));
                chars.push(u64::from(' '));
                for i in 0..chars.len() {
                    let mut h = fnv(FNV_OFFSET, CHAR_SEED);
                    for (n, &c) in chars[i..].iter().take(max).enumerate() {
                        h = fnv(h, c);
                        if n + 1 >= min {
                            self.indices.push(bucket(h, spec.hash_bits));
                        }
                    }
                }
            }
            self.chars = chars;
            self.scale_group(start);
        }

        if let (Some(vader), true) = (vader, spec.lexicon_weight > 0.0) {
            let p = vader.polarity(text);
            let w = spec.lexicon_weight;
            let base = spec.buckets() as u32;
            let flag = |b: bool| f64::from(u8::from(b));
            let figures =
                [p.compound, p.positive, p.negative, p.neutral, flag(p.compound >= 0.05), flag(p.compound <= -0.05)];
            for (k, v) in figures.into_iter().enumerate() {
                self.indices.push(base + k as u32);
                self.values.push(v as f32 * w);
            }
        }
        self.text = normalised;
        self.words = words;
    }

    /// Gives the features pushed since `start` a value each, so that the
    /// group has unit length.
    fn scale_group(&mut self, start: usize) {
        let n = self.indices.len() - start;
        if n > 0 {
            let v = 1.0 / (n as f32).sqrt();
            self.values.resize(self.indices.len(), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> FeatureSpec {
        FeatureSpec { hash_bits: 16, word_ngrams: 2, char_min: 2, char_max: 4, lexicon_weight: 1.0 }
    }

    #[test]
    fn links_handles_and_elongations_are_normalised() {
        let (mut out, mut words) = (String::new(), Vec::new());
        normalise("SOOOO good @Acme https://t.co/x !!!!", &mut out, &mut words);
        assert_eq!(out, "soo good <user> <url> !! ");
        assert_eq!(words.len(), 5);
    }

    #[test]
    fn words_split_from_emoticons() {
        let tokens: Vec<_> = word_tokens("great!!:)").collect();
        assert_eq!(tokens, ["great", "!!:)"]);
    }

    #[test]
    fn same_text_same_features_and_groups_have_unit_length() {
        let vader = Vader::english();
        let (mut a, mut b) = (Features::default(), Features::default());
        a.extract(&spec(), Some(&vader), "I love it");
        b.extract(&spec(), Some(&vader), "I love it");
        assert_eq!(a.indices, b.indices);
        assert!(a.indices.iter().all(|&i| (i as usize) < spec().width()));
        let words = 3 + 3;
        let norm: f32 = a.values[..words].iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert_eq!(*a.indices.last().unwrap() as usize, spec().buckets() + 5);
    }
}
