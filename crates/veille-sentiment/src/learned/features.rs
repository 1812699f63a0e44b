//! Features of the learned scorer: hashed word and character n-grams plus
//! lexicon figures.
//!
//! Text is lower-cased; links become `<url>`, @handles `<user>`, escaped
//! code points written out as `\uXXXX` are decoded, and characters repeated
//! three times or more are squeezed to two ("sooooo" → "soo"), and
//! typographic apostrophes become `'` ("don’t" → "don't"). Each
//! whitespace-separated word splits into tokens: runs of letters, digits,
//! `'`, `#`, `_`, `<`, `>`, runs of ASCII punctuation, and single other
//! symbols (emoji). A word that is a lexicon entry as a whole (":d", ":-(")
//! stays one token. A hashtag may also count as its word ("#fail" as
//! "fail"). Token unigrams, bigrams (and trigrams) and the byte n-grams of each
//! word (padded with a space at both ends) are hashed into `2^hash_bits`
//! buckets with a fixed hash over bytes, so a model file stays valid across
//! platforms and releases. Each group is scaled to unit length. Six lexicon
//! figures ([`super::cues`]) follow in fixed slots after the buckets, then
//! optionally one slot per bin of the lexicon compound score.

use super::cues::{Cue, Cues, Tally};

/// Number of lexicon features, stored after the hashed buckets.
pub(crate) const LEXICON_FEATURES: usize = 6;

const MULTIPLIER: u64 = 0x517c_c1b7_2722_0a95;
/// Seed of token hashes (shared with the lexicon cue table).
pub(crate) const WORD_SEED: u64 = 0x57;
const BIGRAM_SEED: u64 = 0x42;
const TRIGRAM_SEED: u64 = 0x33;
const CHAR_SEED: u64 = 0x43;
const NEGATED_SEED: u64 = 0x4e;

/// How texts become feature vectors; stored in the model file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FeatureSpec {
    /// log2 of the number of hash buckets.
    pub(crate) hash_bits: u8,
    /// 1 for unigrams only, 2 for unigrams and bigrams.
    pub(crate) word_ngrams: u8,
    /// Shortest byte n-gram; 0 for none.
    pub(crate) char_min: u8,
    /// Longest byte n-gram.
    pub(crate) char_max: u8,
    /// Scale of the lexicon features; 0 to leave them out.
    pub(crate) lexicon_weight: f32,
    /// Word tokens after a negation whose unigrams are marked negated.
    pub(crate) negation_scope: u8,
    /// Whether a hashtag also counts as its word ("#happy" as "happy"),
    /// for the unigrams and the lexicon.
    pub(crate) hashtag_words: bool,
    /// Number of equal bins of the lexicon compound score in [-1, 1], one
    /// feature each, after the lexicon figures (0 for none): lets the
    /// linear model weigh a mild and a strong lexicon score differently.
    pub(crate) lexicon_bins: u8,
}

impl FeatureSpec {
    /// Number of hashed buckets.
    pub(crate) fn buckets(&self) -> usize {
        1 << self.hash_bits
    }

    /// Number of feature slots: buckets, then the lexicon features and bins.
    pub(crate) fn width(&self) -> usize {
        self.buckets() + LEXICON_FEATURES + usize::from(self.lexicon_bins)
    }
}

#[inline]
fn mix(h: u64, v: u64) -> u64 {
    (h.rotate_left(5) ^ v).wrapping_mul(MULTIPLIER)
}

/// A fast, fixed hash of `bytes` (eight bytes per step, little-endian).
#[inline]
pub(crate) fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = mix(h, u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = mix(h, u64::from_le_bytes(buf));
    }
    mix(h, bytes.len() as u64)
}

#[inline]
fn bucket(h: u64, bits: u8) -> u32 {
    // Fibonacci hashing spreads the state into the top bits.
    (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - u32::from(bits))) as u32
}

/// How a character joins tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Letters, digits, `'`, `#`, `_`, `<`, `>`: word tokens.
    Word,
    /// ASCII punctuation: runs make one token ("!!", ":)").
    Punctuation,
    /// Any other symbol (emoji): a token of its own.
    Symbol,
}

fn kind(c: char) -> Kind {
    if c.is_alphanumeric() || matches!(c, '\'' | '#' | '_' | '<' | '>') {
        Kind::Word
    } else if c.is_ascii() {
        Kind::Punctuation
    } else {
        Kind::Symbol
    }
}

