//! One pass of a workspace's term automaton over a normalised text.
//!
//! The automaton is an Aho-Corasick automaton of the `aho-corasick` crate,
//! driven here through its [`Automaton`] trait: occurrences go straight to
//! the caller from the search loop, with no iterator state, no per-call
//! set-up and no allocation. Texts long enough against the longest pattern
//! are split into up to four parts walked in lockstep (see [`lanes`]), which
//! finds the same occurrences as one walk in a fraction of the time.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{dfa, nfa::contiguous, Anchored, BuildError, MatchKind};

/// Above this many bytes of patterns the automaton is a contiguous NFA
/// rather than a DFA: the DFA is faster but its memory grows with the
/// pattern bytes times the byte classes.
const DFA_PATTERN_BYTES: usize = 4 << 20;

/// The automaton of all the patterns of a workspace.
#[derive(Debug, Clone)]
pub(crate) enum Scanner {
    Dfa(dfa::DFA),
    Nfa(contiguous::NFA),
}

impl Scanner {
    /// Compiles `patterns` (normalised, so lowercase) into one automaton
    /// that also matches them in upper-case ASCII, so that mention text in
    /// plain ASCII is scanned as it is, without a lowercase copy.
    pub(crate) fn build(patterns: &[String]) -> Result<Scanner, BuildError> {
        Scanner::build_within(patterns, DFA_PATTERN_BYTES)
    }

    /// [`Scanner::build`], with a DFA only up to `dfa_pattern_bytes` of patterns.
    fn build_within(patterns: &[String], dfa_pattern_bytes: usize) -> Result<Scanner, BuildError> {
        let bytes: usize = patterns.iter().map(String::len).sum();
        // Standard semantics, so that the overlapping scan reports every
        // occurrence. No prefilter: with the thousands of patterns of a
        // workspace, a prefilter rarely skips anything.
        Ok(if bytes <= dfa_pattern_bytes {
            Scanner::Dfa(
                dfa::Builder::new()
                    .match_kind(MatchKind::Standard)
                    .ascii_case_insensitive(true)
                    .prefilter(false)
                    .build(patterns)?,
            )
        } else {
            Scanner::Nfa(
                contiguous::Builder::new()
                    .match_kind(MatchKind::Standard)
                    .ascii_case_insensitive(true)
                    .prefilter(false)
                    .build(patterns)?,
            )
        })
    }

    /// Calls `found(pattern, start, end)` for every occurrence of every
    /// pattern in `text`, overlapping ones included, in no particular order.
    /// ASCII letters match in either case.
    pub(crate) fn scan(&self, text: &str, found: impl FnMut(u32, usize, usize)) {
        match self {
            Scanner::Dfa(automaton) => overlapping(automaton, text.as_bytes(), found),
            Scanner::Nfa(automaton) => overlapping(automaton, text.as_bytes(), found),
        }
    }
}

/// The unanchored overlapping search, the same as the `aho-corasick`
/// overlapping iterator's.
#[inline(always)]
fn overlapping<A: Automaton>(automaton: &A, bytes: &[u8], mut found: impl FnMut(u32, usize, usize)) {
    // Every automaton built above supports unanchored searches.
    let Ok(start) = automaton.start_state(Anchored::No) else {
        return;
    };
    let warm_up = automaton.max_pattern_len().saturating_sub(1);
    match lanes(bytes.len(), warm_up) {
        1 => interleaved::<A, 1>(automaton, start, bytes, warm_up, &mut found),
        2 => interleaved::<A, 2>(automaton, start, bytes, warm_up, &mut found),
        3 => interleaved::<A, 3>(automaton, start, bytes, warm_up, &mut found),
        _ => interleaved::<A, 4>(automaton, start, bytes, warm_up, &mut found),
    }
}

/// How many lanes to split a text of `len` bytes into, when each lane but
/// the first re-reads the `warm_up` bytes before its own part.
///
/// Each transition waits on the one before, so one walk leaves the processor
/// idle most of the time; walks over separate parts of the text interleave
/// for free until the extra bytes they read cost more than the wait saved.
fn lanes(len: usize, warm_up: usize) -> usize {
    let cost = |n: usize| {
        let lane = (len + (n - 1) * warm_up).div_ceil(n);
        4 * lane + n * lane
    };
    (1..=4).filter(|&n| len > n * warm_up).min_by_key(|&n| cost(n)).unwrap_or(1)
}

