//! Compiled rules and their evaluation against the hits of one mention.

use veille_model::{Mention, Platform};

use crate::normalize::is_word_char;

/// A rule whose terms are automaton pattern ids.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Present(u32),
    Near { left: Box<[u32]>, right: Box<[u32]>, gap: u32, ordered: bool },
    Author { handle: Box<str>, prefix: bool },
    Lang(Box<str>),
    Platform(Platform),
    Not(Box<Expr>),
    And(Box<[Expr]>),
    Or(Box<[Expr]>),
}

/// One accepted occurrence of a pattern, in normalised byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Hit {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) pattern: u32,
}

/// Marks a missing link in the per-pattern hit chains.
pub(crate) const NONE: u32 = u32::MAX;

/// What is known about one mention while its watches are evaluated.
pub(crate) struct Facts<'a> {
    pub(crate) mention: &'a Mention,
    pub(crate) normalized: &'a str,
    /// Hits in text order.
    pub(crate) hits: &'a [Hit],
    /// Per pattern: (epoch, first hit); stale unless the epoch is the current one.
    pub(crate) head: &'a [(u32, u32)],
    /// Per hit: the next hit of the same pattern.
    pub(crate) next: &'a [u32],
    pub(crate) epoch: u32,
    /// Normalised offsets where words start, filled on first use.
    pub(crate) word_starts: &'a mut Vec<u32>,
    pub(crate) words_ready: bool,
}

impl Facts<'_> {
    fn present(&self, pattern: u32) -> bool {
        self.head[pattern as usize].0 == self.epoch
    }

    fn hits_of(&self, pattern: u32) -> impl Iterator<Item = Hit> + '_ {
        let slot = self.head[pattern as usize];
        let mut at = if slot.0 == self.epoch { slot.1 } else { NONE };
        std::iter::from_fn(move || {
            if at == NONE {
                return None;
            }
            let hit = self.hits[at as usize];
            at = self.next[at as usize];
            Some(hit)
        })
    }

    fn ensure_words(&mut self) {
        if self.words_ready {
            return;
        }
        self.word_starts.clear();
        let mut in_word = false;
        for (at, c) in self.normalized.char_indices() {
            let word = is_word_char(c);
            if word && !in_word {
                self.word_starts.push(at as u32);
            }
            in_word = word;
        }
        self.words_ready = true;
    }

    /// Words that start between the end of `first` and the start of `second`.
    fn words_between(&self, first: Hit, second: Hit) -> usize {
        let before = |at: u32| self.word_starts.partition_point(|&w| w < at);
        before(second.start).saturating_sub(before(first.end))
    }

    fn near(&mut self, left: &[u32], right: &[u32], gap: u32, ordered: bool) -> bool {
        let any_left = left.iter().any(|&p| self.present(p));
        let any_right = right.iter().any(|&p| self.present(p));
        if !(any_left && any_right) {
            return false;
        }
        self.ensure_words();
        let gap = gap as usize;
        for &a in left {
            for ha in self.hits_of(a) {
                for &b in right {
                    for hb in self.hits_of(b) {
                        let close = if ha.end <= hb.start {
                            self.words_between(ha, hb) <= gap
                        } else {
                            !ordered && hb.end <= ha.start && self.words_between(hb, ha) <= gap
                        };
                        if close {
                            return true;
                        }
                    }
                }
            }
        }
        false
    }

    /// Whether `expr` holds for this mention.
    pub(crate) fn eval(&mut self, expr: &Expr) -> bool {
        match expr {
            Expr::Present(p) => self.present(*p),
            Expr::Near { left, right, gap, ordered } => self.near(left, right, *gap, *ordered),
            Expr::Author { handle, prefix } => author_is(&self.mention.author.handle, handle, *prefix),
            Expr::Lang(code) => self.mention.lang.as_deref() == Some(&**code),
            Expr::Platform(p) => self.mention.platform() == *p,
            Expr::Not(inner) => !self.eval(inner),
            Expr::And(items) => items.iter().all(|e| self.eval(e)),
            Expr::Or(items) => items.iter().any(|e| self.eval(e)),
        }
    }
}

fn author_is(handle: &str, wanted: &str, prefix: bool) -> bool {
    let handle = handle.strip_prefix('@').unwrap_or(handle);
    let folded;
    let handle = if handle.is_ascii() {
        handle
    } else {
        folded = crate::normalize(handle);
        &folded
    };
    let (h, w) = (handle.as_bytes(), wanted.as_bytes());
    if prefix {
        h.len() >= w.len() && h[..w.len()].eq_ignore_ascii_case(w)
    } else {
        h.eq_ignore_ascii_case(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_tests_ignore_case_and_at_signs() {
        assert!(author_is("@SouthwestAir", "southwestair", false));
        assert!(author_is("SouthwestAir", "south", true));
        assert!(!author_is("SouthwestAir", "south", false));
        assert!(author_is("Élodie", "elodie", false));
    }
}
