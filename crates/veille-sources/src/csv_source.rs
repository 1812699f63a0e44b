//! `kind = "csv"`: rows of a CSV export mapped to mentions.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::atomic::Ordering;

use encoding_rs::Encoding;
use veille_bus::{Batch, Record};
use veille_config::CsvSource as CsvConfig;
use veille_model::{parse_timestamp, Author, DeadLetter, Mention, Origin};

use crate::{metrics, Source, SourceContext, SourceEnd, SourceError, MAX_LINE_BYTES};

/// An input opened where reading starts: the reader, the header, and the (byte, line, rows)
/// consumed before the reader's own position.
type Opened = (csv::Reader<Box<dyn Read>>, Vec<String>, (u64, u64, u64));

/// Reads a CSV export whose header names the columns of `map`.
#[derive(Debug, Clone)]
pub struct CsvFileSource {
    config: CsvConfig,
    encoding: &'static Encoding,
}

/// Column indices of each mapped field, resolved against the header.
struct Columns {
    header_len: usize,
    fields: BTreeMap<String, usize>,
}

impl Columns {
    fn get<'r>(&self, field: &str, row: &'r [String]) -> Option<&'r str> {
        self.fields.get(field).and_then(|&i| row.get(i)).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
}

impl CsvFileSource {
    /// A source reading `config.path`; fails on an unknown encoding.
    pub fn new(config: CsvConfig) -> Result<Self, SourceError> {
        let encoding = Encoding::for_label(config.encoding.as_bytes()).ok_or_else(|| SourceError::Config {
            source_name: config.name.clone(),
            message: format!("unknown encoding `{}` (try utf-8, windows-1252, iso-8859-1, utf-16le)", config.encoding),
        })?;
        Ok(CsvFileSource { config, encoding })
    }

    fn resolve(&self, header: &[String]) -> Result<Columns, SourceError> {
        let mut fields = BTreeMap::new();
        for (field, column) in &self.config.map {
            let i = header.iter().position(|h| h.trim() == column.trim()).ok_or_else(|| SourceError::Config {
                source_name: self.config.name.clone(),
                message: format!(
                    "column `{column}` (mapped to `{field}`) is not in the header; columns are: {}",
                    header.join(", ")
                ),
            })?;
            fields.insert(field.clone(), i);
        }
        Ok(Columns { header_len: header.len(), fields })
    }

    fn decode(&self, field: &[u8]) -> Result<String, String> {
        if self.encoding == encoding_rs::UTF_8 {
            let s = std::str::from_utf8(field).map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?;
            Ok(s.strip_prefix('\u{feff}').unwrap_or(s).to_string())
        } else {
            let (s, had_errors) = self.encoding.decode_without_bom_handling(field);
            if had_errors {
                return Err(format!("bytes that are not {}", self.encoding.name()));
            }
            Ok(s.into_owned())
        }
    }

    fn to_mention(&self, cols: &Columns, row: &[String]) -> Result<Mention, String> {
        if row.len() != cols.header_len {
            return Err(format!("has {} fields, the header has {}", row.len(), cols.header_len));
        }
        let required = |field: &str| {
            cols.get(field, row).ok_or_else(|| format!("column `{}` (for `{field}`) is empty", self.config.map[field]))
        };
        let number = |field: &str| -> Result<u64, String> {
            match cols.get(field, row) {
                None => Ok(0),
                Some(v) => v
                    .parse::<u64>()
                    .or_else(|_| {
                        v.parse::<f64>().ok().filter(|f| *f >= 0.0 && f.fract() == 0.0).map(|f| f as u64).ok_or(())
                    })
                    .map_err(|_| {
                        format!("column `{}` (for `{field}`): `{v}` is not a whole number", self.config.map[field])
                    }),
            }
        };
        let id = required("id")?;
        let created_raw = required("created_at")?;
        let created_at = parse_timestamp(created_raw)
            .map_err(|e| format!("column `{}` (for `created_at`): {e}", self.config.map["created_at"]))?;
        let author = Author {
            id: cols.get("author_id", row).map(str::to_string),
            handle: cols.get("author", row).unwrap_or_default().to_string(),
            display_name: cols.get("author_name", row).map(str::to_string),
            followers: if cols.fields.contains_key("followers") { Some(number("followers")?) } else { None },
        };
        let text = cols.fields.get("text").and_then(|&i| row.get(i)).cloned().unwrap_or_default();
        let mut m = Mention::new(self.config.platform, id, text, created_at, author);
        m.lang = cols.get("lang", row).map(|l| l.to_string().into());
        m.url = cols.get("url", row).map(str::to_string);
        m.title = cols.get("title", row).map(str::to_string);
        m.engagement.likes = number("likes")?;
        m.engagement.reposts = number("reposts")?;
        m.engagement.replies = number("replies")?;
        m.engagement.quotes = number("quotes")?;
        if let Some(ws) = self.config.workspace.as_deref().or(cols.get("workspace", row)) {
            m.workspace = ws.to_string();
        }
        for (field, &i) in &cols.fields {
            if let (Some(name), Some(v)) = (field.strip_prefix("attr."), row.get(i)) {
                if !v.trim().is_empty() {
                    m.attributes.insert(name.to_string(), v.trim().to_string());
                }
            }
        }
        m.normalize_and_validate().map_err(|e| e.to_string())?;
        Ok(m)
    }

    fn builder(&self, has_headers: bool) -> csv::ReaderBuilder {
        let mut b = csv::ReaderBuilder::new();
        b.delimiter(self.config.delimiter as u8).flexible(true).has_headers(has_headers).buffer_capacity(1 << 20);
        b
    }

    fn io_error(&self, error: std::io::Error) -> SourceError {
        SourceError::Io { source_name: self.config.name.clone(), what: self.config.path.display().to_string(), error }
    }

