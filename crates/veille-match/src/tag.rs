//! Tagging one mention: normalise, scan once, evaluate the candidate watches.

use std::ops::Range;

use veille_model::{Mention, TermHit, WatchMatch};

use crate::compile::{CompiledWatch, Pattern, Role, Workspace};
use crate::expr::{Facts, Hit, NONE};
use crate::normalize::{is_ascii_word_byte, is_word_char, Normalized};

/// Buffers reused from one mention to the next, so that tagging a mention
/// that matches nothing allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    normalized: Normalized,
    hits: Vec<Hit>,
    head: Vec<(u32, u32)>,
    next: Vec<u32>,
    /// (watch, hit, use) for every hit that counts for a watch.
    pairs: Vec<(u32, u32, u32)>,
    /// Per watch: the epoch of the last mention in which an exclusion occurred.
    vetoed: Vec<u32>,
    word_starts: Vec<u32>,
    /// Bumped per mention, so per-pattern and per-watch marks need clearing
    /// only when it wraps around.
    epoch: u32,
}

impl Scratch {
    fn next_epoch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            // Marks of 4 billion mentions ago would look current: forget them.
            self.head.iter_mut().for_each(|slot| *slot = (0, NONE));
            self.vetoed.iter_mut().for_each(|v| *v = 0);
            self.epoch = 1;
        }
    }
}

impl Workspace {
    /// Sets `mention.tags` to the watches it matches; returns how many.
    pub(crate) fn tag(&self, mention: &mut Mention, s: &mut Scratch) -> usize {
        // Filled in place, so a mention tagged again reuses its list.
        let mut tags = std::mem::take(&mut mention.tags);
        tags.clear();
        self.matches(mention, s, &mut tags);
        let n = tags.len();
        mention.tags = tags;
        n
    }

    fn matches(&self, mention: &Mention, s: &mut Scratch, tags: &mut Vec<WatchMatch>) {
        self.each_match(mention, s, |watch, group, hits, normalized| {
            let mut term_hits = Vec::with_capacity(group.len());
            self.each_term_hit(group, hits, normalized, &mention.text, |label, start, end| {
                term_hits.push(TermHit { term: String::from(label), start, end });
            });
            tags.push(WatchMatch { watch: watch.name.clone(), kind: watch.kind, hits: term_hits });
        });
    }

    /// Calls `f` with the name of each watch `mention` matches and the byte range in its text
    /// of each of that watch's hits (as [`Workspace::tag`] reports them), building no tag.
    pub(crate) fn term_spans(&self, mention: &Mention, s: &mut Scratch, mut f: impl FnMut(&str, Range<usize>)) {
        self.each_match(mention, s, |watch, group, hits, normalized| {
            self.each_term_hit(group, hits, normalized, &mention.text, |_, start, end| f(&watch.name, start..end));
        });
    }

    /// Calls `on` with each watch `mention` matches, its (watch, hit, use) triples and the hits.
    fn each_match(
        &self,
        mention: &Mention,
        s: &mut Scratch,
        mut on: impl FnMut(&CompiledWatch, &[(u32, u32, u32)], &[Hit], &Normalized),
    ) {
        let Some(scanner) = &self.scanner else {
            return;
        };
        s.next_epoch();
        let epoch = s.epoch;
        let as_is = s.normalized.prepare(&mention.text);
        s.hits.clear();
        let (normalized, hits) = (&s.normalized, &mut s.hits);
        let text = if as_is { mention.text.as_str() } else { normalized.text.as_str() };
        scanner.scan(text, |p, start, end| {
            if let Some(end) = accept(&self.patterns[p as usize], text, start, end, normalized, &mention.text) {
                hits.push(Hit { start: start as u32, end: end as u32, pattern: p });
            }
        });
        if s.hits.is_empty() {
            return;
        }
        s.hits.sort_unstable();
        self.index_hits(s, epoch);
        self.collect_pairs(s, epoch);
        if s.pairs.is_empty() {
            return;
        }
        s.pairs.sort_unstable();
        let Scratch { normalized, hits, head, next, pairs, vetoed, word_starts, .. } = s;
        let text = if as_is { mention.text.as_str() } else { normalized.text.as_str() };
        let mut facts = Facts { mention, normalized: text, hits, head, next, epoch, word_starts, words_ready: false };
        for group in pairs.chunk_by(|a, b| a.0 == b.0) {
            let w = group[0].0 as usize;
            let watch = &self.watches[w];
            let created_ms = || mention.created_at.timestamp_millis();
            if vetoed[w] == epoch
                || watch.from_ms.is_some_and(|from| created_ms() < from)
                || watch.until_ms.is_some_and(|until| created_ms() >= until)
                || (watch.has_terms && !group.iter().any(|&(_, _, u)| self.uses[u as usize].role == Role::Term))
            {
                continue;
            }
            if let Some(rule) = &watch.rule {
                if !facts.eval(rule) {
                    continue;
                }
            }
            on(watch, group, facts.hits, normalized);
        }
    }