/// A token: a span of the normalised text.
#[derive(Debug, Clone, Copy)]
struct Token {
    start: u32,
    end: u32,
    word: bool,
    caps: bool,
}

/// True when `raw` has an upper-case letter and no lower-case one.
fn is_caps(raw: &str) -> bool {
    if raw.is_ascii() {
        let b = raw.as_bytes();
        return b.iter().any(u8::is_ascii_uppercase) && !b.iter().any(u8::is_ascii_lowercase);
    }
    let (mut upper, mut lower) = (false, false);
    for c in raw.chars() {
        upper |= c.is_uppercase();
        lower |= c.is_lowercase();
    }
    upper && !lower
}

/// Builds the tokens of one word, character by character.
struct WordTokens {
    caps: bool,
    last: char,
    run: usize,
    open: Option<(usize, Kind)>,
}

impl WordTokens {
    fn new(caps: bool) -> WordTokens {
        WordTokens { caps, last: '\0', run: 0, open: None }
    }

    /// Appends the lower-case character `c` unless it repeats a third time;
    /// typographic apostrophes become `'`.
    #[inline]
    fn push(&mut self, c: char, out: &mut String, tokens: &mut Vec<Token>) {
        let c = if matches!(c, '\u{2019}' | '\u{2018}' | '\u{02bc}') { '\'' } else { c };
        self.run = if c == self.last { self.run + 1 } else { 1 };
        self.last = c;
        if self.run > 2 {
            return;
        }
        let k = kind(c);
        if let Some((start, current)) = self.open {
            if current != k || k == Kind::Symbol {
                let word = current == Kind::Word;
                tokens.push(Token { start: start as u32, end: out.len() as u32, word, caps: self.caps });
                self.open = None;
            }
        }
        if self.open.is_none() {
            self.open = Some((out.len(), k));
        }
        out.push(c);
    }

    /// Closes the last token.
    fn finish(self, out: &str, tokens: &mut Vec<Token>) {
        if let Some((start, current)) = self.open {
            let word = current == Kind::Word;
            tokens.push(Token { start: start as u32, end: out.len() as u32, word, caps: self.caps });
        }
    }
}

/// [`WordTokens`] for an ASCII word, byte by byte: the same text and
/// tokens, without the per-character work that other scripts need.
fn push_ascii_word(source: &[u8], caps: bool, out: &mut String, tokens: &mut Vec<Token>) {
    let (mut last, mut run) = (0u8, 0u32);
    let mut open: Option<(usize, bool)> = None;
    for &b in source {
        let c = b.to_ascii_lowercase();
        run = if c == last { run + 1 } else { 1 };
        last = c;
        if run > 2 {
            continue;
        }
        let word = c.is_ascii_alphanumeric() || matches!(c, b'\'' | b'#' | b'_' | b'<' | b'>');
        match open {
            Some((start, current)) if current != word => {
                tokens.push(Token { start: start as u32, end: out.len() as u32, word: current, caps });
                open = Some((out.len(), word));
            }
            None => open = Some((out.len(), word)),
            Some(_) => {}
        }
        out.push(char::from(c));
    }
    if let Some((start, word)) = open {
        tokens.push(Token { start: start as u32, end: out.len() as u32, word, caps });
    }
}

/// Pushes the buckets of the byte n-grams of `padded` (`min..=max` bytes long), n-grams starting
/// at each byte in turn, shortest first.
fn push_char_grams(padded: &[u8], min: usize, max: usize, bits: u8, indices: &mut Vec<u32>) {
    for i in 0..padded.len() {
        let gram = &padded[i..padded.len().min(i + max)];
        let mut h = CHAR_SEED;
        for &byte in &gram[..gram.len().min(min - 1)] {
            h = mix(h, u64::from(byte));
        }
        for &byte in gram.get(min - 1..).unwrap_or_default() {
            h = mix(h, u64::from(byte));
            indices.push(bucket(h, bits));
        }
    }
}

/// `raw` with `\uXXXX` escapes decoded, into `out`.
fn decode_escapes(raw: &str, out: &mut String) {
    out.clear();
    let mut rest = raw;
    while let Some(at) = rest.find("\\u") {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 2..at + 6).and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32);
        match code {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 6..];
            }
            None => {
                out.push_str("\\u");
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
}

