//! The VADER rules: from token valences to the compound score and the
//! positive / neutral / negative proportions.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

use super::tokens::Token;
use super::words::{Word, IDIOMS};
use super::{Dialect, Polarity, Vader};

/// Valence added by a word written in capitals among words that are not.
const CAPS_INCREMENT: f64 = 0.733;
/// Factor a negation applies to the valence it negates.
const NEGATION_SCALAR: f64 = -0.74;

/// Scores the tokens of `text`; `sentiments` is scratch space.
pub(super) fn score(vader: &Vader, text: &str, tokens: &[Token], sentiments: &mut Vec<f64>) -> Polarity {
    sentiments.clear();
    let n = tokens.len();
    let caps = tokens.iter().filter(|t| t.caps).count();
    // Capitals emphasise only when some words, not all, are in capitals.
    let emphasis = caps > 0 && caps < n;
    for (i, token) in tokens.iter().enumerate() {
        let modifier = token.booster.is_some()
            || (token.word == Word::Kind && tokens.get(i + 1).is_some_and(|t| t.word == Word::Of));
        sentiments.push(if modifier { 0.0 } else { valence(vader, tokens, i, emphasis) });
    }
    if let Some(contrast) = vader.contrast {
        if let Some(pivot) = tokens.iter().position(|t| t.word == contrast) {
            weigh_contrast(sentiments, pivot);
        }
    }
    match vader.dialect {
        Dialect::English => english_polarity(text, sentiments),
        Dialect::French => french_polarity(text, sentiments),
    }
}

/// The valence of token `i` after boosters, negations, capitals and idioms.
fn valence(vader: &Vader, tokens: &[Token], i: usize, emphasis: bool) -> f64 {
    let token = &tokens[i];
    let Some(base) = token.valence else {
        return 0.0;
    };
    let word = |k: usize| tokens[k].word;
    let mut v = base;
    // "no" before a lexicon word negates it instead of counting itself.
    if token.key_is_no && tokens.get(i + 1).is_some_and(|t| t.in_lexicon) {
        v = 0.0;
    }
    if (i > 0 && word(i - 1) == Word::No)
        || (i > 1 && word(i - 2) == Word::No)
        || (i > 2 && word(i - 3) == Word::No && matches!(word(i - 1), Word::Or | Word::Nor))
    {
        v = base * NEGATION_SCALAR;
    }
    if token.caps && emphasis {
        v = if v > 0.0 { v + CAPS_INCREMENT } else { v - CAPS_INCREMENT };
    }
    for distance in 0..3 {
        if i <= distance {
            break;
        }
        let before = &tokens[i - distance - 1];
        if before.in_lexicon {
            continue;
        }
        let mut s = booster_increment(before, v, emphasis);
        if s != 0.0 {
            // Boosters further away count less.
            s *= [1.0, 0.95, 0.9][distance];
        }
        v += s;
        v = match vader.dialect {
            Dialect::English => english_negation(tokens, distance, i, v),
            Dialect::French => french_negation(tokens, distance, i, v),
        };
        if distance == 2 {
            v = idioms(vader, tokens, i, v);
        }
    }
    least(tokens, i, v)
}

/// The increment a booster or dampener gives a valence, signed like it.
fn booster_increment(before: &Token, v: f64, emphasis: bool) -> f64 {
    let Some(increment) = before.booster else {
        return 0.0;
    };
    let mut s = if v < 0.0 { -increment } else { increment };
    if before.caps && emphasis {
        s = if v > 0.0 { s + CAPS_INCREMENT } else { s - CAPS_INCREMENT };
    }
    s
}

