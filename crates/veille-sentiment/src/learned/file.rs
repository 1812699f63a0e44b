//! The model file: small, binary, little-endian, checked on load.
//!
//! ```text
//! "VEILLESM"            magic, 8 bytes
//! u32 version           3 (2 is read too: no hashtag words, no bins)
//! u8 n, n bytes         language (ISO 639-1, UTF-8)
//! u8 hash_bits, u8 word_ngrams, u8 char_min, u8 char_max, u8 negation_scope
//! f32 lexicon_weight
//! u8 hashtag_words, u8 lexicon_bins          (version 3)
//! u8 lexicon            0 none, 1 English VADER, 2 French VADER
//! 3 × f32               bias (negative, neutral, positive)
//! u32 n, n × (u32 slot, 3 × f32)   non-zero weight rows, slots ascending
//! ```

use super::features::FeatureSpec;
use super::optimize::CLASSES;
use super::Model;
use crate::vader::Dialect;

const MAGIC: &[u8; 8] = b"VEILLESM";
const VERSION: u32 = 3;

/// Serialises `model`.
pub(super) fn encode(model: &Model) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.push(model.lang.len() as u8);
    out.extend_from_slice(model.lang.as_bytes());
    let spec = &model.spec;
    out.extend_from_slice(&[spec.hash_bits, spec.word_ngrams, spec.char_min, spec.char_max, spec.negation_scope]);
    out.extend_from_slice(&spec.lexicon_weight.to_le_bytes());
    out.extend_from_slice(&[u8::from(spec.hashtag_words), spec.lexicon_bins]);
    out.push(match model.lexicon {
        None => 0,
        Some(Dialect::English) => 1,
        Some(Dialect::French) => 2,
    });
    for b in model.bias {
        out.extend_from_slice(&b.to_le_bytes());
    }
    let rows: Vec<(usize, &[f32])> = model
        .weights
        .iter()
        .map(|row| &row[..CLASSES])
        .enumerate()
        .filter(|(_, row)| row.iter().any(|w| *w != 0.0))
        .collect();
    out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
    for (slot, row) in rows {
        out.extend_from_slice(&(slot as u32).to_le_bytes());
        for w in row {
            out.extend_from_slice(&w.to_le_bytes());
        }
    }
    out
}

/// A cursor over the bytes that reports what it failed to read.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.bytes.len() < n {
            return Err(format!("truncated while reading {what}"));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn f32(&mut self, what: &str) -> Result<f32, String> {
        let v = f32::from_bits(self.u32(what)?);
        if v.is_finite() {
            Ok(v)
        } else {
            Err(format!("{what} is not a finite number"))
        }
    }
}

/// Parses a model file; the error says what is wrong.
pub(super) fn decode(bytes: &[u8]) -> Result<Model, String> {
    let mut r = Reader { bytes };
    if r.take(8, "the magic number")? != MAGIC {
        return Err("not a veille sentiment model (bad magic number)".into());
    }
    let version = r.u32("the version")?;
    if !(2..=VERSION).contains(&version) {
        return Err(format!("format version {version}, this build reads 2 to {VERSION}"));
    }
    let n = usize::from(r.u8("the language")?);
    let lang = std::str::from_utf8(r.take(n, "the language")?)
        .map_err(|_| "the language is not UTF-8".to_string())?
        .to_string();
    let mut spec = FeatureSpec {
        hash_bits: r.u8("hash_bits")?,
        word_ngrams: r.u8("word_ngrams")?,
        char_min: r.u8("char_min")?,
        char_max: r.u8("char_max")?,
        negation_scope: r.u8("negation_scope")?,
        lexicon_weight: r.f32("lexicon_weight")?,
        hashtag_words: false,
        lexicon_bins: 0,
    };
    if version >= 3 {
        spec.hashtag_words = match r.u8("hashtag_words")? {
            0 => false,
            1 => true,
            other => return Err(format!("hashtag_words is {other}, not 0 or 1")),
        };
        spec.lexicon_bins = r.u8("lexicon_bins")?;
    }
    super::check_spec(&spec)?;
    let lexicon = match r.u8("the lexicon")? {
        0 => None,
        1 => Some(Dialect::English),
        2 => Some(Dialect::French),
        other => return Err(format!("unknown lexicon {other}")),
    };
    let mut bias = [0.0; CLASSES];
    for b in &mut bias {
        *b = r.f32("the bias")?;
    }
    let width = spec.width();
    let mut weights = vec![[0.0f32; 4]; width];
    let rows = r.u32("the number of weight rows")? as usize;
    let mut previous: Option<usize> = None;
    for _ in 0..rows {
        let slot = r.u32("a weight slot")? as usize;
        if slot >= width || previous.is_some_and(|p| p >= slot) {
            return Err(format!("weight slot {slot} out of order or out of range"));
        }
        previous = Some(slot);
        for w in &mut weights[slot][..CLASSES] {
            *w = r.f32("a weight")?;
        }
    }
    if !r.bytes.is_empty() {
        return Err(format!("{} unexpected bytes at the end", r.bytes.len()));
    }
    Ok(Model { lang, spec, lexicon, bias, weights })
}
