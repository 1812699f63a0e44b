//! Reading lines without trusting their length.

use std::io::{self, BufRead};

/// One line read from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineRead {
    /// Bytes consumed from the input, newline included; 0 at the end of input.
    pub consumed: usize,
    /// The line was longer than the limit: the buffer holds only its start.
    pub too_long: bool,
}

/// Reads the next line into `buf` (without its `\n` or `\r\n`), keeping at most
/// `max` bytes of it; the rest of an over-long line is consumed and discarded.
pub(crate) fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<LineRead> {
    buf.clear();
    let mut consumed = 0;
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let room = max.saturating_sub(buf.len());
        if chunk.len() > room + usize::from(done) {
            too_long = true;
        }
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let n = chunk.len();
        reader.consume(n);
        consumed += n;
        if done {
            break;
        }
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    Ok(LineRead { consumed, too_long })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn splits_lines_and_strips_crlf() {
        let mut input: &[u8] = b"one\r\ntwo\nthree";
        let mut buf = Vec::new();
        let mut lines = Vec::new();
        loop {
            let r = read_line(&mut input, &mut buf, 100).unwrap();
            if r.consumed == 0 {
                break;
            }
            lines.push(String::from_utf8(buf.clone()).unwrap());
        }
        assert_eq!(lines, ["one", "two", "three"]);
    }

    #[test]
    fn over_long_lines_are_flagged_and_skipped_whole() {
        let mut input: &[u8] = b"0123456789\nok\n";
        let mut buf = Vec::new();
        let r = read_line(&mut input, &mut buf, 4).unwrap();
        assert!(r.too_long);
        assert_eq!(r.consumed, 11);
        assert_eq!(buf, b"0123");
        let r = read_line(&mut input, &mut buf, 4).unwrap();
        assert!(!r.too_long);
        assert_eq!(buf, b"ok");
    }

    proptest! {
        #[test]
        fn consumed_bytes_add_up_to_the_input(lines in proptest::collection::vec("[a-z]{0,20}", 0..20), max in 1usize..30) {
            let text = lines.join("\n");
            let mut input = std::io::BufReader::with_capacity(7, text.as_bytes());
            let mut buf = Vec::new();
            let mut total = 0;
            let mut seen = Vec::new();
            loop {
                let r = read_line(&mut input, &mut buf, max).unwrap();
                if r.consumed == 0 { break; }
                total += r.consumed;
                prop_assert_eq!(r.too_long, buf.len() == max && seen.len() < lines.len() && lines[seen.len()].len() > max);
                seen.push(buf.clone());
            }
            prop_assert_eq!(total, text.len());
        }
    }
}
