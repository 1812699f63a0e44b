//! Sliding sums over the last N buckets, kept in a bounded number of slots.

/// Sums `K` quantities over a sliding window of `slots × steps_per_slot`
/// pushes. Each slot aggregates `steps_per_slot` consecutive pushes, so a
/// long window at a fine bucket width costs `slots` numbers per quantity, not
/// one per bucket; the window then slides by whole slots.
#[derive(Debug, Clone)]
pub(crate) struct SlidingSum<const K: usize> {
    slots: Vec<[f64; K]>,
    steps_per_slot: usize,
    head: usize,
    used: usize,
    /// Pushes in the head slot (every other used slot holds `steps_per_slot`).
    filled: usize,
    totals: [f64; K],
    pushes: u64,
}

impl<const K: usize> SlidingSum<K> {
    /// A window of about `steps` pushes, in at most `max_slots` slots.
    pub(crate) fn covering(steps: usize, max_slots: usize) -> Self {
        let steps = steps.max(1);
        let per_slot = steps.div_ceil(max_slots.max(1)).max(1);
        Self::new(steps.div_ceil(per_slot), per_slot)
    }

    pub(crate) fn new(slots: usize, steps_per_slot: usize) -> Self {
        let slots = slots.max(1);
        SlidingSum {
            slots: vec![[0.0; K]; slots],
            steps_per_slot: steps_per_slot.max(1),
            head: 0,
            used: 0,
            filled: 0,
            totals: [0.0; K],
            pushes: 0,
        }
    }

    /// Whether the next push opens a slot, and the slot it then evicts (if the window is full).
    fn evicted_by_next(&self) -> Option<usize> {
        (self.opens_next() && self.used == self.slots.len()).then(|| (self.head + 1) % self.slots.len())
    }

    fn opens_next(&self) -> bool {
        self.used == 0 || self.filled == self.steps_per_slot
    }

    /// Pushes in the window now.
    fn steps(&self) -> usize {
        if self.used == 0 {
            0
        } else {
            (self.used - 1) * self.steps_per_slot + self.filled
        }
    }

    /// The sums as they would be after pushing `values`.
    pub(crate) fn totals_after(&self, values: [f64; K]) -> [f64; K] {
        let evicted = self.evicted_by_next().map(|i| self.slots[i]);
        let mut out = self.totals;
        for k in 0..K {
            out[k] = (out[k] + values[k] - evicted.map_or(0.0, |e| e[k])).max(0.0);
        }
        out
    }

    /// Pushes in the window after the next push.
    pub(crate) fn steps_after(&self) -> usize {
        self.steps() + 1 - if self.evicted_by_next().is_some() { self.steps_per_slot } else { 0 }
    }

    /// Whether, after the next push, the window will have seen as many pushes as it is wide.
    pub(crate) fn full_after(&self) -> bool {
        self.pushes + 1 >= (self.slots.len() * self.steps_per_slot) as u64
    }

    /// The current sums.
    pub(crate) fn totals(&self) -> [f64; K] {
        self.totals
    }

    /// Bytes held on the heap.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<[f64; K]>()
    }

    /// Adds one bucket's values.
    pub(crate) fn push(&mut self, values: [f64; K]) {
        self.totals = self.totals_after(values);
        if self.opens_next() {
            if self.used > 0 {
                self.head = (self.head + 1) % self.slots.len();
            }
            self.used = (self.used + 1).min(self.slots.len());
            self.slots[self.head] = [0.0; K];
            self.filled = 0;
        }
        let slot = &mut self.slots[self.head];
        for k in 0..K {
            slot[k] += values[k];
        }
        self.filled += 1;
        self.pushes += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_the_last_pushes_and_predicts_the_next_total() {
        let mut w = SlidingSum::<1>::new(3, 1);
        for (i, v) in [1.0, 2.0, 4.0, 8.0, 16.0].into_iter().enumerate() {
            let predicted = w.totals_after([v]);
            w.push([v]);
            assert_eq!(w.totals, predicted, "push {i}");
        }
        assert_eq!(w.totals, [28.0]);
        assert_eq!(w.steps(), 3);
        assert!(w.full_after());
    }

    #[test]
    fn slots_slide_by_whole_slots() {
        let mut w = SlidingSum::<2>::new(2, 2);
        for v in [1.0, 1.0, 1.0, 1.0] {
            w.push([v, v]);
        }
        assert_eq!(w.totals, [4.0, 4.0]);
        assert_eq!(w.steps_after(), 3);
        w.push([10.0, 0.0]);
        assert_eq!(w.totals, [12.0, 2.0], "the oldest slot (two pushes) left when the third slot opened");
        assert_eq!(w.steps(), 3);
    }

    #[test]
    fn a_window_covers_its_steps_in_bounded_slots() {
        let w = SlidingSum::<1>::covering(360, 36);
        assert_eq!((w.slots.len(), w.steps_per_slot), (36, 10));
        let w = SlidingSum::<1>::covering(24, 36);
        assert_eq!((w.slots.len(), w.steps_per_slot), (24, 1));
    }
}