/// The overlapping search as `N` walks in lockstep, each over a part of the
/// text, plus the bytes before it that a pattern ending in it may start in.
///
/// Lane `k` reports the occurrences that end in `(ends_after[k], ends_after[k + 1]]`;
/// it starts `warm_up` bytes (one less than the longest pattern) before
/// `ends_after[k]`, so its state there is the one a walk from the start of
/// the text would have: no pattern reaches further back.
#[inline(always)]
fn interleaved<A: Automaton, const N: usize>(
    automaton: &A,
    start: StateID,
    bytes: &[u8],
    warm_up: usize,
    found: &mut impl FnMut(u32, usize, usize),
) {
    let len = bytes.len();
    // Every lane reads `lane` bytes but the last, which reads fewer than `N` less.
    let lane = (len + (N - 1) * warm_up).div_ceil(N);
    let mut from = [0; N];
    let mut ends_after = [0; N];
    for k in 1..N {
        ends_after[k] = lane + (k - 1) * (lane - warm_up);
        from[k] = ends_after[k] - warm_up;
    }
    let common = len - from[N - 1];
    let mut sid = [start; N];
    // The loop stays this small so that the states live in registers: each
    // transition waits on the one before in its lane.
    for j in 0..common {
        for k in 0..N {
            let at = from[k] + j;
            sid[k] = automaton.next_state(Anchored::No, sid[k], bytes[at]);
            // Without a prefilter, the only special states an unanchored
            // search meets are match states: it never dies.
            if automaton.is_special(sid[k]) {
                report(automaton, sid[k], at + 1, ends_after[k], found);
            }
        }
    }
    for k in 0..N - 1 {
        let tail = bytes.iter().enumerate().take(from[k] + lane).skip(from[k] + common);
        for (at, &b) in tail {
            sid[k] = automaton.next_state(Anchored::No, sid[k], b);
            if automaton.is_special(sid[k]) {
                report(automaton, sid[k], at + 1, ends_after[k], found);
            }
        }
    }
}

/// Reports the patterns of match state `sid`, reached at `end`, unless `end`
/// is not after `ends_after` (another lane reports those).
#[inline(never)]
fn report<A: Automaton>(
    automaton: &A,
    sid: StateID,
    end: usize,
    ends_after: usize,
    found: &mut impl FnMut(u32, usize, usize),
) {
    if end > ends_after && automaton.is_match(sid) {
        for i in 0..automaton.match_len(sid) {
            let p = automaton.match_pattern(sid, i);
            found(p.as_u32(), end - automaton.pattern_len(p), end);
        }
    }
}

#[cfg(test)]
mod tests {
    use aho_corasick::AhoCorasick;
    use proptest::prelude::*;

    use super::*;

    fn scanned(patterns: &[String], text: &str) -> Vec<(u32, usize, usize)> {
        scanned_by(&Scanner::build(patterns).unwrap(), text)
    }

    fn scanned_by(scanner: &Scanner, text: &str) -> Vec<(u32, usize, usize)> {
        let mut found = Vec::new();
        scanner.scan(text, |p, start, end| found.push((p, start, end)));
        found.sort_unstable();
        found
    }

    /// What the `aho-corasick` overlapping iterator finds.
    fn iterated(patterns: &[String], text: &str) -> Vec<(u32, usize, usize)> {
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(true)
            .build(patterns)
            .unwrap();
        let mut found: Vec<_> =
            automaton.find_overlapping_iter(text).map(|m| (m.pattern().as_u32(), m.start(), m.end())).collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn texts_of_every_length_are_split_into_lanes_without_losing_an_occurrence() {
        let patterns: Vec<String> =
            ["ab", "b", "abcab", "cabbage patch", "a", "bca"].iter().map(|p| p.to_string()).collect();
        let unit = "cabbage patch abcab b ABCAB bca ";
        let long: String = unit.repeat(8);
        let dfa = Scanner::build(&patterns).unwrap();
        let nfa = Scanner::build_within(&patterns, 0).unwrap();
        assert!(matches!((&dfa, &nfa), (Scanner::Dfa(_), Scanner::Nfa(_))));
        for len in 0..=long.len() {
            let text = &long[..len];
            let expected = iterated(&patterns, text);
            assert_eq!(scanned_by(&dfa, text), expected, "DFA, {len} bytes");
            assert_eq!(scanned_by(&nfa, text), expected, "NFA, {len} bytes");
        }
    }

    #[test]
    fn lanes_grow_with_the_text_and_shrink_with_the_longest_pattern() {
        assert_eq!(lanes(0, 10), 1);
        assert_eq!(lanes(15, 10), 1);
        assert!(lanes(100, 5) > 2);
        assert_eq!(lanes(100, 80), 1);
        assert!(lanes(100_000, 30) == 4);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn the_scan_finds_what_the_overlapping_iterator_finds(
            patterns in prop::collection::vec("[abcé @]{1,16}", 1..24),
            text in "[abcABCÉé @#]{0,400}",
        ) {
            prop_assert_eq!(scanned(&patterns, &text), iterated(&patterns, &text));
        }
    }
}