/// A sparse feature vector; an index may repeat (its values add up).
#[derive(Debug, Clone, Default)]
pub(crate) struct Features {
    pub(crate) indices: Vec<u32>,
    pub(crate) values: Vec<f32>,
    /// Scratch space, kept between texts.
    text: String,
    decoded: String,
    folded: String,
    tokens: Vec<Token>,
    words: Vec<(u32, u32)>,
    tally: Tally,
    grams: GramCache,
    known: WordCache,
    /// Scratch buckets of one word's character n-grams, for [`Features::extract_scoring`].
    word_grams: Vec<u32>,
}

/// Most words whose character n-gram buckets a [`GramCache`] remembers before it starts again.
const REMEMBERED_WORDS: usize = 16_384;
/// Longest word (with its two spaces) remembered: longer ones are rare, and computed each time.
const LONGEST_REMEMBERED: usize = 24;

/// The buckets of the character n-grams of words already seen, per feature spec. Posts repeat
/// the same few thousand words, so most words are read back instead of hashed gram by gram. Keys
/// and buckets live in two arenas that keep their memory when the cache starts again, so a warm
/// cache allocates nothing.
#[derive(Debug, Clone, Default)]
struct GramCache {
    /// Hash of (spec, padded word) → where its bytes and buckets are in the arenas.
    entries: rustc_hash::FxHashMap<u64, GramEntry>,
    bytes: Vec<u8>,
    buckets: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
struct GramEntry {
    spec: (u8, u8, u8),
    bytes: (u32, u32),
    buckets: (u32, u32),
}

impl GramCache {
    fn key(spec: (u8, u8, u8), padded: &[u8]) -> u64 {
        let seed = CHAR_SEED ^ (u64::from(spec.0) << 16 | u64::from(spec.1) << 8 | u64::from(spec.2));
        hash_bytes(seed, padded)
    }

    /// The buckets remembered for `padded` under `spec`, if any.
    fn get(&self, spec: (u8, u8, u8), padded: &[u8]) -> Option<&[u32]> {
        let e = self.entries.get(&Self::key(spec, padded))?;
        let same = e.spec == spec && self.bytes.get(e.bytes.0 as usize..e.bytes.1 as usize) == Some(padded);
        same.then(|| self.buckets.get(e.buckets.0 as usize..e.buckets.1 as usize)).flatten()
    }