    /// Chains the hits of each pattern, in text order.
    fn index_hits(&self, s: &mut Scratch, epoch: u32) {
        if s.head.len() < self.patterns.len() {
            s.head.resize(self.patterns.len(), (0, NONE));
        }
        s.next.clear();
        s.next.resize(s.hits.len(), NONE);
        for (i, hit) in s.hits.iter().enumerate().rev() {
            let slot = &mut s.head[hit.pattern as usize];
            if slot.0 == epoch {
                s.next[i] = slot.1;
            }
            *slot = (epoch, i as u32);
        }
    }

    /// Finds the watches the hits speak for, and those they veto.
    fn collect_pairs(&self, s: &mut Scratch, epoch: u32) {
        if s.vetoed.len() < self.watches.len() {
            s.vetoed.resize(self.watches.len(), 0);
        }
        s.pairs.clear();
        for (i, hit) in s.hits.iter().enumerate() {
            for (u, used) in self.uses_of(hit.pattern) {
                match used.role {
                    Role::Exclude => s.vetoed[used.watch as usize] = epoch,
                    Role::Term | Role::Atom => s.pairs.push((used.watch, i as u32, u)),
                }
            }
        }
    }

    /// The hits reported for a matched watch: in text order, without hits
    /// that repeat or lie inside another of the same watch.
    fn each_term_hit(
        &self,
        group: &[(u32, u32, u32)],
        hits: &[Hit],
        normalized: &Normalized,
        original: &str,
        mut f: impl FnMut(&str, usize, usize),
    ) {
        let span = |h: u32| {
            let hit = hits[h as usize];
            (hit.start, hit.end)
        };
        let mut last = None;
        for &(_, h, u) in group {
            let (start, end) = span(h);
            let inside_another = group.iter().any(|&(_, other, _)| {
                let (s, e) = span(other);
                (s, e) != (start, end) && s <= start && e >= end
            });
            if inside_another || last == Some((start, end)) {
                continue;
            }
            last = Some((start, end));
            let (start, end) = normalized.original_span(original, start as usize, end as usize);
            f(&self.uses[u as usize].label, start, end);
        }
    }
}

/// Whether an occurrence of `pattern` at `start..end` of the normalised text
/// counts, and where it ends (a wildcard runs to the end of its word).
fn accept(
    pattern: &Pattern,
    text: &str,
    start: usize,
    end: usize,
    normalized: &Normalized,
    original: &str,
) -> Option<usize> {
    if pattern.whole_word && touches_word_before(text, start) {
        return None;
    }
    let end = if pattern.prefix {
        word_end(text, end)
    } else if pattern.whole_word && touches_word_after(text, end) {
        return None;
    } else {
        end
    };
    if let Some(exact) = &pattern.exact {
        let (s, e) = normalized.original_span(original, start, end);
        let found = original.get(s..e)?;
        let same = if pattern.prefix { found.starts_with(&**exact) } else { found == &**exact };
        if !same {
            return None;
        }
    }
    Some(end)
}

fn touches_word_before(text: &str, at: usize) -> bool {
    match text.as_bytes()[..at].last() {
        None => false,
        Some(&b) if b < 0x80 => is_ascii_word_byte(b),
        Some(_) => text[..at].chars().next_back().is_some_and(is_word_char),
    }
}

fn touches_word_after(text: &str, at: usize) -> bool {
    match text.as_bytes().get(at) {
        None => false,
        Some(&b) if b < 0x80 => is_ascii_word_byte(b),
        Some(_) => text[at..].chars().next().is_some_and(is_word_char),
    }
}

fn word_end(text: &str, at: usize) -> usize {
    text[at..].char_indices().find(|&(_, c)| !is_word_char(c)).map_or(text.len(), |(i, _)| at + i)
}
