//! Tagging a stream of NDJSON mentions (`veille match`).

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use veille_model::{Mention, MentionError};

use crate::error::{NdjsonError, RejectedLine};
use crate::Matcher;

/// Counts from one tagged stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Lines read, blank ones included.
    pub lines: u64,
    /// Mentions written out.
    pub mentions: u64,
    /// Mentions written out with at least one tag.
    pub tagged: u64,
    /// Lines refused and handed to the caller.
    pub rejected: u64,
    /// Mentions written out per workspace, by name (a workspace without watches tags none).
    pub workspaces: BTreeMap<String, WorkspaceCounts>,
}

/// The mentions of one workspace in a tagged stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkspaceCounts {
    /// Mentions written out.
    pub mentions: u64,
    /// Mentions written out with at least one tag.
    pub tagged: u64,
}

/// Reads mention NDJSON from `reader` and writes the same mentions, in the
/// same order, with their `tags`, one per line to `writer`.
///
/// Blank lines are skipped. A line that is not a valid mention is handed to
/// `rejected` (with its line number and the field at fault) and left out of
/// the output; the stream goes on. Only I/O failures stop it.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = veille_config::Config::from_toml_str(r#"
/// [[workspaces]]
/// name = "default"
/// [[workspaces.watches]]
/// name = "acme"
/// kind = "brand"
/// handles = ["@acme"]
/// "#, "inline.toml")?;
/// let matcher = veille_match::Matcher::compile(&config)?;
/// let input = concat!(
///     r#"{"platform":"x","native_id":"1","text":"hi @Acme","created_at":"2026-01-02T03:04:05Z","author":{"handle":"ann"}}"#, "\n",
///     "not json\n",
/// );
/// let mut output = Vec::new();
/// let mut refused = Vec::new();
/// let stats = veille_match::tag_ndjson(input.as_bytes(), &mut output, &matcher, |r| refused.push(r))?;
/// assert_eq!((stats.mentions, stats.tagged, stats.rejected), (1, 1, 1));
/// assert_eq!(stats.workspaces["default"].tagged, 1);
/// assert_eq!(refused[0].line, 2);
/// assert!(String::from_utf8(output)?.contains(r#""tags":[{"watch":"acme""#));
/// # Ok(()) }
/// ```
pub fn tag_ndjson<R: BufRead, W: Write>(
    mut reader: R,
    mut writer: W,
    matcher: &Matcher,
    mut rejected: impl FnMut(RejectedLine),
) -> Result<Stats, NdjsonError> {
    let mut stats = Stats::default();
    let mut raw = Vec::new();
    let mut out = Vec::new();
    loop {
        let line = stats.lines + 1;
        raw.clear();
        let read = reader.read_until(b'\n', &mut raw).map_err(|source| NdjsonError::Read { line, source })?;
        if read == 0 {
            break;
        }
        stats.lines = line;
        let body = trim_line_end(&raw);
        if body.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = std::str::from_utf8(body)
            .map_err(|e| MentionError {
                line: Some(line),
                field: String::new(),
                reason: format!("not valid UTF-8: {e}"),
            })
            .and_then(|text| Mention::from_ndjson_line(text, line));
        let mut mention = match parsed {
            Ok(m) => m,
            Err(error) => {
                stats.rejected += 1;
                rejected(RejectedLine { line, text: String::from_utf8_lossy(body).into_owned(), error });
                continue;
            }
        };
        let tagged = matcher.tag(&mut mention) > 0;
        let counts = match stats.workspaces.get_mut(&mention.workspace) {
            Some(counts) => counts,
            None => stats.workspaces.entry(mention.workspace.clone()).or_default(),
        };
        counts.mentions += 1;
        counts.tagged += u64::from(tagged);
        stats.tagged += u64::from(tagged);
        stats.mentions += 1;
        out.clear();
        out.extend_from_slice(mention.to_json().as_bytes());
        out.push(b'\n');
        writer.write_all(&out).map_err(|source| NdjsonError::Write { line, source })?;
    }
    writer.flush().map_err(|source| NdjsonError::Write { line: stats.lines, source })?;
    Ok(stats)
}

fn trim_line_end(raw: &[u8]) -> &[u8] {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    raw.strip_suffix(b"\r").unwrap_or(raw)
}
