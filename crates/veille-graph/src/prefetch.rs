//! Cache hints: the graph visits authors and nodes in random order, so it
//! asks for the memory it is about to touch before touching it.

/// Hints the CPU to bring the cache line holding `item`'s first byte into cache.
#[inline(always)]
pub(crate) fn prefetch<T>(item: &T) {
    prefetch_bytes((item as *const T).cast::<u8>());
}

/// Hints the CPU to bring every cache line of `item` into cache.
#[inline(always)]
pub(crate) fn prefetch_all<T>(item: &T) {
    let start = (item as *const T).cast::<u8>();
    let size = std::mem::size_of::<T>();
    let mut offset = 0;
    while offset < size {
        prefetch_bytes(start.wrapping_add(offset));
        offset += 64;
    }
    if size > 0 {
        // The last line, when `item` does not start on a line boundary.
        prefetch_bytes(start.wrapping_add(size - 1));
    }
}

#[inline(always)]
fn prefetch_bytes(at: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of the x86_64 baseline, and a prefetch is only
        // a hint: it reads nothing and cannot fault, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(at.cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}