    /// The header row, decoded.
    fn header(&self, reader: &mut csv::Reader<impl Read>) -> Result<Vec<String>, SourceError> {
        let h = reader.byte_headers().map_err(|e| SourceError::Config {
            source_name: self.config.name.clone(),
            message: format!("cannot read the header of {}: {e}", self.config.path.display()),
        })?;
        Ok(h.iter().map(|f| self.decode(f).unwrap_or_else(|_| String::from_utf8_lossy(f).into_owned())).collect())
    }

    /// Opens the input at the start, or where `cursor` (`byte:line:row`) says; returns the
    /// reader, the header, and the (byte, line, rows) consumed before the reader's position.
    fn open(&self, ctx: &SourceContext) -> Result<Opened, SourceError> {
        let stdin = self.config.path == Path::new("-");
        let Some(cursor) = ctx.resume.as_ref().filter(|_| !stdin) else {
            let input: Box<dyn Read> = if stdin {
                Box::new(std::io::stdin())
            } else {
                Box::new(File::open(&self.config.path).map_err(|e| self.io_error(e))?)
            };
            let mut reader =
                self.builder(true).from_reader(Box::new(BufReader::with_capacity(1 << 20, input)) as Box<dyn Read>);
            let header = self.header(&mut reader)?;
            return Ok((reader, header, (0, 0, 0)));
        };
        let name = &self.config.name;
        let bad = |message: String| SourceError::Cursor { source_name: name.clone(), cursor: cursor.clone(), message };
        let parts: Vec<u64> = cursor
            .split(':')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| bad("expected `byte:line:row`".into()))?;
        let [byte, line, row] = parts[..] else {
            return Err(bad("expected `byte:line:row`".into()));
        };
        let file = || File::open(&self.config.path).map_err(|e| self.io_error(e));
        let header = self.header(&mut self.builder(true).from_reader(file()?))?;
        let mut file = file()?;
        let len = file.metadata().map_err(|e| self.io_error(e))?.len();
        if byte > len {
            return Err(bad(format!("{} is only {len} bytes long: was it replaced?", self.config.path.display())));
        }
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(byte)).map_err(|e| self.io_error(e))?;
        ctx.progress.store(byte, Ordering::Relaxed);
        tracing::info!(source = %name, byte, row, "resuming");
        let input: Box<dyn Read> = Box::new(BufReader::with_capacity(1 << 20, file));
        Ok((self.builder(false).from_reader(input), header, (byte, line.saturating_sub(1), row)))
    }

    /// The mention a row makes, or its dead letter naming the row, the line and the reason.
    fn record_of(
        &self,
        read: Result<bool, csv::Error>,
        record: &csv::ByteRecord,
        header: &[String],
        cols: &Columns,
        (row, line): (u64, u64),
    ) -> Record {
        let rec = match read {
            Err(e) => Err(format!("malformed CSV: {e}")),
            Ok(_) if record.as_slice().len() > MAX_LINE_BYTES => {
                Err(format!("row is longer than the limit of {MAX_LINE_BYTES} bytes"))
            }
            Ok(_) => record
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    self.decode(f).map_err(|e| format!("column `{}`: {e}", header.get(i).map_or("?", |h| h.as_str())))
                })
                .collect::<Result<Vec<String>, String>>()
                .and_then(|fields| self.to_mention(cols, &fields)),
        };
        match rec {
            Ok(m) => Record::Mention(Box::new(m)),
            Err(reason) => {
                let display = self.config.path.display();
                let origin =
                    Origin { source: self.config.name.clone(), location: format!("{display} row {row} (line {line})") };
                let mut w = csv::WriterBuilder::new().delimiter(self.config.delimiter as u8).from_writer(Vec::new());
                let _ = w.write_byte_record(record);
                let original = String::from_utf8_lossy(&w.into_inner().unwrap_or_default()).trim_end().to_string();
                Record::Dead(Box::new(DeadLetter::new(origin, format!("row {row} (line {line}): {reason}"), original)))
            }
        }
    }

    fn read_all(self, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let name = self.config.name.clone();
        let stdin = self.config.path == Path::new("-");
        let (mut reader, header, base) = self.open(&ctx)?;
        let cols = self.resolve(&header)?;
        let mut rows_done = base.2;
        let mut record = csv::ByteRecord::new();
        let mut records = Vec::with_capacity(ctx.batch_size);
        loop {
            if ctx.cancel.is_cancelled() {
                return Ok(SourceEnd::Cancelled);
            }
            let read = reader.read_byte_record(&mut record);
            let line = record.position().map_or(0, |p| p.line()) + base.1;
            let end = matches!(read, Ok(false));
            let (next_byte, next_line) = (reader.position().byte() + base.0, reader.position().line() + base.1);
            ctx.progress.store(next_byte, Ordering::Relaxed);
            if !end {
                rows_done += 1;
                records.push(self.record_of(read, &record, &header, &cols, (rows_done, line)));
            }
            if records.len() >= ctx.batch_size || (end && !records.is_empty()) {
                metrics::observe(&name, &records);
                let cursor = (!stdin).then(|| format!("{next_byte}:{next_line}:{rows_done}"));
                if ctx.out.blocking_send(Batch::new(name.as_str(), std::mem::take(&mut records), cursor)).is_err() {
                    return Ok(SourceEnd::Cancelled);
                }
            }
            if end {
                return Ok(SourceEnd::Exhausted);
            }
        }
    }
}

#[async_trait::async_trait]
impl Source for CsvFileSource {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn size_hint(&self) -> Option<u64> {
        std::fs::metadata(&self.config.path).ok().map(|m| m.len())
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let this = *self;
        crate::run_blocking(this.config.name.clone(), move || this.read_all(ctx)).await
    }
}
