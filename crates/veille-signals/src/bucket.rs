//! Event-time buckets of one watch.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::hll::UniqueAuthors;

/// What one bucket of one watch holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketStats {
    /// Mentions of the watch.
    pub mentions: u64,
    /// Mentions with a sentiment score (the denominator of the negative share).
    pub scored: u64,
    /// Mentions negative toward the watch (its brand sentiment when scored, else the whole text's).
    pub negative: u64,
    /// Crisis-term hits in those mentions (a crisis watch match without hit positions counts once).
    pub crisis_terms: u64,
    /// Sum of the authors' follower counts (authors without a count add nothing).
    pub reach: u64,
    /// Distinct authors (HyperLogLog estimate: exact when small, about 6.5 % error when large).
    pub unique_authors: u64,
}

impl BucketStats {
    /// Negative mentions over scored mentions, when any mention was scored.
    pub fn negative_share(&self) -> Option<f64> {
        (self.scored > 0).then(|| self.negative as f64 / self.scored as f64)
    }
}

/// A bucket that will not change any more: late mentions for it are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosedBucket {
    /// The workspace of the watch (shared by every bucket of the series).
    pub workspace: Arc<str>,
    /// The watch.
    pub watch: Arc<str>,
    /// Width of the bucket in seconds (the base width or a rollup width).
    pub width_s: u64,
    /// Start of the bucket (event time, inclusive).
    pub start: DateTime<Utc>,
    /// The counters.
    pub stats: BucketStats,
}

/// What one mention adds to the buckets of one watch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct MentionFacts {
    pub scored: bool,
    pub negative: bool,
    pub crisis_terms: u64,
    pub followers: u64,
    pub author: u64,
}

/// Counters of a bucket still accepting mentions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Accumulator {
    pub start: i64,
    pub mentions: u64,
    pub scored: u64,
    pub negative: u64,
    pub crisis_terms: u64,
    pub reach: u64,
    authors: UniqueAuthors,
}

impl Accumulator {
    pub(crate) fn new(start: i64) -> Self {
        Accumulator { start, ..Accumulator::default() }
    }

    pub(crate) fn add(&mut self, facts: &MentionFacts) {
        self.mentions += 1;
        self.scored += u64::from(facts.scored);
        self.negative += u64::from(facts.negative);
        self.crisis_terms = self.crisis_terms.saturating_add(facts.crisis_terms);
        self.reach = self.reach.saturating_add(facts.followers);
        self.authors.insert(facts.author);
    }

    pub(crate) fn merge(&mut self, other: &Accumulator) {
        self.mentions += other.mentions;
        self.scored += other.scored;
        self.negative += other.negative;
        self.crisis_terms = self.crisis_terms.saturating_add(other.crisis_terms);
        self.reach = self.reach.saturating_add(other.reach);
        self.authors.merge(&other.authors);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.mentions == 0
    }

    pub(crate) fn stats(&self) -> BucketStats {
        BucketStats {
            mentions: self.mentions,
            scored: self.scored,
            negative: self.negative,
            crisis_terms: self.crisis_terms,
            reach: self.reach,
            unique_authors: self.authors.estimate(),
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.authors.heap_bytes()
    }
}

/// The open rollup buckets of one series, one per rollup width.
#[derive(Debug, Clone)]
pub(crate) struct Rollups {
    levels: Vec<Accumulator>,
}

impl Rollups {
    /// Rollups for `widths` (increasing, each a multiple of the previous) of a series starting at `first_bucket`.
    pub(crate) fn new(widths: &[u64], first_bucket: i64) -> Self {
        Rollups {
            levels: widths
                .iter()
                .map(|&w| Accumulator::new(first_bucket - first_bucket.rem_euclid(w as i64)))
                .collect(),
        }
    }

    /// Folds in a closed base bucket `base_width` wide; `closed(width, bucket)`
    /// sees it, then every rollup it completes, narrowest first.
    pub(crate) fn absorb(
        &mut self,
        base: Accumulator,
        base_width: u64,
        widths: &[u64],
        mut closed: impl FnMut(u64, &Accumulator),
    ) {
        let mut carry = base;
        let mut width = base_width;
        for (level, &w) in widths.iter().enumerate() {
            closed(width, &carry);
            let w_s = w as i64;
            let period = carry.start - carry.start.rem_euclid(w_s);
            let current = &mut self.levels[level];
            if current.start == period {
                current.merge(&carry);
                // A rollup closes with its last sub-bucket.
                if carry.start + width as i64 != period + w_s {
                    return;
                }
                carry = std::mem::replace(current, Accumulator::new(period + w_s));
            } else {
                // A gap skipped the rest of the period: close what it holds and start over.
                let previous = std::mem::replace(current, Accumulator::new(period));
                current.merge(&carry);
                carry = previous;
            }
            width = w;
        }
        closed(width, &carry);
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.levels.capacity() * std::mem::size_of::<Accumulator>()
            + self.levels.iter().map(Accumulator::heap_bytes).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_buckets_add_counts_and_unite_authors() {
        let mut a = Accumulator::new(0);
        let mut b = Accumulator::new(60);
        let ann = MentionFacts { scored: true, negative: true, crisis_terms: 2, followers: 10, author: 1 << 60 };
        let bob = MentionFacts { scored: false, negative: false, crisis_terms: 0, followers: 5, author: 7 << 58 };
        a.add(&ann);
        b.add(&ann);
        b.add(&bob);
        a.merge(&b);
        let s = a.stats();
        assert_eq!((s.mentions, s.scored, s.negative, s.crisis_terms, s.reach), (3, 2, 2, 4, 25));
        assert_eq!(s.unique_authors, 2);
        assert_eq!(s.negative_share(), Some(1.0));
        assert_eq!(BucketStats::default().negative_share(), None);
    }
}
