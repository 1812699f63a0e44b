//! Bounded lists of recent mention keys, stored without an allocation per key.

use std::sync::Arc;

/// Longest key stored inline.
const INLINE: usize = 22;

/// A mention key (`platform:native_id`): inline when short, shared otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SampleKey {
    Inline { len: u8, bytes: [u8; INLINE] },
    Shared(Arc<str>),
}

impl SampleKey {
    pub(crate) fn new(key: &str) -> Self {
        if key.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..key.len()].copy_from_slice(key.as_bytes());
            SampleKey::Inline { len: key.len() as u8, bytes }
        } else {
            SampleKey::Shared(Arc::from(key))
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // The bytes were copied whole from a `&str` in `new`.
            SampleKey::Inline { len, bytes } => std::str::from_utf8(&bytes[..*len as usize]).unwrap_or_default(),
            SampleKey::Shared(s) => s,
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            SampleKey::Inline { .. } => 0,
            SampleKey::Shared(s) => s.len() + 16,
        }
    }
}

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
        self.0.capacity() * std::mem::size_of::<SampleKey>() + self.0.iter().map(SampleKey::heap_bytes).sum::<usize>()
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

    #[test]
    fn long_keys_round_trip_like_short_ones() {
        let long = "bluesky:at://did:plc:abcdefghijklmnop/app.bsky.feed.post/3k";
        for key in ["x:1234567890123456789", long, ""] {
            assert_eq!(SampleKey::new(key).as_str(), key);
        }
        assert!(matches!(SampleKey::new(long), SampleKey::Shared(_)));
    }
}
