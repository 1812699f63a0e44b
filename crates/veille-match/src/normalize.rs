//! Text normalisation: the form in which terms and texts are compared.

use std::sync::LazyLock;

use unicode_normalization::char::decompose_compatible;

/// Normalises `text` the way watch terms and mention texts are compared.
///
/// Compatibility decomposition (the NFKC family: ligatures, full-width forms
/// and non-breaking spaces become their plain forms), lowercase with full
/// case folding of `ß` and final sigma, diacritics removed, typographic
/// apostrophes turned into `'`, invisible characters (soft hyphen, zero-width
/// spaces, variation selectors) dropped and every run of white space turned
/// into one space. Applying it twice changes nothing.
///
/// ```
/// use veille_match::normalize;
/// assert_eq!(normalize("SOCIÉTÉ  Générale"), "societe generale");
/// assert_eq!(normalize("Straße ｆｉｎａｌｅ"), "strasse finale");
/// ```
pub fn normalize(text: &str) -> String {
    let mut n = Normalized::default();
    n.fill(text);
    n.text
}

/// Whether `c` counts as part of a word for whole-word matching.
///
/// Letters, digits and `_`, except in scripts written without spaces between
/// words (Chinese, Japanese, Korean, Thai, ...), where every position is a
/// boundary.
pub(crate) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return is_ascii_word_byte(c as u8);
    }
    c.is_alphanumeric() && !is_unspaced_script(c)
}

/// [`is_word_char`] for an ASCII byte.
#[inline(always)]
pub(crate) fn is_ascii_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1100..=0x11FF // Hangul jamo
        | 0x1780..=0x17FF // Khmer
        | 0x3040..=0x31FF // Kana, Bopomofo, Hangul compatibility jamo
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0x20000..=0x3FFFF // CJK extensions B and later
    )
}

/// Combining marks that are diacritics of Latin, Greek, Cyrillic, Hebrew and
/// Arabic letters (folded away); other marks carry meaning and stay.
fn is_diacritic(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F
        | 0x0591..=0x05C7
        | 0x064B..=0x065F
        | 0x0670
        | 0x1AB0..=0x1AFF
        | 0x1DC0..=0x1DFF
        | 0x20D0..=0x20FF
        | 0xFE20..=0xFE2F
    )
}

/// Lowercase ASCII, with the white-space controls turned into a space.
const ASCII_FOLD: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        table[i] = match b {
            b'A'..=b'Z' => b + 32,
            b'\t' | b'\n' | 0x0B | 0x0C | b'\r' => b' ',
            _ => b,
        };
        i += 1;
    }
    table
};

/// Whether `bytes` is printable ASCII without two spaces in a row.
///
/// Written without early exits so that it compiles to vector instructions:
/// on short texts one pass over everything beats stopping early.
fn is_plain_ascii(bytes: &[u8]) -> bool {
    let printable = bytes.iter().fold(true, |ok, &b| ok & (b.wrapping_sub(0x20) < 0x5F));
    let doubled =
        bytes.iter().zip(bytes.iter().skip(1)).fold(false, |found, (&a, &b)| found | ((a == b' ') & (b == b' ')));
    printable && !doubled
}

/// The length of the leading run of printable ASCII in `bytes` that has no
/// space following a space (`after_space`: whether the byte before was one).
///
/// Eight bytes at a time: most mention text is such a run from end to end.
fn plain_ascii_run(bytes: &[u8], after_space: bool) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let mut previous_space = after_space;
    let mut at = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // Some byte below 0x20, or some byte at 0x7F or above.
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let beyond = (x.wrapping_add(ONES) | x) & HIGH;
        // High bit set exactly in the bytes that are spaces.
        let diff = x ^ (ONES * 0x20);
        let spaces = !(((diff & LOW7) + LOW7) | diff | LOW7);
        let doubled = spaces & (spaces << 8) != 0 || (previous_space && spaces & 0x80 != 0);
        if control | beyond != 0 || doubled {
            break;
        }
        previous_space = spaces >> 63 != 0;
        at += 8;
    }
    for &b in &bytes[at..] {
        let space = b == b' ';
        if !(0x20..0x7F).contains(&b) || (space && previous_space) {
            return at;
        }
        previous_space = space;
        at += 1;
    }
    at
}

/// What [`Normalized::fold`] makes of the characters most non-ASCII text is
/// made of, computed once: the Latin letters and signs of U+0080 to U+024F
/// and the typographic punctuation of U+2000 to U+206F (quotes, dashes,
/// ellipsis). Characters that fold to white space are left out: what they
/// become depends on what came before.
static SHORTCUTS: LazyLock<Vec<Option<Box<str>>>> = LazyLock::new(|| {
    SHORTCUT_RANGES
        .iter()
        .flat_map(|range| range.clone())
        .map(|code| {
            let c = char::from_u32(code)?;
            let mut n = Normalized::default();
            n.fold(c, 0);
            (!n.text.contains(char::is_whitespace)).then(|| n.text.into_boxed_str())
        })
        .collect()
});

