//! A sliding sum over the last N buckets, kept in a fixed number of slots.

/// Sums two quantities over a sliding window of `slots × steps_per_slot`
/// pushes. Each slot aggregates `steps_per_slot` consecutive pushes, so a
/// long window at a fine bucket width costs `slots` numbers, not one per
/// bucket; the window then slides by whole slots.
#[derive(Debug, Clone)]
pub(crate) struct SlidingSum {
    slots: Vec<(f64, f64)>,
    steps_per_slot: usize,
    head: usize,
    used: usize,
    filled: usize,
    total: f64,
    extra: f64,
}

impl SlidingSum {
    pub(crate) fn new(slots: usize, steps_per_slot: usize) -> Self {
        SlidingSum {
            slots: vec![(0.0, 0.0); slots.max(1)],
            steps_per_slot: steps_per_slot.max(1),
            head: 0,
            used: 0,
            filled: 0,
            total: 0.0,
            extra: 0.0,
        }
    }

    /// Whether the next push opens a slot, and what that evicts.
    fn evicted_by_next(&self) -> (f64, f64) {
        let opens = self.used == 0 || self.filled == self.steps_per_slot;
        if opens && self.used == self.slots.len() {
            self.slots[(self.head + 1) % self.slots.len()]
        } else {
            (0.0, 0.0)
        }
    }

    /// The first sum as it would be after pushing `value`.
    pub(crate) fn total_after(&self, value: f64) -> f64 {
        (self.total + value - self.evicted_by_next().0).max(0.0)
    }

    /// The second sum as it would be after pushing `value`.
    pub(crate) fn extra_after(&self, value: f64) -> f64 {
        (self.extra + value - self.evicted_by_next().1).max(0.0)
    }

    /// Bytes held on the heap.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(f64, f64)>()
    }

    /// Adds one bucket's pair of values.
    pub(crate) fn push(&mut self, value: f64, extra: f64) {
        let evicted = self.evicted_by_next();
        if self.used == 0 || self.filled == self.steps_per_slot {
            if self.used > 0 {
                self.head = (self.head + 1) % self.slots.len();
            }
            self.used = (self.used + 1).min(self.slots.len());
            self.slots[self.head] = (0.0, 0.0);
            self.filled = 0;
        }
        let slot = &mut self.slots[self.head];
        slot.0 += value;
        slot.1 += extra;
        self.filled += 1;
        self.total = (self.total + value - evicted.0).max(0.0);
        self.extra = (self.extra + extra - evicted.1).max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_the_last_pushes_and_predicts_the_next_total() {
        let mut w = SlidingSum::new(3, 1);
        for (i, v) in [1.0, 2.0, 4.0, 8.0, 16.0].into_iter().enumerate() {
            let predicted = w.total_after(v);
            w.push(v, 0.0);
            assert_eq!(w.total, predicted, "push {i}");
        }
        assert_eq!(w.total, 28.0);
    }

    #[test]
    fn slots_slide_by_whole_slots() {
        let mut w = SlidingSum::new(2, 2);
        for v in [1.0, 1.0, 1.0, 1.0] {
            w.push(v, v);
        }
        assert_eq!(w.total, 4.0);
        w.push(10.0, 0.0);
        assert_eq!(w.total, 12.0, "the oldest slot (two pushes) left when the third slot opened");
        assert_eq!(w.extra, 2.0);
    }
}