fn english_negation(tokens: &[Token], distance: usize, i: usize, v: f64) -> f64 {
    let word = |k: usize| tokens[k].word;
    let so_or_this = |w: Word| matches!(w, Word::So | Word::This);
    match distance {
        0 if tokens[i - 1].negation => v * NEGATION_SCALAR,
        1 if word(i - 2) == Word::Never && so_or_this(word(i - 1)) => v * 1.25,
        1 if word(i - 2) == Word::Without && word(i - 1) == Word::Doubt => v,
        1 if tokens[i - 2].negation => v * NEGATION_SCALAR,
        2 if (word(i - 3) == Word::Never && so_or_this(word(i - 2))) || so_or_this(word(i - 1)) => v * 1.25,
        2 if word(i - 3) == Word::Without && (word(i - 2) == Word::Doubt || word(i - 1) == Word::Doubt) => v,
        2 if tokens[i - 3].negation => v * NEGATION_SCALAR,
        _ => v,
    }
}

fn french_negation(tokens: &[Token], distance: usize, i: usize, v: f64) -> f64 {
    if !tokens[i].no_negate && tokens[i - distance - 1].negation {
        v * NEGATION_SCALAR
    } else {
        v
    }
}

/// Idioms around token `i` (at least 3 tokens in) replace its valence;
/// booster phrases just before it add to it.
fn idioms(vader: &Vader, tokens: &[Token], i: usize, mut v: f64) -> f64 {
    let word = |k: usize| tokens.get(k).map_or(Word::Other, |t| t.word);
    let (a, b, c, d, e, f) = (word(i - 3), word(i - 2), word(i - 1), word(i), word(i + 1), word(i + 2));
    if [a, b, c, d, e, f].iter().all(|w| *w == Word::Other) {
        return v;
    }
    let find = |table: &[(&[Word], f64)], seq: &[Word]| table.iter().find(|(phrase, _)| *phrase == seq).map(|p| p.1);
    let before: [&[Word]; 5] = [&[c, d], &[b, c, d], &[b, c], &[a, b, c], &[a, b]];
    if let Some(value) = before.iter().find_map(|seq| find(IDIOMS, seq)) {
        v = value;
    }
    let n = tokens.len();
    if n - 1 > i {
        if let Some(value) = find(IDIOMS, &[d, e]) {
            v = value;
        }
    }
    if n - 1 > i + 1 {
        if let Some(value) = find(IDIOMS, &[d, e, f]) {
            v = value;
        }
    }
    for seq in [&[a, b, c][..], &[a, b], &[b, c]] {
        if let Some(increment) = find(vader.booster_phrases, seq) {
            v += increment;
        }
    }
    v
}

/// "least" negates what follows, except in "at least" and "very least".
fn least(tokens: &[Token], i: usize, v: f64) -> f64 {
    let is_least = |k: usize| !tokens[k].in_lexicon && tokens[k].word == Word::Least;
    if i > 1 && is_least(i - 1) {
        if matches!(tokens[i - 2].word, Word::At | Word::Very) {
            v
        } else {
            v * NEGATION_SCALAR
        }
    } else if i > 0 && is_least(i - 1) {
        v * NEGATION_SCALAR
    } else {
        v
    }
}

/// Halves valences before the contrast word and multiplies those after it
/// by 1.5.
///
/// The reference walks the values and rescales the first position holding
/// each value, so a value repeated before and after the pivot is rescaled
/// twice at its first position and not at all at the later one. That
/// behaviour is kept, in O(n log n) for long texts.
pub(super) fn weigh_contrast(sentiments: &mut [f64], pivot: usize) {
    if sentiments.len() <= 64 {
        weigh_contrast_by_scan(sentiments, pivot);
    } else {
        weigh_contrast_by_index(sentiments, pivot);
    }
}

fn rescaled(v: f64, at: usize, pivot: usize) -> Option<f64> {
    match at.cmp(&pivot) {
        std::cmp::Ordering::Less => Some(v * 0.5),
        std::cmp::Ordering::Greater => Some(v * 1.5),
        std::cmp::Ordering::Equal => None,
    }
}

/// Quadratic, as the reference: for short texts.
fn weigh_contrast_by_scan(sentiments: &mut [f64], pivot: usize) {
    for k in 0..sentiments.len() {
        let v = sentiments[k];
        let first = sentiments.iter().position(|x| *x == v).unwrap_or(k);
        if let Some(new) = rescaled(v, first, pivot) {
            sentiments[first] = new;
        }
    }
}