    /// Remembers `buckets` for `padded` under `spec` (a word whose hash another word holds is
    /// left out: it is computed each time).
    fn remember(&mut self, spec: (u8, u8, u8), padded: &[u8], buckets: &[u32]) {
        if self.entries.len() >= REMEMBERED_WORDS {
            self.entries.clear();
            self.bytes.clear();
            self.buckets.clear();
        }
        let (b0, g0) = (self.bytes.len() as u32, self.buckets.len() as u32);
        let entry = GramEntry { spec, bytes: (b0, b0 + padded.len() as u32), buckets: (g0, g0 + buckets.len() as u32) };
        if let std::collections::hash_map::Entry::Vacant(slot) = self.entries.entry(Self::key(spec, padded)) {
            slot.insert(entry);
            self.bytes.extend_from_slice(padded);
            self.buckets.extend_from_slice(buckets);
        }
    }
}

/// Most words a [`WordCache`] remembers before it starts again (about 4 MB a thread).
const KNOWN_WORDS: usize = 32_768;
/// Most bytes of words a [`WordCache`] keeps before it starts again.
const REMEMBERED_BYTES: usize = 1 << 20;

/// One token of a remembered word, as the scoring path reads it.
#[derive(Debug, Clone, Copy)]
struct WordToken {
    /// Hash of the token.
    hash: u64,
    /// Hash of a hashtag's word ("#fail" → "fail"), when hashtags count as their word.
    tag: Option<u64>,
    /// What the lexicon says (of the token, else of a hashtag's word), when the lexicon is used.
    cue: Option<Cue>,
    word: bool,
    caps: bool,
}

impl WordToken {
    /// `token` (the text of `t`) read with `lexicon`, when the lexicon is used.
    fn read(spec: &FeatureSpec, lexicon: Option<&Cues>, token: &str, t: &Token, folded: &mut String) -> WordToken {
        let hash = hash_bytes(WORD_SEED, token.as_bytes());
        let mut cue = lexicon.and_then(|c| c.get(hash, token, folded));
        let mut tag = None;
        if spec.hashtag_words && token.len() > 1 && token.starts_with('#') {
            let word = &token[1..];
            let hw = hash_bytes(WORD_SEED, word.as_bytes());
            if cue.is_none() {
                cue = lexicon.and_then(|c| c.get(hw, word, folded));
            }
            tag = Some(hw);
        }
        WordToken { hash, tag, cue, word: t.word, caps: t.caps }
    }
}

/// The word n-grams of a text's tokens, one token after the other: what the tokens before say
/// (the last two hashes, and how many more words a negation marks).
struct TokenSequence {
    previous: u64,
    before_previous: u64,
    negated: u8,
}

impl Default for TokenSequence {
    fn default() -> Self {
        TokenSequence { previous: BIGRAM_SEED, before_previous: TRIGRAM_SEED, negated: 0 }
    }
}

impl TokenSequence {
    /// Pushes the buckets of `t` (unigram, negation-marked when a negation reaches it, a
    /// hashtag's word, bigram, trigram) and tallies its lexicon cue.
    #[inline(always)]
    fn push(&mut self, spec: &FeatureSpec, t: &WordToken, indices: &mut Vec<u32>, tally: &mut Tally) {
        let bits = spec.hash_bits;
        let marked = t.word && self.negated > 0;
        let unigram = |h: u64| if marked { bucket(mix(h, NEGATED_SEED), bits) } else { bucket(h, bits) };
        indices.push(unigram(t.hash));
        if let Some(tag) = t.tag {
            indices.push(unigram(tag));
        }
        if marked {
            self.negated -= 1;
        }
        if spec.word_ngrams >= 2 {
            indices.push(bucket(mix(self.previous, t.hash), bits));
        }
        if spec.word_ngrams >= 3 {
            indices.push(bucket(mix(mix(self.before_previous, self.previous), t.hash), bits));
        }
        self.before_previous = self.previous;
        self.previous = t.hash;
        match t.cue {
            Some(cue) => {
                tally.token(cue, t.caps);
                if cue.negation {
                    self.negated = spec.negation_scope;
                }
            }
            None if t.word => tally.token(Cue::default(), t.caps),
            // Punctuation ends a negation's reach.
            None => self.negated = 0,
        }
    }
}

/// A word as written (between ASCII whitespace) that the scoring path has read before.
#[derive(Debug, Clone, Copy)]
struct WordEntry {
    owner: u64,
    bytes: (u32, u32),
    tokens: (u32, u32),
    /// Its character n-grams: how many, and the sums of their weights per class.
    grams: u32,
    sums: [f32; 4],
}

/// What the scoring path needs of each word already seen, per model (`owner`): its tokens with
/// their hashes and lexicon cues, and its character n-grams read through the model (a word's
/// n-grams weigh the same within their group, which is scaled to unit length, so a text's
/// n-grams add up to the sums of its words, scaled once). Posts repeat the same few thousand
/// words, so most words cost one look-up instead of being normalised, hashed and looked up in
/// the lexicon token by token, and their n-grams one entry instead of one weight row each. The
/// arenas keep their memory when a full cache starts again.
#[derive(Debug, Clone, Default)]
struct WordCache {
    /// Hash of (owner, word) → the entry.
    entries: rustc_hash::FxHashMap<u64, WordEntry>,
    bytes: Vec<u8>,
    tokens: Vec<WordToken>,
}

impl WordCache {
    fn key(owner: u64, raw: &[u8]) -> u64 {
        hash_bytes(WORD_SEED ^ owner.rotate_left(17), raw)
    }

    /// The entry of `raw` under `owner`, if remembered.
    fn get(&self, owner: u64, raw: &[u8]) -> Option<WordEntry> {
        let e = self.entries.get(&Self::key(owner, raw))?;
        let same = e.owner == owner && self.bytes.get(e.bytes.0 as usize..e.bytes.1 as usize) == Some(raw);
        same.then_some(*e)
    }

