//! Lexicon cues of the learned scorer: a light reading of the VADER rules.
//!
//! The learned model leans on the VADER lexicons for the words its training
//! set is too small to teach it. Running the full VADER scorer costs more
//! than the rest of the model, so the features read the lexicon through the
//! tokens they already hash: each token's valence (emoji through the
//! valences of their descriptions), boosters and dampeners in the three
//! tokens before, negation in the three tokens before, capitals emphasis,
//! the "but" / "mais" contrast and exclamation and question marks, summed
//! and normalised the way VADER does. The figures follow VADER's closely
//! without matching them exactly; [`crate::Vader`] is the exact scorer.

use rustc_hash::FxHashMap;

use super::features::{hash_bytes, WORD_SEED};
use crate::fold::push_folded;
use crate::vader::{Dialect, Vader};

/// Valence change of a word in capitals amid words that are not.
const CAPS_INCREMENT: f32 = 0.733;
/// Factor applied to a negated valence.
const NEGATION_SCALAR: f32 = -0.74;
/// VADER's compound normalisation constant.
const ALPHA: f32 = 15.0;
/// Booster scale by distance (one, two, three tokens before).
const BOOSTER_DECAY: [f32; 3] = [1.0, 0.95, 0.9];

/// What the lexicon says about one token.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Cue {
    /// Lexicon valence (0 when none).
    pub(crate) valence: f32,
    /// Booster (> 0) or dampener (< 0) increment (0 when none).
    pub(crate) booster: f32,
    /// Whether the token negates the tokens after it.
    pub(crate) negation: bool,
    /// Whether the token is "but" ("mais"): what follows it weighs more.
    pub(crate) contrast: bool,
}

/// The lexicon cues of one language, keyed by the hash of the token.
#[derive(Debug, Clone)]
pub(crate) struct Cues {
    by_hash: FxHashMap<u64, Cue>,
    /// French lexicon keys are folded to ASCII; tokens are folded to match.
    fold: bool,
}

fn key(word: &str) -> u64 {
    hash_bytes(WORD_SEED, word.as_bytes())
}

impl Cues {
    /// The cues of `vader`'s lexicons.
    pub(crate) fn of(vader: &Vader) -> Cues {
        let mut by_hash: FxHashMap<u64, Cue> = FxHashMap::default();
        let mut lower = String::new();
        for (word, entry) in vader.vocabulary() {
            lower.clear();
            crate::text::push_lowercase(word, &mut lower);
            let cue = by_hash.entry(key(&lower)).or_default();
            if let Some(v) = entry.valence {
                cue.valence = v as f32;
            }
            if let Some(b) = entry.booster {
                cue.booster = b as f32;
            }
            cue.negation |= entry.negation;
        }
        let contrast = match vader.dialect() {
            Dialect::English => "but",
            Dialect::French => "mais",
        };
        by_hash.entry(key(contrast)).or_default().contrast = true;
        // An emoji weighs what the words of its description weigh.
        let fold = vader.dialect() == Dialect::French;
        let mut folded = String::new();
        let mut emoji = Vec::new();
        for (c, description) in vader.emoji_descriptions() {
            let valence: f32 = description
                .split_whitespace()
                .map(|w| {
                    lower.clear();
                    crate::text::push_lowercase(w, &mut lower);
                    let mut k = key(&lower);
                    if fold && !lower.is_ascii() {
                        folded.clear();
                        push_folded(&lower, &mut folded);
                        k = key(&folded);
                    }
                    by_hash.get(&k).map_or(0.0, |cue| cue.valence)
                })
                .sum();
            if valence != 0.0 {
                let mut buf = [0u8; 4];
                emoji.push((key(c.encode_utf8(&mut buf)), valence.clamp(-4.0, 4.0)));
            }
        }
        for (k, valence) in emoji {
            by_hash.entry(k).or_default().valence = valence;
        }
        by_hash.retain(|_, cue| *cue != Cue::default());
        Cues { by_hash, fold }
    }

    /// The cue of `token` (lower-cased), whose hash is `hash`.
    #[inline]
    pub(crate) fn get(&self, hash: u64, token: &str, scratch: &mut String) -> Option<Cue> {
        if let Some(cue) = self.by_hash.get(&hash) {
            return Some(*cue);
        }
        if self.fold && !token.is_ascii() {
            scratch.clear();
            push_folded(token, scratch);
            return self.by_hash.get(&key(scratch)).copied();
        }
        None
    }
}

/// What the last tokens said, most recent first.
#[derive(Debug, Clone, Copy, Default)]
struct Recent {
    booster: f32,
    negation: bool,
}

/// Accumulates the cues of a text's tokens into VADER-like figures.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    /// Valence of each token that has one, and whether it is in capitals.
    valences: Vec<(f32, bool)>,
    recent: [Recent; 3],
    /// Index in `valences` of the first valence after "but".
    contrast_at: Option<usize>,
    tokens: usize,
    caps: usize,
    neutral: usize,
}