/// Same result, with an index from value to the positions holding it.
fn weigh_contrast_by_index(sentiments: &mut [f64], pivot: usize) {
    // -0.0 and 0.0 compare equal: one key for both.
    let key = |v: f64| (v + 0.0).to_bits();
    let mut positions: FxHashMap<u64, BTreeSet<usize>> = FxHashMap::default();
    for (k, v) in sentiments.iter().enumerate() {
        positions.entry(key(*v)).or_default().insert(k);
    }
    for k in 0..sentiments.len() {
        let v = sentiments[k];
        let first = positions.get(&key(v)).and_then(|p| p.first().copied()).unwrap_or(k);
        let Some(new) = rescaled(v, first, pivot) else {
            continue;
        };
        if key(new) != key(v) {
            if let Some(p) = positions.get_mut(&key(v)) {
                p.remove(&first);
            }
            positions.entry(key(new)).or_default().insert(first);
        }
        sentiments[first] = new;
    }
}

fn english_polarity(text: &str, sentiments: &[f64]) -> Polarity {
    if sentiments.is_empty() {
        return Polarity::default();
    }
    let emphasis = exclamation_emphasis(text) + question_emphasis(text);
    let mut sum = total(sentiments);
    if sum > 0.0 {
        sum += emphasis;
    } else if sum < 0.0 {
        sum -= emphasis;
    }
    proportions(sentiments, normalize(sum), emphasis)
}

fn french_polarity(text: &str, sentiments: &[f64]) -> Polarity {
    if sentiments.is_empty() {
        return Polarity::default();
    }
    let emphasis = exclamation_emphasis(text) + question_emphasis(text) + ellipsis_emphasis(text);
    let capitals = capitals_emphasis(text);
    let mut sum = total(sentiments);
    if sum > 0.0 {
        sum += emphasis;
        if sum >= 0.05 {
            sum += capitals;
        }
    } else if sum < 0.0 {
        sum -= emphasis;
        if sum <= -0.05 {
            sum -= capitals;
        }
    } else {
        // The French reference leans a neutral text with emphasis negative.
        sum -= 0.5 * emphasis;
    }
    proportions(sentiments, normalize(sum), emphasis)
}

/// Left-to-right sum, as the reference adds.
fn total(sentiments: &[f64]) -> f64 {
    sentiments.iter().fold(0.0, |acc, v| acc + v)
}

/// Maps a sum of valences into [-1, 1].
fn normalize(sum: f64) -> f64 {
    (sum / (sum * sum + 15.0).sqrt()).clamp(-1.0, 1.0)
}

fn proportions(sentiments: &[f64], compound: f64, emphasis: f64) -> Polarity {
    let (mut positive, mut negative, mut neutral) = (0.0f64, 0.0f64, 0usize);
    for &s in sentiments {
        // Offsets of one balance sentiment words against neutral ones.
        if s > 0.0 {
            positive += s + 1.0;
        }
        if s < 0.0 {
            negative += s - 1.0;
        }
        if s == 0.0 {
            neutral += 1;
        }
    }
    if positive > negative.abs() {
        positive += emphasis;
    } else if positive < negative.abs() {
        negative -= emphasis;
    }
    let all = positive + negative.abs() + neutral as f64;
    Polarity {
        compound: round(compound, 4),
        positive: round((positive / all).abs(), 3),
        neutral: round((neutral as f64 / all).abs(), 3),
        negative: round((negative / all).abs(), 3),
    }
}

/// Up to four exclamation marks add emphasis.
fn exclamation_emphasis(text: &str) -> f64 {
    text.bytes().filter(|b| *b == b'!').count().min(4) as f64 * 0.292
}

/// Two or more question marks add emphasis.
fn question_emphasis(text: &str) -> f64 {
    match text.bytes().filter(|b| *b == b'?').count() {
        0 | 1 => 0.0,
        n @ 2..=3 => n as f64 * 0.18,
        _ => 0.96,
    }
}

