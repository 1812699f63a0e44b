//! Distinct counting of authors: exact while small, HyperLogLog beyond.

use std::hash::{DefaultHasher, Hash, Hasher};

/// Register index bits: 2^8 = 256 one-byte registers, standard error 1.04/√256 ≈ 6.5 %.
const PRECISION: u32 = 8;
const REGISTERS: usize = 1 << PRECISION;

/// Distinct authors kept exactly (inline, no allocation) before switching to registers.
const EXACT: usize = 4;

/// `2^-r` for every register value `r`, so an estimate costs no `exp2`.
const INVERSE_POWERS: [f64; 65] = {
    let mut table = [0.0; 65];
    let mut r = 0;
    while r < 64 {
        table[r] = 1.0 / (1u64 << r) as f64;
        r += 1;
    }
    table[64] = table[63] / 2.0;
    table
};

/// The 64-bit hash of an author identity on a platform, computed once per
/// mention and shared by every bucket the mention lands in.
pub(crate) fn author_hash(platform: &str, identity: &str) -> u64 {
    let mut h = DefaultHasher::new();
    platform.hash(&mut h);
    identity.hash(&mut h);
    h.finish()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Sketch {
    /// Up to [`EXACT`] distinct hashes, the first `len` of the array.
    Exact { len: u8, hashes: [u64; EXACT] },
    /// HyperLogLog registers.
    Registers(Box<[u8; REGISTERS]>),
}

/// Distinct authors of a bucket.
///
/// The first few authors are kept exactly and inline, so a quiet bucket
/// allocates nothing; beyond that a 256-register HyperLogLog (256 bytes)
/// takes over: linear counting keeps small cardinalities near exact, large
/// ones carry a ≈ 6.5 % standard error. Sketches merge (register-wise
/// maximum), which is how rollups combine buckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UniqueAuthors(Sketch);

impl Default for UniqueAuthors {
    fn default() -> Self {
        UniqueAuthors(Sketch::Exact { len: 0, hashes: [0; EXACT] })
    }
}

fn register_insert(registers: &mut [u8; REGISTERS], hash: u64) {
    let index = (hash >> (64 - PRECISION)) as usize;
    // Rank of the first set bit in the remaining 56 bits, 1-based (57 when all are zero).
    let rank = ((hash << PRECISION).leading_zeros().min(64 - PRECISION) + 1) as u8;
    if registers[index] < rank {
        registers[index] = rank;
    }
}

impl UniqueAuthors {
    /// Records one author by hash.
    pub(crate) fn insert(&mut self, hash: u64) {
        match &mut self.0 {
            Sketch::Exact { len, hashes } => {
                let n = usize::from(*len);
                if hashes[..n].contains(&hash) {
                    return;
                }
                if n < EXACT {
                    hashes[n] = hash;
                    *len += 1;
                    return;
                }
                let mut registers = Box::new([0; REGISTERS]);
                for &h in hashes.iter().chain(std::iter::once(&hash)) {
                    register_insert(&mut registers, h);
                }
                self.0 = Sketch::Registers(registers);
            }
            Sketch::Registers(registers) => register_insert(registers, hash),
        }
    }

    /// Adds every author of `other`.
    pub(crate) fn merge(&mut self, other: &UniqueAuthors) {
        match &other.0 {
            Sketch::Exact { len, hashes } => {
                for &h in &hashes[..usize::from(*len)] {
                    self.insert(h);
                }
            }
            Sketch::Registers(theirs) => {
                if let Sketch::Exact { len, hashes } = &self.0 {
                    let mut registers = theirs.clone();
                    for &h in &hashes[..usize::from(*len)] {
                        register_insert(&mut registers, h);
                    }
                    self.0 = Sketch::Registers(registers);
                } else if let Sketch::Registers(mine) = &mut self.0 {
                    for (m, t) in mine.iter_mut().zip(theirs.iter()) {
                        *m = (*m).max(*t);
                    }
                }
            }
        }
    }

    /// Number of distinct authors: exact up to four, estimated beyond.
    pub(crate) fn estimate(&self) -> u64 {
        let registers = match &self.0 {
            Sketch::Exact { len, .. } => return u64::from(*len),
            Sketch::Registers(r) => r,
        };
        let m = REGISTERS as f64;
        let (sum, zeros) = registers
            .iter()
            .fold((0.0, 0usize), |(s, z), &r| (s + INVERSE_POWERS[usize::from(r)], z + usize::from(r == 0)));
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let raw = alpha * m * m / sum;
        let estimate = if raw <= 2.5 * m && zeros > 0 { m * (m / zeros as f64).ln() } else { raw };
        estimate.round() as u64
    }

    /// Bytes used on the heap.
    pub(crate) fn heap_bytes(&self) -> usize {
        match self.0 {
            Sketch::Exact { .. } => 0,
            Sketch::Registers(_) => REGISTERS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch(authors: impl IntoIterator<Item = String>) -> UniqueAuthors {
        let mut s = UniqueAuthors::default();
        for a in authors {
            s.insert(author_hash("x", &a));
        }
        s
    }

    #[test]
    fn small_counts_are_exact_and_repeats_do_not_count() {
        assert_eq!(UniqueAuthors::default().estimate(), 0);
        let three = sketch((0..3).flat_map(|i| [format!("a{i}"), format!("a{i}")]));
        assert_eq!((three.estimate(), three.heap_bytes()), (3, 0), "a quiet bucket allocates nothing");
        let s = sketch((0..20).flat_map(|i| [format!("a{i}"), format!("a{i}")]));
        assert_eq!(s.estimate(), 20);
    }

    #[test]
    fn large_counts_are_within_a_few_standard_errors() {
        for n in [1_000u64, 50_000] {
            let e = sketch((0..n).map(|i| format!("author-{i}"))).estimate() as f64;
            let rel = (e - n as f64).abs() / n as f64;
            assert!(rel < 0.2, "{n} authors estimated as {e}");
        }
    }

    #[test]
    fn merging_counts_the_union_in_every_mode() {
        let mut a = sketch((0..300).map(|i| format!("u{i}")));
        let b = sketch((200..500).map(|i| format!("u{i}")));
        a.merge(&b);
        let e = a.estimate() as f64;
        assert!((e - 500.0).abs() / 500.0 < 0.2, "{e}");

        let mut small = sketch(["x".to_string(), "y".to_string()]);
        small.merge(&sketch(["y".to_string(), "z".to_string()]));
        assert_eq!(small.estimate(), 3);
        small.merge(&sketch((0..40).map(|i| format!("w{i}"))));
        assert_eq!(small.estimate(), 43);
        let mut big = sketch((0..40).map(|i| format!("w{i}")));
        big.merge(&sketch(["x".to_string(), "w1".to_string()]));
        assert_eq!(big.estimate(), 41);
    }
}
