//! `kind = "ndjson"`: mention JSON, one object per line.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::Ordering;

use veille_bus::{Batch, Record};
use veille_config::NdjsonSource as NdjsonConfig;
use veille_model::{DeadLetter, Mention, Origin};

use crate::line_reader::read_line;
use crate::{metrics, Source, SourceContext, SourceEnd, SourceError, MAX_LINE_BYTES};

/// Reads mention NDJSON from a file (resumable) or standard input.
#[derive(Debug, Clone)]
pub struct NdjsonSource {
    config: NdjsonConfig,
}

impl NdjsonSource {
    /// A source reading `config.path` (`-` for standard input).
    pub fn new(config: NdjsonConfig) -> Self {
        NdjsonSource { config }
    }

    fn is_stdin(&self) -> bool {
        self.config.path == Path::new("-")
    }
}

/// A cursor `offset:line`: the byte offset to seek to and the number of lines before it.
fn parse_cursor(name: &str, cursor: &str) -> Result<(u64, u64), SourceError> {
    let bad = |message: &str| SourceError::Cursor {
        source_name: name.to_string(),
        cursor: cursor.to_string(),
        message: message.to_string(),
    };
    let (offset, line) = cursor.split_once(':').ok_or_else(|| bad("expected `offset:line`"))?;
    Ok((
        offset.parse().map_err(|_| bad("offset is not a number"))?,
        line.parse().map_err(|_| bad("line is not a number"))?,
    ))
}

/// Turns one line into a record; `location` names it in errors.
pub(crate) fn parse_line(
    bytes: &[u8],
    line_no: u64,
    too_long: bool,
    origin: impl Fn() -> Origin,
    workspace: Option<&str>,
) -> Option<Record> {
    let dead = |reason: String| {
        Some(Record::Dead(Box::new(DeadLetter::new(origin(), reason, String::from_utf8_lossy(bytes)))))
    };
    if too_long {
        return dead(format!(
            "line {line_no}: longer than the limit of {MAX_LINE_BYTES} bytes (only its start is kept)"
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return dead(format!("line {line_no}: invalid UTF-8 at byte {}", e.valid_up_to())),
    };
    if text.trim().is_empty() {
        return None;
    }
    match Mention::from_ndjson_line(text, line_no) {
        Ok(mut m) => {
            if let Some(ws) = workspace {
                m.workspace = ws.to_string();
            }
            Some(Record::Mention(Box::new(m)))
        }
        Err(e) => dead(e.to_string()),
    }
}

#[async_trait::async_trait]
impl Source for NdjsonSource {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn size_hint(&self) -> Option<u64> {
        if self.is_stdin() {
            None
        } else {
            std::fs::metadata(&self.config.path).ok().map(|m| m.len())
        }
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let this = *self;
        crate::run_blocking(this.config.name.clone(), move || this.read_all(ctx)).await
    }
}

impl NdjsonSource {
    fn read_all(self, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let name = self.config.name.clone();
        let io = |what: String, error| SourceError::Io { source_name: name.clone(), what, error };
        let display = self.config.path.display().to_string();
        let (mut reader, mut offset, mut line_no): (Box<dyn BufRead>, u64, u64) = if self.is_stdin() {
            (Box::new(BufReader::with_capacity(1 << 20, std::io::stdin())), 0, 0)
        } else {
            let mut file = File::open(&self.config.path).map_err(|e| io(display.clone(), e))?;
            let (offset, line) = match &ctx.resume {
                Some(c) => parse_cursor(&name, c)?,
                None => (0, 0),
            };
            let len = file.metadata().map_err(|e| io(display.clone(), e))?.len();
            if offset > len {
                return Err(SourceError::Cursor {
                    source_name: name,
                    cursor: format!("{offset}:{line}"),
                    message: format!("{display} is only {len} bytes long: was it replaced?"),
                });
            }
            file.seek(SeekFrom::Start(offset)).map_err(|e| io(display.clone(), e))?;
            ctx.progress.store(offset, Ordering::Relaxed);
            if offset > 0 {
                tracing::info!(source = %name, offset, line, "resuming");
            }
            (Box::new(BufReader::with_capacity(1 << 20, file)), offset, line)
        };
        let resumable = !self.is_stdin();
        let workspace = self.config.workspace.clone();
        let mut buf = Vec::with_capacity(4096);
        let mut records = Vec::with_capacity(ctx.batch_size);
        loop {
            if ctx.cancel.is_cancelled() {
                return Ok(SourceEnd::Cancelled);
            }
            let read = read_line(&mut reader, &mut buf, MAX_LINE_BYTES).map_err(|e| io(display.clone(), e))?;
            let end = read.consumed == 0;
            if !end {
                offset += read.consumed as u64;
                line_no += 1;
                ctx.progress.fetch_add(read.consumed as u64, Ordering::Relaxed);
                let origin = || Origin { source: name.clone(), location: format!("{display} line {line_no}") };
                if let Some(r) = parse_line(&buf, line_no, read.too_long, origin, workspace.as_deref()) {
                    records.push(r);
                }
            }
            if records.len() >= ctx.batch_size || (end && !records.is_empty()) {
                metrics::observe(&name, &records);
                let cursor = resumable.then(|| format!("{offset}:{line_no}"));
                let batch = Batch::new(name.as_str(), std::mem::take(&mut records), cursor);
                if ctx.out.blocking_send(batch).is_err() {
                    return Ok(SourceEnd::Cancelled);
                }
            }
            if end {
                return Ok(SourceEnd::Exhausted);
            }
        }
    }
}
