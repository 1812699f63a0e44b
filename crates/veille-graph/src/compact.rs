//! Short strings stored inline: handles and mention keys without a heap
//! allocation each, and readable without a second memory access.

use std::ops::Deref;
use std::sync::Arc;

/// Longest string stored inline.
const INLINE: usize = 22;

/// An immutable string: inline when short, shared on the heap otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CompactStr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Shared(Arc<str>),
}

impl Default for CompactStr {
    fn default() -> Self {
        CompactStr::Inline { len: 0, bytes: [0; INLINE] }
    }
}

impl CompactStr {
    pub(crate) fn new(text: &str) -> Self {
        if text.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            CompactStr::Inline { len: text.len() as u8, bytes }
        } else {
            CompactStr::Shared(Arc::from(text))
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // The bytes were copied whole from a `&str` in `new`.
            CompactStr::Inline { len, bytes } => std::str::from_utf8(&bytes[..*len as usize]).unwrap_or_default(),
            CompactStr::Shared(s) => s,
        }
    }

    /// Whether this is exactly `text`; reads no other memory when `text` is short.
    pub(crate) fn is(&self, text: &str) -> bool {
        match self {
            CompactStr::Inline { len, bytes } => bytes[..*len as usize] == *text.as_bytes(),
            CompactStr::Shared(s) => **s == *text,
        }
    }

    /// Heap bytes held besides the value itself.
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            CompactStr::Inline { .. } => 0,
            CompactStr::Shared(s) => s.len() + 16,
        }
    }
}

impl Deref for CompactStr {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_strings_round_trip_like_short_ones() {
        let long = "bluesky:at://did:plc:abcdefghijklmnop/app.bsky.feed.post/3k";
        for text in ["x:1234567890123456789", long, "", "1234567890123456789012", "12345678901234567890123"] {
            let compact = CompactStr::new(text);
            assert_eq!(compact.as_str(), text);
            assert!(compact.is(text));
            assert!(!compact.is(&format!("{text}!")));
        }
        assert!(matches!(CompactStr::new(long), CompactStr::Shared(_)));
        assert!(!CompactStr::new("ab").is("aB"));
        assert_eq!(&*CompactStr::default(), "");
    }
}