const SHORTCUT_RANGES: [std::ops::Range<u32>; 2] = [0x80..0x250, 0x2000..0x2070];

/// The folding of `c` when it has a shortcut.
#[inline]
fn shortcut(c: char) -> Option<&'static str> {
    let code = c as u32;
    let mut offset = 0;
    for range in &SHORTCUT_RANGES {
        if range.contains(&code) {
            return SHORTCUTS.get(offset + (code - range.start) as usize)?.as_deref();
        }
        offset += range.len();
    }
    None
}

/// A normalised text that remembers where each of its bytes came from.
///
/// Offsets are identical to the original's up to `map_from`; from there on
/// `map[i - map_from]` is the original offset of the character that produced
/// normalised byte `i`. Pure ASCII text with single spaces never needs the map.
#[derive(Debug, Default)]
pub(crate) struct Normalized {
    pub(crate) text: String,
    map: Vec<u32>,
    map_from: usize,
    original_len: usize,
    last_space: bool,
}

impl Normalized {
    /// Prepares the spans of `original` for scanning and tells whether
    /// `original` can be scanned as it is: printable ASCII with single spaces
    /// differs from its normalisation by letter case only, which an ASCII
    /// case-insensitive automaton ignores. Otherwise the normalisation is in
    /// `self.text`.
    pub(crate) fn prepare(&mut self, original: &str) -> bool {
        if is_plain_ascii(original.as_bytes()) {
            self.text.clear();
            self.map.clear();
            self.map_from = usize::MAX;
            self.original_len = original.len();
            true
        } else {
            self.fill(original);
            false
        }
    }

