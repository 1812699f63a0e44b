//! The on-disk framing of one outbox record.
//!
//! A record is a one-byte marker, the payload length (u32, little endian),
//! the CRC-32 of the payload (u32, little endian), then the payload. A crash
//! in the middle of an append leaves a record that decodes as
//! [`Decoded::Incomplete`]; a record whose bytes changed decodes as
//! [`Decoded::Corrupt`].

/// First byte of every record.
const MARKER: u8 = 0xA7;
/// Bytes before the payload.
pub(crate) const HEADER_LEN: usize = 9;
/// Largest payload a record may hold.
pub(crate) const MAX_PAYLOAD: usize = 16 * 1024 * 1024;

/// The result of decoding the start of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decoded<'a> {
    /// A whole record: its payload and the bytes it took.
    Record {
        /// The payload.
        payload: &'a [u8],
        /// Header and payload length.
        size: usize,
    },
    /// The buffer ends inside a record (or is empty).
    Incomplete,
    /// The bytes are not a valid record.
    Corrupt(&'static str),
}

/// Appends the record holding `payload` to `out`.
pub(crate) fn encode(payload: &[u8], out: &mut Vec<u8>) {
    out.reserve(HEADER_LEN + payload.len());
    out.push(MARKER);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// Bytes the record holding a payload of `len` bytes takes.
pub(crate) fn encoded_len(len: usize) -> usize {
    HEADER_LEN + len
}

/// Decodes the record at the start of `buf`.
pub(crate) fn decode(buf: &[u8]) -> Decoded<'_> {
    let Some(&marker) = buf.first() else { return Decoded::Incomplete };
    if marker != MARKER {
        return Decoded::Corrupt("bad record marker");
    }
    if buf.len() < HEADER_LEN {
        return Decoded::Incomplete;
    }
    let word = |at: usize| u32::from_le_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]);
    let len = word(1) as usize;
    if len > MAX_PAYLOAD {
        return Decoded::Corrupt("record length beyond the largest payload");
    }
    let Some(payload) = buf.get(HEADER_LEN..HEADER_LEN + len) else { return Decoded::Incomplete };
    if crc32fast::hash(payload) != word(5) {
        return Decoded::Corrupt("record checksum mismatch");
    }
    Decoded::Record { payload, size: HEADER_LEN + len }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_all(mut buf: &[u8]) -> (Vec<Vec<u8>>, Decoded<'_>) {
        let mut out = Vec::new();
        loop {
            match decode(buf) {
                Decoded::Record { payload, size } => {
                    out.push(payload.to_vec());
                    buf = &buf[size..];
                }
                end => return (out, end),
            }
        }
    }

    #[test]
    fn an_empty_payload_is_a_valid_record() {
        let mut buf = Vec::new();
        encode(b"", &mut buf);
        assert_eq!(buf.len(), encoded_len(0));
        assert_eq!(decode(&buf), Decoded::Record { payload: b"", size: HEADER_LEN });
    }

    #[test]
    fn an_absurd_length_is_corrupt_not_a_huge_allocation() {
        let mut buf = vec![MARKER];
        buf.extend_from_slice(&u32::MAX.to_le_bytes());
        buf.extend_from_slice(&[0; 4]);
        assert_eq!(decode(&buf), Decoded::Corrupt("record length beyond the largest payload"));
    }

    proptest! {
        #[test]
        fn records_round_trip_in_order(payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..20)) {
            let mut buf = Vec::new();
            for p in &payloads {
                encode(p, &mut buf);
            }
            prop_assert_eq!(buf.len(), payloads.iter().map(|p| encoded_len(p.len())).sum::<usize>());
            let (decoded, end) = decode_all(&buf);
            prop_assert_eq!(decoded, payloads);
            prop_assert_eq!(end, Decoded::Incomplete);
        }

        #[test]
        fn a_torn_append_keeps_every_whole_record_before_it(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..100), 1..10),
            cut in any::<proptest::sample::Index>(),
        ) {
            let mut buf = Vec::new();
            let mut ends = Vec::new();
            for p in &payloads {
                encode(p, &mut buf);
                ends.push(buf.len());
            }
            let cut = cut.index(buf.len());
            let whole = ends.iter().filter(|&&e| e <= cut).count();
            let (decoded, end) = decode_all(&buf[..cut]);
            prop_assert_eq!(&decoded[..], &payloads[..whole]);
            prop_assert_eq!(end, Decoded::Incomplete);
        }

        #[test]
        fn a_flipped_bit_is_never_read_as_the_original(
            payload in proptest::collection::vec(any::<u8>(), 1..200),
            at in any::<proptest::sample::Index>(),
            bit in 0u8..8,
        ) {
            let mut buf = Vec::new();
            encode(&payload, &mut buf);
            let at = at.index(buf.len());
            buf[at] ^= 1 << bit;
            match decode(&buf) {
                Decoded::Record { payload: read, .. } => prop_assert_ne!(read, &payload[..]),
                Decoded::Incomplete | Decoded::Corrupt(_) => {}
            }
        }
    }
}
