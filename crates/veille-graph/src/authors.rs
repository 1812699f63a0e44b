//! The authors of one workspace: identity, interning and per-author statistics.
//!
//! Authors live in slots addressed by a compact `u32`. The index from
//! `(platform, handle)` to slot keeps each handle folded to lower case inside
//! the table entry when it is short (as nearly all handles are), so a lookup
//! reads the table and nothing else; longer handles are confirmed against
//! the slot.

use std::hash::{BuildHasher, Hasher};

use hashbrown::{DefaultHashBuilder, HashTable};
use veille_model::Platform;

use crate::compact::CompactStr;
use crate::prefetch::prefetch_all;
use crate::recent::Recent;
use crate::samples::Samples;

/// Sentinel for "no community yet".
pub(crate) const NO_COMMUNITY: u32 = u32::MAX;

/// Watches whose ids an author slot lists inline.
const LISTED_WATCHES: usize = 4;

/// Longest folded handle kept whole in an index entry.
const INLINE: usize = 18;

/// Statistics of an author within one watch.
#[derive(Debug, Default)]
pub(crate) struct WatchStats {
    pub(crate) watch: u16,
    /// Mentions written that the watch matched (decayed, stored units, see `clock`).
    pub(crate) activity: f32,
    /// Interactions received through mentions the watch matched, plus their
    /// reported engagement (decayed, stored units).
    pub(crate) engagement: f32,
    /// The same, undecayed, in time buckets.
    pub(crate) recent: Recent,
    /// Most recent mention keys, oldest first.
    pub(crate) samples: Samples,
}

/// One author slot.
#[derive(Debug, Default)]
pub(crate) struct Author {
    /// The handle as the author last wrote it, or as first seen (empty for a free slot).
    pub(crate) handle: CompactStr,
    /// The latest display name given by the author's own mentions.
    pub(crate) display_name: Option<CompactStr>,
    pub(crate) platform: Option<Platform>,
    /// Latest follower count reported, saturated to `u32`.
    pub(crate) followers: Option<u32>,
    /// Mentions written (decayed, stored units).
    pub(crate) activity: f32,
    /// Interactions received plus engagement reported on own mentions (decayed, stored units).
    pub(crate) engagement: f32,
    /// Latest event time involving the author (Unix seconds).
    pub(crate) last_seen: i64,
    pub(crate) community: u32,
    /// Distinguishes successive authors of a reused slot.
    pub(crate) generation: u32,
    /// Activity and engagement, undecayed, in time buckets.
    pub(crate) recent: Recent,
    /// Most recent mention keys, oldest first.
    pub(crate) samples: Samples,
    /// The watch ids of the first [`LISTED_WATCHES`] entries of `watches`, in
    /// order, so that finding an author's statistics within a watch reads the
    /// slot only.
    watch_ids: [u16; LISTED_WATCHES],
    pub(crate) watches: Vec<WatchStats>,
}

impl Author {
    /// How much the author mattered lately; the coldest are evicted first.
    pub(crate) fn heat(&self) -> f32 {
        self.activity + self.engagement
    }

    /// Where the statistics of the author within `watch` are in `watches`.
    fn watch_position(&self, watch: u16) -> Option<usize> {
        let listed = self.watches.len().min(LISTED_WATCHES);
        match self.watch_ids[..listed].iter().position(|&w| w == watch) {
            Some(at) => Some(at),
            None => {
                self.watches.iter().skip(LISTED_WATCHES).position(|w| w.watch == watch).map(|at| at + LISTED_WATCHES)
            }
        }
    }

    /// The statistics of the author within `watch`, created empty when absent.
    pub(crate) fn watch_mut(&mut self, watch: u16) -> &mut WatchStats {
        let at = match self.watch_position(watch) {
            Some(at) => at,
            None => {
                let at = self.watches.len();
                if let Some(id) = self.watch_ids.get_mut(at) {
                    *id = watch;
                }
                // Authors appear in few watches: grow one at a time.
                self.watches.reserve_exact(1);
                self.watches.push(WatchStats { watch, ..WatchStats::default() });
                at
            }
        };
        &mut self.watches[at]
    }

    /// The statistics of the author within `watch`, if any.
    pub(crate) fn watch(&self, watch: u16) -> Option<&WatchStats> {
        self.watch_position(watch).map(|at| &self.watches[at])
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
        self.handle.heap_bytes()
            + self.display_name.as_ref().map_or(0, CompactStr::heap_bytes)
            + self.samples.approx_bytes()
            + self.watches.capacity() * std::mem::size_of::<WatchStats>()
            + self.watches.iter().map(|w| w.samples.approx_bytes()).sum::<usize>()
    }
}

/// An index entry: the slot, the key's hash and, for short handles, the key itself.
#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: u64,
    slot: u32,
    platform: u8,
    /// Length of the folded handle.
    len: u8,
    /// Its first bytes.
    head: [u8; INLINE],
}

/// A `(platform, handle)` key folded for comparison.
struct Key {
    platform: u8,
    /// The folded handle's length (saturated) and first bytes, zero-padded, as entries hold them.
    len: u8,
    head: [u8; INLINE],
    hash: u64,
}

/// A handle in lower case (ASCII folded in place; other text through Unicode lower-casing).
enum Folded {
    Short { len: usize, bytes: [u8; 64] },
    Long(String),
}