    /// Replaces the content with the normalisation of `original`.
    pub(crate) fn fill(&mut self, original: &str) {
        self.text.clear();
        self.map.clear();
        self.map_from = usize::MAX;
        self.original_len = original.len();
        self.last_space = false;
        self.text.reserve(original.len());
        let bytes = original.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            // Printable ASCII without repeated spaces only needs lowercasing:
            // copy it in bulk.
            let run = plain_ascii_run(&bytes[at..], self.last_space);
            if run > 0 {
                let before = self.text.len();
                self.text.push_str(&original[at..at + run]);
                self.text[before..].make_ascii_lowercase();
                if self.map_from != usize::MAX {
                    self.map.extend((at..at + run).map(|o| o as u32));
                }
                self.last_space = bytes[at + run - 1] == b' ';
                at += run;
                continue;
            }
            let Some(c) = original[at..].chars().next() else {
                break;
            };
            let before = self.text.len();
            if c.is_ascii() {
                self.emit(ASCII_FOLD[c as usize] as char);
            } else if let Some(folded) = shortcut(c) {
                // What `fold` makes of `c`, without looking it up again.
                if !folded.is_empty() {
                    self.text.push_str(folded);
                    self.last_space = false;
                }
            } else {
                self.fold(c, 0);
            }
            self.record(at, before, c.len_utf8());
            at += c.len_utf8();
        }
    }

    fn record(&mut self, original_at: usize, before: usize, source_len: usize) {
        let emitted = self.text.len() - before;
        if self.map_from == usize::MAX {
            if emitted == source_len {
                return;
            }
            self.map_from = before;
        }
        // Mention texts are capped far below 4 GiB, so offsets fit in u32.
        let at = original_at as u32;
        self.map.extend(std::iter::repeat_n(at, emitted));
    }

    fn emit(&mut self, c: char) {
        if c.is_whitespace() {
            if !self.last_space {
                self.text.push(' ');
                self.last_space = true;
            }
        } else {
            self.text.push(c);
            self.last_space = false;
        }
    }

    /// Decomposes, drops diacritics and lowercases until nothing changes.
    fn fold(&mut self, c: char, depth: u8) {
        decompose_compatible(c, |d| {
            if is_diacritic(d) {
                return;
            }
            let mut lower = d.to_lowercase();
            if depth < 4 && !(lower.len() == 1 && lower.clone().next() == Some(d)) {
                for l in &mut lower {
                    self.fold(l, depth + 1);
                }
                return;
            }
            match d {
                '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => {}
                '\u{FE00}'..='\u{FE0F}' => {}
                '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{2032}' => self.emit('\''),
                'ß' => {
                    self.emit('s');
                    self.emit('s');
                }
                'ς' => self.emit('σ'),
                _ => self.emit(d),
            }
        });
    }

    /// The byte range of `original` that produced normalised bytes `start..end`.
    ///
    /// `start..end` must lie on character boundaries of the normalised text,
    /// and `original` must be the text last given to [`Normalized::fill`].
    pub(crate) fn original_span(&self, original: &str, start: usize, end: usize) -> (usize, usize) {
        (self.original_start(start), self.original_end(original, end))
    }

    fn original_start(&self, at: usize) -> usize {
        if at < self.map_from {
            at
        } else if at - self.map_from >= self.map.len() {
            self.original_len
        } else {
            self.map[at - self.map_from] as usize
        }
    }

    /// The end of the character that produced normalised byte `end - 1`,
    /// with the diacritics that followed it and were folded away.
    fn original_end(&self, original: &str, end: usize) -> usize {
        if end == 0 {
            return self.original_start(0);
        }
        let last = self.original_start(end - 1);
        let rest = original.get(last..).unwrap_or_default();
        let mut chars = rest.chars();
        let width = chars.next().map_or(0, char::len_utf8);
        let marks: usize = chars.take_while(|&c| is_diacritic(c)).map(char::len_utf8).sum();
        last + width + marks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_text(original: &str, normalized_part: &str) -> String {
        let mut n = Normalized::default();
        n.fill(original);
        let start = n.text.find(normalized_part).unwrap_or(0);
        let (s, e) = n.original_span(original, start, start + normalized_part.len());
        original[s..e].to_string()
    }

    #[test]
    fn accents_case_and_compatibility_forms_fold_together() {
        assert_eq!(normalize("Société Générale"), "societe generale");
        assert_eq!(normalize("SOCIÉTÉ"), "societe");
        assert_eq!(normalize("Societe\u{0301}"), "societe");
        assert_eq!(normalize("ＡＣＭＥ＠ｘ"), "acme@x");
        assert_eq!(normalize("ﬁnance"), "finance");
        assert_eq!(normalize("ΣΟΦΟΣ σοφος"), "σοφοσ σοφοσ");
        assert_eq!(normalize("İstanbul"), "istanbul");
    }

    #[test]
    fn white_space_runs_collapse_and_invisible_characters_vanish() {
        assert_eq!(normalize("a \t\n b"), "a b");
        assert_eq!(normalize("a\u{00A0}\u{2003}b"), "a b");
        assert_eq!(normalize("Dis\u{00AD}ney"), "disney");
        assert_eq!(normalize("don’t"), "don't");
    }

    #[test]
    fn spans_map_back_to_the_original_characters() {
        assert_eq!(span_text("Hello SOCIÉTÉ Générale!", "generale"), "Générale");
        assert_eq!(span_text("x  \n  Orange  y", "orange"), "Orange");
        assert_eq!(span_text("große Straße", "strasse"), "Straße");
        assert_eq!(span_text("café\u{0301} x", "cafe"), "café\u{0301}");
        assert_eq!(span_text("ＡＣＭＥ rocks", "acme"), "ＡＣＭＥ");
        assert_eq!(span_text(" aa\u{ad}\u{200b}", "aa"), "aa");
    }

    #[test]
    fn plain_runs_stop_at_controls_non_ascii_and_repeated_spaces() {
        let naive = |bytes: &[u8], after_space: bool| {
            let mut previous = after_space;
            for (i, &b) in bytes.iter().enumerate() {
                if !(0x20..0x7F).contains(&b) || (b == b' ' && previous) {
                    return i;
                }
                previous = b == b' ';
            }
            bytes.len()
        };
        let samples: [&[u8]; 9] = [
            b"plain text that runs to the very end",
            b"two  spaces in the middle of a long line",
            b"ends with a space ",
            b"12345678 9abcdefg",
            b"1234567  abcdefgh",
            b"tab\there and more text",
            b"del\x7f and more text here",
            b"caf\xc3\xa9 au lait with more",
            b" leading",
        ];
        for sample in samples {
            assert_eq!(is_plain_ascii(sample), naive(sample, false) == sample.len());
            for from in 0..sample.len() {
                for after_space in [false, true] {
                    let rest = &sample[from..];
                    assert_eq!(
                        plain_ascii_run(rest, after_space),
                        naive(rest, after_space),
                        "{:?} {after_space}",
                        String::from_utf8_lossy(rest)
                    );
                }
            }
        }
    }

    #[test]
    fn shortcuts_fold_like_the_general_path() {
        for code in SHORTCUT_RANGES.iter().flat_map(|range| range.clone()) {
            let Some(c) = char::from_u32(code) else { continue };
            let mut general = Normalized::default();
            general.fold(c, 0);
            match shortcut(c) {
                Some(folded) => assert_eq!(folded, general.text, "U+{code:04X}"),
                None => assert!(general.text.contains(char::is_whitespace), "U+{code:04X}"),
            }
        }
        assert_eq!(shortcut('é'), Some("e"));
        assert_eq!(shortcut('Œ'), Some("œ"));
        assert_eq!(shortcut('’'), Some("'"));
        assert_eq!(shortcut('\u{00AD}'), Some(""));
        assert_eq!(shortcut('\u{00A0}'), None);
        assert_eq!(shortcut('ɐ'), None);
        assert_eq!(shortcut('華'), None);
    }

    #[test]
    fn scripts_without_spaces_have_boundaries_everywhere() {
        assert!(is_word_char('é'));
        assert!(is_word_char('_'));
        assert!(!is_word_char('@'));
        assert!(!is_word_char('华'));
    }
}
