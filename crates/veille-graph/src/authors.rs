//! The authors of one workspace: identity, interning and per-author statistics.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use hashbrown::{DefaultHashBuilder, HashTable};
use veille_model::Platform;

/// Sentinel for "no community yet".
pub(crate) const NO_COMMUNITY: u32 = u32::MAX;

/// Decayed statistics of an author within one watch.
#[derive(Debug, Clone)]
pub(crate) struct WatchStats {
    pub(crate) watch: u16,
    /// Mentions written that the watch matched (stored units, see `clock`).
    pub(crate) activity: f32,
    /// Interactions received through mentions the watch matched, plus their reported engagement.
    pub(crate) engagement: f32,
    /// Most recent mention keys, oldest first.
    pub(crate) samples: Vec<Arc<str>>,
}

/// One author slot.
#[derive(Debug, Default)]
pub(crate) struct Author {
    /// The handle as first seen (empty for a free slot).
    pub(crate) handle: Box<str>,
    pub(crate) platform: Option<Platform>,
    /// Latest follower count reported, saturated to `u32`.
    pub(crate) followers: Option<u32>,
    /// Mentions written (stored units).
    pub(crate) activity: f32,
    /// Interactions received plus engagement reported on own mentions (stored units).
    pub(crate) engagement: f32,
    /// Latest event time involving the author (Unix seconds).
    pub(crate) last_seen: i64,
    pub(crate) community: u32,
    /// Distinguishes successive authors of a reused slot.
    pub(crate) generation: u32,
    /// Most recent mention keys, oldest first.
    pub(crate) samples: Vec<Arc<str>>,
    pub(crate) watches: Vec<WatchStats>,
}

impl Author {
    /// How much the author mattered lately; the coldest are evicted first.
    pub(crate) fn heat(&self) -> f32 {
        self.activity + self.engagement
    }

    /// The statistics of the author within `watch`, created empty when absent.
    pub(crate) fn watch_mut(&mut self, watch: u16) -> &mut WatchStats {
        let at = match self.watches.iter().position(|w| w.watch == watch) {
            Some(at) => at,
            None => {
                self.watches.push(WatchStats { watch, activity: 0.0, engagement: 0.0, samples: Vec::new() });
                self.watches.len() - 1
            }
        };
        &mut self.watches[at]
    }

    /// The statistics of the author within `watch`, if any.
    pub(crate) fn watch(&self, watch: u16) -> Option<&WatchStats> {
        self.watches.iter().find(|w| w.watch == watch)
    }

    pub(crate) fn multiply(&mut self, factor: f64) {
        self.activity = (self.activity as f64 * factor) as f32;
        self.engagement = (self.engagement as f64 * factor) as f32;
        for w in &mut self.watches {
            w.activity = (w.activity as f64 * factor) as f32;
            w.engagement = (w.engagement as f64 * factor) as f32;
        }
    }

    pub(crate) fn approx_bytes(&self) -> usize {
        self.handle.len()
            + self.samples.capacity() * 16
            + self.watches.iter().map(|w| std::mem::size_of::<WatchStats>() + w.samples.capacity() * 16).sum::<usize>()
    }
}

/// Appends `key` to a bounded list of samples, dropping the oldest.
pub(crate) fn remember(samples: &mut Vec<Arc<str>>, key: &Arc<str>, keep: usize) {
    if keep == 0 || samples.last().is_some_and(|k| k == key) {
        return;
    }
    if samples.len() >= keep {
        samples.remove(0);
    }
    samples.push(Arc::clone(key));
}

/// Author slots with a case-insensitive `(platform, handle)` index and a free list.
#[derive(Debug, Default)]
pub(crate) struct Authors {
    pub(crate) slots: Vec<Author>,
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    free: Vec<u32>,
    live: usize,
    generation: u32,
}

impl Authors {
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// The slot of `(platform, handle)`, if known.
    pub(crate) fn find(&self, platform: Platform, handle: &str) -> Option<u32> {
        let hash = self.hash(platform, handle);
        self.index.find(hash, |&x| self.is(x, platform, handle)).copied()
    }