impl Tally {
    /// Starts a new text.
    pub(crate) fn clear(&mut self) {
        self.valences.clear();
        self.recent = [Recent::default(); 3];
        self.contrast_at = None;
        self.tokens = 0;
        self.caps = 0;
        self.neutral = 0;
    }

    /// Adds the next token of the text.
    #[inline]
    pub(crate) fn token(&mut self, cue: Cue, caps: bool) {
        self.tokens += 1;
        self.caps += usize::from(caps);
        if cue.contrast && self.contrast_at.is_none() {
            self.contrast_at = Some(self.valences.len());
        }
        if cue.valence == 0.0 {
            self.neutral += 1;
        } else {
            let mut v = cue.valence;
            for (r, decay) in self.recent.iter().zip(BOOSTER_DECAY) {
                if r.booster != 0.0 {
                    let s = r.booster * decay;
                    v += if v > 0.0 { s } else { -s };
                }
            }
            if self.recent.iter().any(|r| r.negation) {
                v *= NEGATION_SCALAR;
            }
            self.valences.push((v, caps));
        }
        self.recent = [Recent { booster: cue.booster, negation: cue.negation }, self.recent[0], self.recent[1]];
    }

    /// Compound, positive, negative and neutral proportions, and the VADER
    /// label as two flags (positive, negative), given the number of
    /// exclamation and question marks of the text.
    pub(crate) fn figures(&self, exclamations: usize, questions: usize) -> [f32; 6] {
        let emphasis = self.caps > 0 && self.caps < self.tokens;
        let (mut sum, mut positive, mut negative) = (0.0f32, 0.0f32, 0.0f32);
        for (i, &(v, caps)) in self.valences.iter().enumerate() {
            let mut v = v;
            if caps && emphasis {
                v += CAPS_INCREMENT.copysign(v);
            }
            if let Some(at) = self.contrast_at {
                v *= if i < at { 0.5 } else { 1.5 };
            }
            sum += v;
            if v > 0.0 {
                positive += v + 1.0;
            } else if v < 0.0 {
                negative += v - 1.0;
            }
        }
        let question = match questions {
            0 | 1 => 0.0,
            n @ 2..=3 => n as f32 * 0.18,
            _ => 0.96,
        };
        let punctuation = exclamations.min(4) as f32 * 0.292 + question;
        if sum > 0.0 {
            sum += punctuation;
        } else if sum < 0.0 {
            sum -= punctuation;
        }
        let compound = (sum / (sum * sum + ALPHA).sqrt()).clamp(-1.0, 1.0);
        if positive > -negative {
            positive += punctuation;
        } else if positive < -negative {
            negative -= punctuation;
        }
        let total = positive - negative + self.neutral as f32;
        let share = |x: f32| if total > 0.0 { x / total } else { 0.0 };
        let flag = |b: bool| f32::from(u8::from(b));
        [
            compound,
            share(positive),
            share(-negative),
            share(self.neutral as f32),
            flag(compound >= 0.05),
            flag(compound <= -0.05),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(cues: &Cues, word: &str) -> Cue {
        cues.get(key(word), word, &mut String::new()).unwrap_or_default()
    }

    fn figures(cues: &Cues, words: &[&str]) -> [f32; 6] {
        let mut tally = Tally::default();
        for w in words {
            tally.token(cue(cues, w), false);
        }
        tally.figures(0, 0)
    }

    #[test]
    fn lexicon_words_boosters_and_negations_are_known() {
        let cues = Cues::of(&Vader::english());
        assert!((cue(&cues, "good").valence - 1.9).abs() < 1e-6);
        assert!(cue(&cues, "very").booster > 0.0);
        assert!(cue(&cues, "not").negation);
        assert!(cue(&cues, "but").contrast);
        assert!(cue(&cues, "😀").valence > 0.0, "emoji read through their descriptions");
        let fr = Cues::of(&Vader::french());
        assert!(cue(&fr, "génial").valence > 0.0, "French tokens are folded like the lexicon keys");
        assert!(cue(&fr, "pas").negation);
    }

    #[test]
    fn negation_flips_and_boosting_strengthens() {
        let cues = Cues::of(&Vader::english());
        let good = figures(&cues, &["it", "is", "good"])[0];
        let very_good = figures(&cues, &["it", "is", "very", "good"])[0];
        let not_good = figures(&cues, &["it", "is", "not", "good"])[0];
        assert!(good > 0.05 && very_good > good, "{good} {very_good}");
        assert!(not_good < -0.05, "{not_good}");
        let f = figures(&cues, &["good", "but", "awful"]);
        assert!(f[0] < 0.0 && f[5] == 1.0, "the clause after but weighs more: {f:?}");
        assert!((f[1] + f[2] + f[3] - 1.0).abs() < 1e-5);
    }
}
