//! Framing of streamed HTTP bodies: lines (X's NDJSON) and server-sent events
//! (Mastodon), fed chunk by chunk as they arrive.

/// One line cut from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    /// The line, without its end (`\n`, `\r\n` or `\r`); only the start when too long.
    pub bytes: Vec<u8>,
    /// The line was longer than the limit.
    pub too_long: bool,
}

/// Cuts a byte stream into lines, never buffering more than `max` bytes of one.
#[derive(Debug)]
pub(crate) struct Lines {
    buf: Vec<u8>,
    max: usize,
    too_long: bool,
    /// The last chunk ended with `\r`: a `\n` starting the next one belongs to it.
    after_cr: bool,
}

impl Lines {
    /// A splitter keeping at most `max` bytes of a line.
    pub(crate) fn new(max: usize) -> Self {
        Lines { buf: Vec::new(), max, too_long: false, after_cr: false }
    }

    /// Feeds a chunk; returns the lines it completes.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Vec<Line> {
        let mut lines = Vec::new();
        let mut chunk = chunk;
        if chunk.is_empty() {
            return lines;
        }
        if std::mem::take(&mut self.after_cr) {
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
        }
        while let Some(i) = chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.take(&chunk[..i]);
            lines.push(Line { bytes: std::mem::take(&mut self.buf), too_long: std::mem::take(&mut self.too_long) });
            let crlf = chunk[i] == b'\r' && chunk.get(i + 1) == Some(&b'\n');
            self.after_cr = chunk[i] == b'\r' && i + 1 == chunk.len();
            chunk = &chunk[i + if crlf { 2 } else { 1 }..];
        }
        self.take(chunk);
        lines
    }

    fn take(&mut self, part: &[u8]) {
        let room = self.max.saturating_sub(self.buf.len());
        if part.len() > room {
            self.too_long = true;
        }
        self.buf.extend_from_slice(&part[..part.len().min(room)]);
    }
}

/// One server-sent event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Event {
    /// The `event:` field; `message` when absent.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// A data line was longer than the limit.
    pub too_long: bool,
}

/// Parses a `text/event-stream` as it arrives (WHATWG HTML, "server-sent events").
#[derive(Debug)]
pub(crate) struct EventStream {
    lines: Lines,
    event: Option<String>,
    data: Option<String>,
    too_long: bool,
}

impl EventStream {
    /// A parser keeping at most `max` bytes of one line.
    pub(crate) fn new(max: usize) -> Self {
        EventStream { lines: Lines::new(max), event: None, data: None, too_long: false }
    }

    /// Feeds a chunk; returns the events it completes. Comments (`:thump`) yield nothing.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        for line in self.lines.feed(chunk) {
            if line.bytes.is_empty() {
                if let Some(data) = self.data.take() {
                    events.push(Event {
                        event: self.event.take().unwrap_or_else(|| "message".into()),
                        data,
                        too_long: std::mem::take(&mut self.too_long),
                    });
                }
                self.event = None;
                continue;
            }
            let text = String::from_utf8_lossy(&line.bytes);
            if text.starts_with(':') {
                continue;
            }
            let (field, value) = match text.split_once(':') {
                Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                None => (text.as_ref(), ""),
            };
            match field {
                "event" => self.event = Some(value.to_string()),
                "data" => {
                    self.too_long |= line.too_long;
                    let data = self.data.get_or_insert_with(String::new);
                    if !data.is_empty() || self.too_long {
                        data.push('\n');
                    }
                    data.push_str(value);
                }
                _ => {}
            }
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all_lines(input: &[u8], cuts: &[usize], max: usize) -> Vec<Line> {
        let mut l = Lines::new(max);
        let mut out = Vec::new();
        let mut at = 0;
        for &c in cuts.iter().chain(std::iter::once(&input.len())) {
            let c = c.clamp(at, input.len());
            out.extend(l.feed(&input[at..c]));
            at = c;
        }
        out
    }

    #[test]
    fn lines_end_with_lf_crlf_or_cr() {
        let lines = all_lines(b"a\r\nb\nc\rd\n\r\n", &[], 100);
        let texts: Vec<_> = lines.iter().map(|l| String::from_utf8_lossy(&l.bytes).into_owned()).collect();
        assert_eq!(texts, ["a", "b", "c", "d", ""]);
    }

    #[test]
    fn mastodon_events_parse_with_comments_and_multiline_data() {
        let mut p = EventStream::new(1 << 20);
        let input = b":thump\n\nevent: update\ndata: {\"id\":\"1\"}\n\nevent: delete\ndata: 1\n\ndata: a\ndata: b\n\n";
        let events = p.feed(input);
        assert_eq!(events.len(), 3);
        assert_eq!((events[0].event.as_str(), events[0].data.as_str()), ("update", "{\"id\":\"1\"}"));
        assert_eq!((events[1].event.as_str(), events[1].data.as_str()), ("delete", "1"));
        assert_eq!((events[2].event.as_str(), events[2].data.as_str()), ("message", "a\nb"));
    }

    proptest! {
        #[test]
        fn chunking_never_changes_the_lines(
            lines in proptest::collection::vec("[a-z{}\":]{0,12}", 0..12),
            crlf in proptest::collection::vec(any::<bool>(), 12),
            cuts in proptest::collection::vec(0usize..200, 0..8),
        ) {
            let mut input = Vec::new();
            for (i, l) in lines.iter().enumerate() {
                input.extend_from_slice(l.as_bytes());
                // A lone `\r` before an empty `\n` line reads as one `\r\n`: CR endings are tested above.
                input.extend_from_slice(if crlf[i] { &b"\r\n"[..] } else { b"\n" });
            }
            let mut cuts = cuts;
            cuts.sort_unstable();
            let whole = all_lines(&input, &[], 1 << 10);
            let chunked = all_lines(&input, &cuts, 1 << 10);
            prop_assert_eq!(&whole, &chunked);
            let texts: Vec<String> = whole.iter().map(|l| String::from_utf8_lossy(&l.bytes).into_owned()).collect();
            prop_assert_eq!(texts, lines);
        }

        #[test]
        fn over_long_lines_are_flagged_and_cut(len in 1usize..100, max in 2usize..50) {
            let input = format!("{}\nok\n", "x".repeat(len));
            let lines = all_lines(input.as_bytes(), &[len / 2], max);
            prop_assert_eq!(lines[0].too_long, len > max);
            prop_assert_eq!(lines[0].bytes.len(), len.min(max));
            prop_assert_eq!(&lines[1].bytes, b"ok");
        }
    }
}
