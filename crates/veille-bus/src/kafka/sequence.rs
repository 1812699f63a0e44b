//! Offsets in sequence: what a consumer does when a partition's records do not come one
//! after the other.
//!
//! On a topic that is neither compacted nor written by transactions, a partition's offsets
//! follow each other without a hole, and a consumer receives each record once, in order. A
//! broker that hands out a record before the one before it is readable breaks that: a
//! consumer would step over a record (which then nobody indexes) or receive one twice. So a
//! group consumer checks every offset against the one it expects. A record it already
//! received is dropped; a hole makes it fetch the partition again from the missing offset,
//! a few times and for a little while, before it accepts the hole as the topic's (a
//! compacted or transactional topic has real ones) and says so.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How many times a hole in a partition's offsets is fetched again, at least, before it is
/// accepted.
pub(crate) const REFETCHES: u32 = 3;
/// How long, at least, a hole is fetched again before it is accepted: records fetched before
/// a fetch again may still arrive for a moment, and must not use up the tries.
pub(crate) const REFETCH_FOR: Duration = Duration::from_secs(1);

/// What to do with a consumed record, given the offsets before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The record due next (or the first of its partition whose start is unknown): take it.
    Next,
    /// An offset already received since the partition was assigned: drop it.
    Repeat,
    /// Records are missing before this one: drop it and fetch the partition again from
    /// `expected`.
    Hole {
        /// The first missing offset.
        expected: i64,
    },
    /// A hole that stayed after every fetch again: take the record, `missing` records were
    /// never received.
    Accepted {
        /// How many offsets were stepped over.
        missing: i64,
    },
}

#[derive(Debug, Clone, Copy, Default)]
struct Track {
    /// The offset due next, once known.
    expected: Option<i64>,
    /// Fetches again since the partition last moved on.
    refetches: u32,
    /// When the hole being fetched again was first seen.
    since: Option<Instant>,
}

/// The offset each assigned partition expects next.
#[derive(Debug, Default)]
pub(crate) struct Sequence {
    partitions: BTreeMap<i32, Track>,
}

impl Sequence {
    /// `partition` was assigned and starts at `start` (unknown: the group's committed offset
    /// or the earliest record, so its first record is taken as it comes).
    pub(crate) fn assigned(&mut self, partition: i32, start: Option<i64>) {
        self.partitions.insert(partition, Track { expected: start, refetches: 0, since: None });
    }

    /// `partition` is no longer this consumer's.
    pub(crate) fn revoked(&mut self, partition: i32) {
        self.partitions.remove(&partition);
    }

    /// Checks the record at `offset` of `partition`, received at `now`, and moves the
    /// partition on when it is taken.
    pub(crate) fn check(&mut self, partition: i32, offset: i64, now: Instant) -> Verdict {
        let track = self.partitions.entry(partition).or_default();
        let verdict = match track.expected {
            None => Verdict::Next,
            Some(expected) if offset == expected => Verdict::Next,
            Some(expected) if offset < expected => return Verdict::Repeat,
            Some(expected) => {
                let since = *track.since.get_or_insert(now);
                if track.refetches < REFETCHES || now.duration_since(since) < REFETCH_FOR {
                    track.refetches += 1;
                    return Verdict::Hole { expected };
                }
                Verdict::Accepted { missing: offset - expected }
            }
        };
        *track = Track { expected: Some(offset + 1), refetches: 0, since: None };
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_in_sequence_are_taken_and_repeats_dropped() {
        let mut s = Sequence::default();
        s.assigned(0, Some(10));
        assert_eq!(s.check(0, 10, Instant::now()), Verdict::Next);
        assert_eq!(s.check(0, 11, Instant::now()), Verdict::Next);
        assert_eq!(s.check(0, 11, Instant::now()), Verdict::Repeat);
        assert_eq!(s.check(0, 5, Instant::now()), Verdict::Repeat);
        assert_eq!(s.check(0, 12, Instant::now()), Verdict::Next);
        // A partition whose start is unknown takes its first record as it comes.
        assert_eq!(s.check(3, 700, Instant::now()), Verdict::Next);
        assert_eq!(s.check(3, 701, Instant::now()), Verdict::Next);
    }

    #[test]
    fn a_hole_is_fetched_again_then_accepted_if_it_stays() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut s = Sequence::default();
        s.assigned(2, Some(1_959));
        assert_eq!(s.check(2, 1_959, at(0)), Verdict::Next);
        // 1,960 did not come: fetch again from it; once it comes, the partition moves on.
        assert_eq!(s.check(2, 1_961, at(0)), Verdict::Hole { expected: 1_960 });
        assert_eq!(s.check(2, 1_960, at(5)), Verdict::Next);
        assert_eq!(s.check(2, 1_961, at(5)), Verdict::Next);
        // Records fetched before the fetch again may still arrive at once: they do not use up
        // the time a hole is fetched again for.
        for _ in 0..10 {
            assert_eq!(s.check(2, 1_970, at(10)), Verdict::Hole { expected: 1_962 });
        }
        // A hole that stays (a compacted topic) is taken once it was fetched again long enough.
        assert_eq!(s.check(2, 1_970, at(10) + REFETCH_FOR), Verdict::Accepted { missing: 8 });
        assert_eq!(s.check(2, 1_971, at(2_000)), Verdict::Next);
        // Each hole gets its own fetches again.
        assert_eq!(s.check(2, 1_973, at(2_000)), Verdict::Hole { expected: 1_972 });
    }

    #[test]
    fn a_partition_assigned_again_starts_where_its_owner_says() {
        let mut s = Sequence::default();
        s.assigned(1, Some(100));
        assert_eq!(s.check(1, 100, Instant::now()), Verdict::Next);
        s.revoked(1);
        s.assigned(1, Some(90));
        assert_eq!(s.check(1, 90, Instant::now()), Verdict::Next, "a new assignment may start before what was read");
        s.revoked(1);
        s.assigned(1, None);
        assert_eq!(s.check(1, 4_000, Instant::now()), Verdict::Next);
    }
}