    /// The slot of `(platform, handle)` and whether it was just created.
    pub(crate) fn intern(&mut self, platform: Platform, handle: &str) -> (u32, bool) {
        let hash = self.hash(platform, handle);
        if let Some(&x) = self.index.find(hash, |&x| self.is(x, platform, handle)) {
            return (x, false);
        }
        let x = match self.free.pop() {
            Some(x) => x,
            None => {
                self.slots.push(Author::default());
                (self.slots.len() - 1) as u32
            }
        };
        self.generation = self.generation.wrapping_add(1);
        self.slots[x as usize] = Author {
            handle: handle.into(),
            platform: Some(platform),
            community: NO_COMMUNITY,
            generation: self.generation,
            ..Author::default()
        };
        let (slots, hasher) = (&self.slots, &self.hasher);
        self.index.insert_unique(hash, x, |&y| {
            let a = &slots[y as usize];
            hash_key(hasher, a.platform.unwrap_or(Platform::Web), &a.handle)
        });
        self.live += 1;
        (x, true)
    }

    /// Frees slot `x`.
    pub(crate) fn remove(&mut self, x: u32) {
        let a = &self.slots[x as usize];
        let Some(platform) = a.platform else {
            return;
        };
        let hash = self.hash(platform, &a.handle);
        if let Ok(entry) = self.index.find_entry(hash, |&y| y == x) {
            entry.remove();
        }
        self.slots[x as usize] = Author::default();
        self.free.push(x);
        self.live -= 1;
    }

    /// Live slots.
    pub(crate) fn live(&self) -> impl Iterator<Item = (u32, &Author)> + '_ {
        self.slots.iter().enumerate().filter(|(_, a)| a.platform.is_some()).map(|(i, a)| (i as u32, a))
    }

    pub(crate) fn approx_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Author>()
            + self.slots.iter().map(Author::approx_bytes).sum::<usize>()
            + self.index.capacity() * 5
            + self.free.capacity() * 4
    }

    fn is(&self, x: u32, platform: Platform, handle: &str) -> bool {
        let a = &self.slots[x as usize];
        a.platform == Some(platform) && fold_eq(&a.handle, handle)
    }

    fn hash(&self, platform: Platform, handle: &str) -> u64 {
        hash_key(&self.hasher, platform, handle)
    }
}

fn hash_key(hasher: &DefaultHashBuilder, platform: Platform, handle: &str) -> u64 {
    let mut h = hasher.build_hasher();
    h.write_u8(platform as u8);
    if handle.is_ascii() {
        for b in handle.bytes() {
            h.write_u8(b.to_ascii_lowercase());
        }
    } else {
        for c in handle.chars().flat_map(char::to_lowercase) {
            h.write_u32(c as u32);
        }
    }
    h.finish()
}

/// Handles compare without regard to case (as every platform we read treats them).
pub(crate) fn fold_eq(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.chars().flat_map(char::to_lowercase).eq(b.chars().flat_map(char::to_lowercase))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_one_author_whatever_their_case_but_not_across_platforms() {
        let mut authors = Authors::default();
        let (a, new) = authors.intern(Platform::X, "AmericanAir");
        assert!(new);
        assert_eq!(authors.intern(Platform::X, "americanair"), (a, false));
        let (e, _) = authors.intern(Platform::X, "ÉLodie");
        assert_eq!(authors.find(Platform::X, "élodie"), Some(e));
        let (b, new) = authors.intern(Platform::Bluesky, "americanair");
        assert!(new && b != a);
        assert_eq!(&*authors.slots[a as usize].handle, "AmericanAir");
        authors.remove(a);
        assert_eq!(authors.find(Platform::X, "AMERICANAIR"), None);
        assert_eq!(authors.len(), 2);
        let (again, new) = authors.intern(Platform::X, "someone");
        assert!(new);
        assert_eq!(again, a, "freed slots are reused");
    }

    #[test]
    fn samples_keep_the_most_recent_keys() {
        let mut samples = Vec::new();
        for k in ["x:1", "x:2", "x:2", "x:3"] {
            remember(&mut samples, &Arc::from(k), 2);
        }
        let keys: Vec<&str> = samples.iter().map(|k| &**k).collect();
        assert_eq!(keys, ["x:2", "x:3"]);
    }
}
