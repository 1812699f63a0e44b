//! Activity and engagement in a few time buckets, for windowed queries.
//!
//! Each author (and each author within a watch) keeps at most [`BUCKETS`]
//! buckets of minute-aligned event time, newest last, holding the mentions
//! written and the engagement received in their span, undecayed. An event in
//! a minute after the newest bucket opens a new bucket; when that makes one
//! too many, the two adjacent buckets spanning the shortest time merge
//! (the oldest pair on ties), so recent activity keeps a fine resolution and
//! older activity a coarser one. A late event is added to the bucket that
//! covers it, or to the nearest later one, which widens to include it.
//!
//! Summing a window counts every bucket inside it, and a share of a bucket
//! straddling the window start proportional to the part of its span inside
//! the window (activity assumed even within a bucket).

/// Most buckets kept per author (and per author and watch).
pub(crate) const BUCKETS: usize = 4;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Bucket {
    /// First and last minute covered (minutes since the Unix epoch).
    from: u32,
    to: u32,
    activity: f32,
    engagement: f32,
}

/// The bucketed recent activity of one author (or author and watch).
#[derive(Debug, Clone, Default)]
pub(crate) struct Recent {
    len: u8,
    buckets: [Bucket; BUCKETS],
}

/// Mentions written and engagement received within a window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Windowed {
    pub(crate) activity: f64,
    pub(crate) engagement: f64,
}

/// The minute of a Unix time, clamped to the range buckets can hold.
pub(crate) fn minute(t: i64) -> u32 {
    u32::try_from(t.div_euclid(60).max(0)).unwrap_or(u32::MAX)
}

impl Recent {
    /// Adds `activity` mentions and `engagement` received at minute `at`.
    pub(crate) fn add(&mut self, at: u32, activity: f32, engagement: f32) {
        let n = self.len as usize;
        if n == 0 || at > self.buckets[n - 1].to {
            if n == BUCKETS {
                self.merge_closest();
            }
            let n = self.len as usize;
            self.buckets[n] = Bucket { from: at, to: at, activity, engagement };
            self.len += 1;
            return;
        }
        // At or before the newest bucket's end: the first bucket ending at or after `at`.
        let i = self.buckets[..n].iter().position(|b| b.to >= at).unwrap_or(n - 1);
        let b = &mut self.buckets[i];
        b.from = b.from.min(at);
        b.activity += activity;
        b.engagement += engagement;
    }

    /// Totals over the minutes `from..=to`.
    pub(crate) fn within(&self, from: u32, to: u32) -> Windowed {
        let mut sum = Windowed::default();
        for b in &self.buckets[..self.len as usize] {
            if b.to < from || b.from > to {
                continue;
            }
            let span = (b.to - b.from) as f64 + 1.0;
            let inside = (b.to.min(to) - b.from.max(from)) as f64 + 1.0;
            let share = inside / span;
            sum.activity += b.activity as f64 * share;
            sum.engagement += b.engagement as f64 * share;
        }
        sum
    }

    fn merge_closest(&mut self) {
        let n = self.len as usize;
        let Some(i) = (0..n - 1).min_by_key(|&i| self.buckets[i + 1].to - self.buckets[i].from) else {
            return;
        };
        let next = self.buckets[i + 1];
        let b = &mut self.buckets[i];
        b.to = next.to;
        b.activity += next.activity;
        b.engagement += next.engagement;
        self.buckets.copy_within(i + 2..n, i + 1);
        self.len -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_what_happened_inside_it() {
        let mut r = Recent::default();
        r.add(10, 1.0, 0.0);
        r.add(20, 1.0, 2.0);
        r.add(30, 0.0, 3.0);
        assert_eq!(r.within(0, 30), Windowed { activity: 2.0, engagement: 5.0 });
        assert_eq!(r.within(15, 30), Windowed { activity: 1.0, engagement: 5.0 });
        assert_eq!(r.within(25, 30), Windowed { activity: 0.0, engagement: 3.0 });
        assert_eq!(r.within(31, 99), Windowed::default());
    }

    #[test]
    fn old_activity_merges_into_coarser_buckets_and_totals_are_kept() {
        let mut r = Recent::default();
        for minute in 0..100 {
            r.add(minute, 1.0, 0.5);
        }
        assert_eq!(r.len as usize, BUCKETS);
        let all = r.within(0, 99);
        assert_eq!((all.activity, all.engagement), (100.0, 50.0));
        // The latest minute keeps its own bucket; a straddled bucket counts pro rata.
        assert_eq!(r.within(99, 99).activity, 1.0);
        let last_half = r.within(50, 99).activity;
        assert!((last_half - 50.0).abs() <= 1.0, "{last_half}");
    }

    #[test]
    fn late_events_land_in_the_bucket_that_covers_them() {
        let mut r = Recent::default();
        r.add(100, 1.0, 0.0);
        r.add(200, 1.0, 0.0);
        r.add(150, 1.0, 0.0);
        r.add(50, 1.0, 0.0);
        let split = r.within(0, 99).activity + r.within(100, 200).activity;
        assert!((split - 4.0).abs() < 1e-9, "{split}");
        assert_eq!(r.within(201, 300).activity, 0.0);
        assert_eq!(minute(-5), 0);
        assert_eq!(minute(125), 2);
    }
}
