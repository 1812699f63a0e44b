//! Bounded lists of recent mention keys, stored without an allocation per key.

use crate::compact::CompactStr;

/// A mention key (`platform:native_id`).
pub(crate) type SampleKey = CompactStr;

/// The most recent mention keys, oldest first, at most `keep` of them.
#[derive(Debug, Default)]
pub(crate) struct Samples(Vec<SampleKey>);

impl Samples {
    /// Appends `key` (unless it is already the latest), dropping the oldest beyond `keep`.
    pub(crate) fn remember(&mut self, key: &SampleKey, keep: usize) {
        if keep == 0 || self.0.last() == Some(key) {
            return;
        }
        if self.0.len() >= keep {
            self.0.remove(0);
        } else if self.0.capacity() == 0 {
            // Exactly what is kept, instead of the default growth.
            self.0.reserve_exact(keep);
        }
        self.0.push(key.clone());
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.0.iter().map(SampleKey::as_str)
    }

    pub(crate) fn approx_bytes(&self) -> usize {
        self.0.capacity() * std::mem::size_of::<SampleKey>() + self.0.iter().map(CompactStr::heap_bytes).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_keep_the_most_recent_keys() {
        let mut samples = Samples::default();
        for k in ["x:1", "x:2", "x:2", "x:3"] {
            samples.remember(&SampleKey::new(k), 2);
        }
        assert_eq!(samples.keys().collect::<Vec<_>>(), ["x:2", "x:3"]);
    }
}