    /// Makes room for a word of `len` bytes: a full cache starts again. (A word whose hash
    /// another word holds leaves its tokens in the arena with no entry; they count too, so that no
    /// input grows the cache past its bounds.)
    fn make_room(&mut self, len: usize) {
        let full = self.entries.len() >= KNOWN_WORDS || self.bytes.len() + len > REMEMBERED_BYTES;
        if full || self.tokens.len() + len > REMEMBERED_BYTES {
            self.entries.clear();
            self.bytes.clear();
            self.tokens.clear();
        }
    }
}

impl Features {
    /// Lower-cases, replaces links and handles, squeezes repeated
    /// characters, and records tokens and word boundaries. The normalised
    /// text starts with a space and has one after each word.
    fn normalise(&mut self, text: &str, cues: Option<&Cues>) {
        let Features { text: out, decoded, folded, tokens, words, .. } = self;
        out.clear();
        tokens.clear();
        words.clear();
        out.push(' ');
        let escapes = text.contains("\\u");
        for raw in text.split_ascii_whitespace() {
            let word_start = out.len();
            let caps = is_caps(raw);
            if raw.starts_with("http://") || raw.starts_with("https://") {
                out.push_str("<url>");
                tokens.push(Token { start: word_start as u32, end: out.len() as u32, word: true, caps: false });
            } else if raw.len() > 1 && raw.starts_with('@') {
                out.push_str("<user>");
                tokens.push(Token { start: word_start as u32, end: out.len() as u32, word: true, caps: false });
            } else {
                let source = if escapes && raw.contains("\\u") {
                    decode_escapes(raw, decoded);
                    decoded.as_str()
                } else {
                    raw
                };
                let first_token = tokens.len();
                if source.is_ascii() {
                    push_ascii_word(source.as_bytes(), caps, out, tokens);
                } else {
                    let mut builder = WordTokens::new(caps);
                    for c in source.chars().flat_map(char::to_lowercase) {
                        builder.push(c, out, tokens);
                    }
                    builder.finish(out, tokens);
                }
                // A lexicon entry that mixes kinds (":d", ":-(") stays whole.
                if tokens.len() > first_token + 1 {
                    let whole = &out[word_start..];
                    let h = hash_bytes(WORD_SEED, whole.as_bytes());
                    if cues.and_then(|c| c.get(h, whole, folded)).is_some() {
                        tokens.truncate(first_token);
                        tokens.push(Token { start: word_start as u32, end: out.len() as u32, word: true, caps });
                    }
                }
            }
            if out.len() > word_start {
                words.push((word_start as u32, out.len() as u32));
                out.push(' ');
            }
        }
    }

    /// Fills `self` with the features of `text`.
    pub(crate) fn extract(&mut self, spec: &FeatureSpec, cues: Option<&Cues>, text: &str) {
        let cues = self.extract_words(spec, cues, text);
        if spec.char_min > 0 {
            self.char_grams(spec);
        }
        if cues.is_some() {
            self.lexicon_figures(spec, text);
        }
    }

    /// The features of `text` as [`extract`](Self::extract) gives them, read through a linear
    /// model with `weights` (`weights[slot][class]`; `owner` names them, and must differ between
    /// weight tables): `self` holds the word and lexicon features, and the character n-grams'
    /// part of the model's scores is returned (per class, the group already scaled). The scores
    /// are those of the whole vector, up to the order the floats are added in.
    pub(crate) fn extract_scoring(
        &mut self,
        spec: &FeatureSpec,
        cues: Option<&Cues>,
        text: &str,
        weights: &[[f32; 4]],
        owner: u64,
    ) -> [f32; 4] {
        self.indices.clear();
        self.values.clear();
        self.tally.clear();
        let lexicon = cues.filter(|_| spec.lexicon_weight > 0.0);
        let mut sequence = TokenSequence::default();
        let (mut sums, mut grams) = ([0.0f32; 4], 0u32);
        for raw in text.split_ascii_whitespace() {
            // Every link and every handle reads as the same word as `<url>` or `<user>` written out.
            let raw = if raw.starts_with("http://") || raw.starts_with("https://") {
                "<url>"
            } else if raw.len() > 1 && raw.starts_with('@') {
                "<user>"
            } else {
                raw
            };
            let entry = match self.known.get(owner, raw.as_bytes()) {
                Some(entry) => entry,
                None => self.learn_word(spec, cues, raw, weights, owner),
            };
            grams += entry.grams;
            for (sum, add) in sums.iter_mut().zip(entry.sums) {
                *sum += add;
            }
            let Features { indices, tally, known, .. } = self;
            for t in &known.tokens[entry.tokens.0 as usize..entry.tokens.1 as usize] {
                sequence.push(spec, t, indices, tally);
            }
        }
        self.scale_group(0);
        if lexicon.is_some() {
            self.lexicon_figures(spec, text);
        }
        if grams == 0 {
            return [0.0; 4];
        }
        let v = 1.0 / (grams as f32).sqrt();
        sums.map(|t| t * v)
    }