impl Folded {
    fn of(handle: &str) -> Self {
        if handle.is_ascii() && handle.len() <= 64 {
            let mut bytes = [0u8; 64];
            for (b, c) in bytes.iter_mut().zip(handle.bytes()) {
                *b = c.to_ascii_lowercase();
            }
            Folded::Short { len: handle.len(), bytes }
        } else {
            Folded::Long(handle.chars().flat_map(char::to_lowercase).collect())
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Folded::Short { len, bytes } => &bytes[..*len],
            Folded::Long(s) => s.as_bytes(),
        }
    }
}

/// Author slots with a case-insensitive `(platform, handle)` index and a free list.
#[derive(Debug, Default)]
pub(crate) struct Authors {
    pub(crate) slots: Vec<Author>,
    index: HashTable<Entry>,
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
        let key = self.key(platform, handle);
        self.index.find(key.hash, |e| self.matches(e, &key, handle)).map(|e| e.slot)
    }

    /// The slot of `(platform, handle)` and whether it was just created.
    pub(crate) fn intern(&mut self, platform: Platform, handle: &str) -> (u32, bool) {
        let key = self.key(platform, handle);
        if let Some(e) = self.index.find(key.hash, |e| self.matches(e, &key, handle)) {
            return (e.slot, false);
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
            handle: CompactStr::new(handle),
            platform: Some(platform),
            community: NO_COMMUNITY,
            generation: self.generation,
            ..Author::default()
        };
        let entry = Entry { hash: key.hash, slot: x, platform: key.platform, len: key.len, head: key.head };
        self.index.insert_unique(key.hash, entry, |e| e.hash);
        self.live += 1;
        (x, true)
    }

    /// Frees slot `x`.
    pub(crate) fn remove(&mut self, x: u32) {
        let a = &self.slots[x as usize];
        let Some(platform) = a.platform else {
            return;
        };
        let hash = self.key(platform, &a.handle).hash;
        if let Ok(entry) = self.index.find_entry(hash, |e| e.slot == x) {
            entry.remove();
        }
        self.slots[x as usize] = Author::default();
        self.free.push(x);
        self.live -= 1;
    }

    /// Asks for slot `x`'s memory, about to be updated.
    #[inline(always)]
    pub(crate) fn prefetch(&self, x: u32) {
        if let Some(slot) = self.slots.get(x as usize) {
            prefetch_all(slot);
        }
    }

    /// Live slots.
    pub(crate) fn live(&self) -> impl Iterator<Item = (u32, &Author)> + '_ {
        self.slots.iter().enumerate().filter(|(_, a)| a.platform.is_some()).map(|(i, a)| (i as u32, a))
    }

    pub(crate) fn approx_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Author>()
            + self.slots.iter().map(Author::approx_bytes).sum::<usize>()
            + self.index.capacity() * (std::mem::size_of::<Entry>() + 1)
            + self.free.capacity() * 4
    }

    fn key(&self, platform: Platform, handle: &str) -> Key {
        let folded = Folded::of(handle);
        let mut h = self.hasher.build_hasher();
        h.write_u8(platform as u8);
        h.write(folded.bytes());
        let bytes = folded.bytes();
        let mut head = [0u8; INLINE];
        let n = bytes.len().min(INLINE);
        head[..n].copy_from_slice(&bytes[..n]);
        let len = bytes.len().min(255) as u8;
        Key { platform: platform as u8, len, head, hash: h.finish() }
    }

    fn matches(&self, e: &Entry, key: &Key, handle: &str) -> bool {
        e.hash == key.hash
            && e.platform == key.platform
            && e.len == key.len
            && e.head == key.head
            && (key.len as usize <= INLINE || fold_eq(&self.slots[e.slot as usize].handle, handle))
    }
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
    fn watch_statistics_are_found_beyond_the_listed_ids() {
        let mut author = Author::default();
        for w in [7u16, 3, 9, 1, 12, 5, 0] {
            author.watch_mut(w).activity += f32::from(w) + 1.0;
        }
        for w in [7u16, 3, 9, 1, 12, 5, 0] {
            assert_eq!(author.watch(w).map(|s| (s.watch, s.activity)), Some((w, f32::from(w) + 1.0)));
            author.watch_mut(w).activity += 1.0;
            assert_eq!(author.watch(w).map(|s| s.activity), Some(f32::from(w) + 2.0));
        }
        assert_eq!(author.watches.len(), 7);
        assert!(author.watch(2).is_none() && author.watch(4).is_none());
    }

    #[test]
    fn long_handles_sharing_a_prefix_stay_apart() {
        let mut authors = Authors::default();
        let long = "customer-care.example-airline.com";
        let (a, _) = authors.intern(Platform::Bluesky, long);
        let (b, new) = authors.intern(Platform::Bluesky, "customer-care.example-airline.org");
        assert!(new && a != b);
        assert_eq!(authors.find(Platform::Bluesky, &long.to_uppercase()), Some(a));
        let very_long = "x".repeat(300);
        let (c, _) = authors.intern(Platform::Bluesky, &very_long);
        assert_eq!(authors.find(Platform::Bluesky, &very_long.to_uppercase()), Some(c));
        assert_eq!(authors.find(Platform::Bluesky, &"x".repeat(299)), None);
        authors.remove(c);
        assert_eq!(authors.find(Platform::Bluesky, &very_long), None);
    }
}