/// Runs of two dots or more ("...") add emphasis in French.
fn ellipsis_emphasis(text: &str) -> f64 {
    let mut dots = 0usize;
    let mut run = 0usize;
    for b in text.bytes().chain(std::iter::once(b' ')) {
        if b == b'.' {
            run += 1;
        } else {
            if run >= 2 {
                dots += run;
            }
            run = 0;
        }
    }
    match dots {
        0 | 1 => 0.0,
        2 | 3 => 0.21,
        n => (n.min(6) - 2) as f64 * 0.21,
    }
}

/// Words in capitals after their first letter add emphasis in French
/// (up to five of them).
fn capitals_emphasis(text: &str) -> f64 {
    let mut count = 0usize;
    for piece in text.split(' ') {
        let mut chars = piece.chars().filter(|c| !matches!(c, '?' | '!' | '.' | ',' | ';'));
        if chars.next().is_none() {
            continue;
        }
        let mut len = 1;
        let mut lower = false;
        for c in chars {
            len += 1;
            lower |= c.is_lowercase();
        }
        if len > 1 && !lower {
            if count > 4 {
                break;
            }
            count += 1;
        }
    }
    count as f64 * 0.292
}

/// Rounds to `digits` decimals, ties to even on the exact binary value.
fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    let y = x * scale;
    if ((y - y.trunc()).abs() - 0.5).abs() > 1e-6 {
        return y.round() / scale;
    }
    // Close to a tie: decide on the exact decimal expansion.
    format!("{x:.0$}", digits as usize).parse().unwrap_or(y.round() / scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn indexed_contrast_weighting_equals_the_reference_scan(
            values in proptest::collection::vec(prop_oneof![Just(0.0), Just(-0.0), Just(1.5), Just(-2.0), Just(0.75), -3.0f64..3.0], 0..200),
            pivot in 0usize..200,
        ) {
            let mut scanned = values.clone();
            let mut indexed = values;
            weigh_contrast_by_scan(&mut scanned, pivot);
            weigh_contrast_by_index(&mut indexed, pivot);
            prop_assert_eq!(scanned, indexed);
        }
    }

    #[test]
    fn a_value_repeated_across_the_pivot_is_rescaled_at_its_first_position() {
        let mut s = vec![1.0, 0.0, 1.0];
        weigh_contrast_by_scan(&mut s, 1);
        assert_eq!(s, vec![0.5, 0.0, 1.5]);
        let mut s = vec![2.0, 1.0, 0.0, 1.0];
        weigh_contrast_by_scan(&mut s, 2);
        // 2.0 is halved to 1.0; the next 1.0 is then found at position 0
        // (halved again), and the last 1.0 at position 1 (halved, not raised).
        assert_eq!(s, vec![0.5, 0.5, 0.0, 1.0]);
    }

    #[test]
    fn rounding_matches_decimal_rounding_of_the_exact_value() {
        assert_eq!(round(0.12345, 4), 0.1235);
        assert_eq!(round(0.03125, 4), 0.0312);
        assert_eq!(round(-0.03125, 4), -0.0312);
        assert_eq!(round(0.125, 2), 0.12);
        assert_eq!(round(0.6249, 3), 0.625);
        assert_eq!(round(-0.99999, 4), -1.0);
    }

    #[test]
    fn ellipsis_counts_only_runs_of_two_dots_or_more() {
        assert_eq!(ellipsis_emphasis("a. b."), 0.0);
        assert_eq!(ellipsis_emphasis("bof..."), 0.21);
        assert_eq!(ellipsis_emphasis("bof... bof.."), (5 - 2) as f64 * 0.21);
        assert_eq!(ellipsis_emphasis("........."), 4.0 * 0.21);
    }

    #[test]
    fn capitals_emphasis_skips_first_letters_and_stops_at_five() {
        assert_eq!(capitals_emphasis("Bonjour"), 0.0);
        assert_eq!(capitals_emphasis("SUPER génial"), 0.292);
        assert_eq!(capitals_emphasis("A B"), 0.0);
        assert_eq!(capitals_emphasis("2019 OK"), 2.0 * 0.292);
        assert_eq!(capitals_emphasis("AA BB CC DD EE FF GG"), 5.0 * 0.292);
    }
}