    /// Reads the word `raw` (no ASCII whitespace in it) as [`extract`](Self::extract) would, and
    /// remembers it under `owner`.
    fn learn_word(
        &mut self,
        spec: &FeatureSpec,
        cues: Option<&Cues>,
        raw: &str,
        weights: &[[f32; 4]],
        owner: u64,
    ) -> WordEntry {
        self.normalise(raw, cues);
        let lexicon = cues.filter(|_| spec.lexicon_weight > 0.0);
        self.known.make_room(raw.len());
        let Features { text, tokens, words, folded, known, word_grams, .. } = self;
        let first = known.tokens.len() as u32;
        for t in tokens.iter() {
            known.tokens.push(WordToken::read(spec, lexicon, &text[t.start as usize..t.end as usize], t, folded));
        }
        let (mut n, mut sums) = (0u32, [0.0f32; 4]);
        if spec.char_min > 0 {
            let bytes = text.as_bytes();
            for &(a, b) in words.iter() {
                word_grams.clear();
                push_char_grams(
                    &bytes[a as usize - 1..b as usize + 1],
                    usize::from(spec.char_min),
                    usize::from(spec.char_max),
                    spec.hash_bits,
                    word_grams,
                );
                n += word_grams.len() as u32;
                for w in word_grams.iter().filter_map(|&g| weights.get(g as usize)) {
                    for k in 0..4 {
                        sums[k] += w[k];
                    }
                }
            }
        }
        let b0 = known.bytes.len() as u32;
        let entry = WordEntry {
            owner,
            bytes: (b0, b0 + raw.len() as u32),
            tokens: (first, known.tokens.len() as u32),
            grams: n,
            sums,
        };
        if let std::collections::hash_map::Entry::Vacant(slot) =
            known.entries.entry(WordCache::key(owner, raw.as_bytes()))
        {
            slot.insert(entry);
            known.bytes.extend_from_slice(raw.as_bytes());
        }
        entry
    }

    /// Normalises `text` and pushes its word n-grams as one unit-length group; returns the cues
    /// when the lexicon figures are wanted.
    fn extract_words<'c>(&mut self, spec: &FeatureSpec, cues: Option<&'c Cues>, text: &str) -> Option<&'c Cues> {
        self.indices.clear();
        self.values.clear();
        self.normalise(text, cues);
        let cues = cues.filter(|_| spec.lexicon_weight > 0.0);
        self.tally.clear();

        let mut sequence = TokenSequence::default();
        let Features { text, tokens, indices, tally, folded, .. } = self;
        for t in tokens.iter() {
            let token = WordToken::read(spec, cues, &text[t.start as usize..t.end as usize], t, folded);
            sequence.push(spec, &token, indices, tally);
        }
        self.scale_group(0);
        cues
    }

    /// Character n-grams of every word, with the spaces around it, as one unit-length group.
    fn char_grams(&mut self, spec: &FeatureSpec) {
        let bits = spec.hash_bits;
        let start = self.indices.len();
        let (min, max) = (usize::from(spec.char_min), usize::from(spec.char_max));
        let tag = (bits, spec.char_min, spec.char_max);
        let Features { text, words, indices, grams, .. } = self;
        let bytes = text.as_bytes();
        indices.reserve(bytes.len() * (max + 1 - min));
        for &(a, b) in words.iter() {
            // The word with the spaces around it.
            let padded = &bytes[a as usize - 1..b as usize + 1];
            let remembered = padded.len() <= LONGEST_REMEMBERED;
            if remembered {
                if let Some(known) = grams.get(tag, padded) {
                    indices.extend_from_slice(known);
                    continue;
                }
            }
            let from = indices.len();
            push_char_grams(padded, min, max, bits, indices);
            if remembered {
                grams.remember(tag, padded, &indices[from..]);
            }
        }
        self.scale_group(start);
    }

    /// The lexicon's figures for the tallied tokens, with the text's `!` and `?`, weighted.
    fn lexicon_figures(&mut self, spec: &FeatureSpec, text: &str) {
        let count = |mark: u8| text.bytes().filter(|&b| b == mark).count();
        let (exclamations, questions) = (count(b'!'), count(b'?'));
        let figures = self.tally.figures(exclamations, questions);
        let base = spec.buckets() as u32;
        for (k, v) in figures.into_iter().enumerate() {
            self.indices.push(base + k as u32);
            self.values.push(v * spec.lexicon_weight);
        }
        if spec.lexicon_bins > 0 {
            let bins = f32::from(spec.lexicon_bins);
            let bin = (((figures[0] + 1.0) / 2.0 * bins) as u32).min(u32::from(spec.lexicon_bins) - 1);
            self.indices.push(base + LEXICON_FEATURES as u32 + bin);
            self.values.push(spec.lexicon_weight);
        }
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

    #[cfg(test)]
    fn tokens(&self) -> Vec<&str> {
        self.tokens.iter().map(|t| &self.text[t.start as usize..t.end as usize]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vader::Vader;

    fn spec() -> FeatureSpec {
        FeatureSpec {
            hash_bits: 16,
            word_ngrams: 2,
            char_min: 2,
            char_max: 4,
            lexicon_weight: 1.0,
            negation_scope: 3,
            hashtag_words: false,
            lexicon_bins: 0,
        }
    }

    #[test]
    fn links_handles_escapes_and_elongations_are_normalised() {
        let mut f = Features::default();
        f.normalise("SOOOO good @Acme https://t.co/x !!!! i\\u2019m", None);
        assert_eq!(f.text, " soo good <user> <url> !! i'm ");
        assert_eq!(f.words.len(), 6);
        assert_eq!(f.tokens(), ["soo", "good", "<user>", "<url>", "!!", "i'm"]);
    }

    #[test]
    fn words_split_from_punctuation_and_emoji_but_emoticons_stay_whole() {
        let cues = Cues::of(&Vader::english());
        let mut f = Features::default();
        f.normalise("great!!😀😀 :D", Some(&cues));
        assert_eq!(f.tokens(), ["great", "!!", "😀", "😀", ":d"]);
    }

    #[test]
    fn same_text_same_features_and_groups_have_unit_length() {
        let cues = Cues::of(&Vader::english());
        let (mut a, mut b) = (Features::default(), Features::default());
        a.extract(&spec(), Some(&cues), "I love it");
        b.extract(&spec(), Some(&cues), "I love it");
        assert_eq!(a.indices, b.indices);
        assert!(a.indices.iter().all(|&i| (i as usize) < spec().width()));
        let words = 3 + 3;
        let norm: f32 = a.values[..words].iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert_eq!(*a.indices.last().unwrap() as usize, spec().buckets() + 5);
        let compound = a.values[a.values.len() - LEXICON_FEATURES];
        assert!(compound > 0.3, "\"love\" is positive: {compound}");
    }

    #[test]
    fn words_after_a_negation_are_marked_until_punctuation() {
        let cues = Cues::of(&Vader::english());
        let spec = FeatureSpec { word_ngrams: 1, char_min: 0, char_max: 0, ..spec() };
        let unigrams = |text: &str| {
            let mut f = Features::default();
            f.extract(&spec, Some(&cues), text);
            f.indices[..f.indices.len() - LEXICON_FEATURES].to_vec()
        };
        let plain = unigrams("good service");
        let negated = unigrams("not good service");
        assert_ne!(negated[1], plain[0], "\"good\" after \"not\" is another feature");
        let stopped = unigrams("not , good service");
        assert_eq!(stopped[2..], plain[..], "punctuation ends the negation");
    }

    proptest::proptest! {
        #[test]
        fn ascii_words_split_as_any_other_word(word in "[ -~]{0,24}", caps: bool) {
            let (mut fast, mut fast_tokens) = (String::new(), Vec::new());
            push_ascii_word(word.as_bytes(), caps, &mut fast, &mut fast_tokens);
            let (mut slow, mut slow_tokens) = (String::new(), Vec::new());
            let mut builder = WordTokens::new(caps);
            for c in word.chars() {
                builder.push(c.to_ascii_lowercase(), &mut slow, &mut slow_tokens);
            }
            builder.finish(&slow, &mut slow_tokens);
            proptest::prop_assert_eq!(fast, slow);
            let spans = |t: &[Token]| t.iter().map(|t| (t.start, t.end, t.word, t.caps)).collect::<Vec<_>>();
            proptest::prop_assert_eq!(spans(&fast_tokens), spans(&slow_tokens));
        }
    }

    #[test]
    fn hashtags_count_as_their_word_and_the_lexicon_score_falls_in_one_bin() {
        let cues = Cues::of(&Vader::english());
        let plain = FeatureSpec { word_ngrams: 1, char_min: 0, char_max: 0, ..spec() };
        let with = FeatureSpec { hashtag_words: true, lexicon_bins: 4, ..plain };
        let extract = |spec: &FeatureSpec, text: &str| {
            let mut f = Features::default();
            f.extract(spec, Some(&cues), text);
            (f.indices.clone(), f.values.clone())
        };
        let (word, _) = extract(&plain, "fail");
        let (tag, values) = extract(&with, "#fail");
        assert!(tag.contains(&word[0]), "#fail also counts as fail");
        let compound = values[values.len() - 1 - LEXICON_FEATURES];
        assert!(compound < -0.05, "the lexicon reads the hashtag's word: {compound}");
        let base = with.buckets() as u32 + LEXICON_FEATURES as u32;
        let bins: Vec<u32> = tag.iter().copied().filter(|&i| i >= base).collect();
        assert_eq!(bins, [base], "a negative score falls in the lowest bin");
        assert_eq!(with.width(), with.buckets() + LEXICON_FEATURES + 4);
    }

    proptest::proptest! {
        /// Features read back from the n-gram cache are those computed afresh, whatever came
        /// before and whichever spec read the words first.
        #[test]
        fn remembered_grams_are_the_grams(
            texts in proptest::collection::vec("((good|bad|service|flight|sooo|caf\u{e9}|@acme|#fail|[a-z]{1,30}|!!) ){1,12}", 1..12),
        ) {
            let cues = Cues::of(&Vader::english());
            let other = FeatureSpec { hash_bits: 18, char_min: 1, char_max: 5, ..spec() };
            let mut warm = Features::default();
            for text in texts.iter().chain(texts.iter()) {
                for spec in [spec(), other] {
                    let mut cold = Features::default();
                    cold.extract(&spec, Some(&cues), text);
                    warm.extract(&spec, Some(&cues), text);
                    proptest::prop_assert_eq!(&warm.indices, &cold.indices);
                    proptest::prop_assert_eq!(&warm.values, &cold.values);
                }
            }
        }
    }

    #[test]
    fn a_full_gram_cache_starts_again() {
        let mut cache = GramCache::default();
        let tag = (16, 2, 4);
        for i in 0..REMEMBERED_WORDS + 10 {
            let word = format!(" w{i} ");
            cache.remember(tag, word.as_bytes(), &[i as u32]);
        }
        assert!(cache.entries.len() <= REMEMBERED_WORDS);
        let last = format!(" w{} ", REMEMBERED_WORDS + 9);
        assert_eq!(cache.get(tag, last.as_bytes()), Some(&[(REMEMBERED_WORDS + 9) as u32][..]));
        assert_eq!(cache.get((16, 2, 5), last.as_bytes()), None, "another spec");
        assert_eq!(cache.get(tag, b" w0 "), None, "forgotten");
    }

    #[test]
    fn the_word_memory_stays_within_its_bounds() {
        let spec = spec();
        let weights = vec![[0.5f32; 4]; spec.width()];
        let mut f = Features::default();
        // More words than it keeps, a long one among them.
        let long = "x".repeat(5_000);
        for i in 0..KNOWN_WORDS + 100 {
            let text = if i % 1_000 == 0 { format!("w{i} {long}") } else { format!("w{i} ok") };
            f.extract_scoring(&spec, None, &text, &weights, 7);
            assert!(f.known.entries.len() <= KNOWN_WORDS);
            assert!(f.known.bytes.len() <= REMEMBERED_BYTES + long.len());
            assert!(f.known.tokens.len() <= REMEMBERED_BYTES + long.len());
        }
        // A word read since the last start is known; another owner's is not.
        let last = format!("w{}", KNOWN_WORDS + 99);
        assert!(f.known.get(7, last.as_bytes()).is_some());
        assert!(f.known.get(8, last.as_bytes()).is_none());
        assert!(f.known.get(7, b"w0").is_none(), "forgotten");
    }

    #[test]
    fn the_hash_is_fixed() {
        assert_eq!(hash_bytes(WORD_SEED, b"good"), hash_bytes(WORD_SEED, b"good"));
        assert_ne!(hash_bytes(WORD_SEED, b"good"), hash_bytes(WORD_SEED, b"goods"));
        assert_ne!(hash_bytes(WORD_SEED, b"abcdefgh"), hash_bytes(WORD_SEED, b"abcdefgh\0"));
    }
}
