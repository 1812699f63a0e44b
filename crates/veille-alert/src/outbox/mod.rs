//! A durable, bounded, ordered queue of notifications for one receiver.
//!
//! Records are appended to `<generation>.log` and fsync'd before
//! [`Outbox::push`] returns. The file `acked` holds the generation and the
//! offset up to which records were delivered; it is replaced atomically
//! (write, fsync, rename, fsync of the directory). Once delivered records
//! take a quarter of the size bound, the undelivered tail is copied into the
//! next generation's log, `acked` is pointed at it, and the old log is
//! removed: a crash at any step leaves either the old or the new generation
//! complete and named by `acked`.

pub(crate) mod codec;

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::OutboxError;
use codec::Decoded;

const ACKED: &str = "acked";
const ACKED_TMP: &str = "acked.tmp";

/// The outbox of one receiver.
#[derive(Debug)]
pub(crate) struct Outbox {
    dir: PathBuf,
    generation: u64,
    log: File,
    /// Bytes in the current log.
    len: u64,
    /// Offset in the current log up to which records were delivered.
    acked: u64,
    /// Undelivered payloads, oldest first, with their encoded size.
    pending: VecDeque<(u64, Vec<u8>)>,
    max_bytes: u64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutboxError + '_ {
    move |source| OutboxError::Io { path: path.to_path_buf(), source }
}

fn log_name(generation: u64) -> String {
    format!("{generation:016x}.log")
}

fn sync_dir(dir: &Path) -> Result<(), OutboxError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

impl Outbox {
    /// Opens (or creates) the outbox in `dir`, reloading undelivered records.
    pub(crate) fn open(dir: &Path, max_bytes: u64) -> Result<Outbox, OutboxError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        let (generation, acked) = read_acked(dir)?;
        let log_path = dir.join(log_name(generation));
        // Only the generation `acked` names is live: others are leftovers of
        // an interrupted or finished compaction.
        for entry in fs::read_dir(dir).map_err(io(dir))? {
            let entry = entry.map_err(io(dir))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".log") && name != log_name(generation) {
                fs::remove_file(entry.path()).map_err(io(&entry.path()))?;
            }
        }
        let mut log = OpenOptions::new().read(true).append(true).create(true).open(&log_path).map_err(io(&log_path))?;
        let mut bytes = Vec::new();
        log.read_to_end(&mut bytes).map_err(io(&log_path))?;
        let start = usize::try_from(acked).unwrap_or(usize::MAX);
        if start > bytes.len() {
            return Err(OutboxError::Corrupt {
                path: log_path,
                offset: acked,
                reason: "the delivered offset is past the end of the log",
            });
        }
        let mut pending = VecDeque::new();
        let mut at = start;
        loop {
            match codec::decode(&bytes[at..]) {
                Decoded::Record { payload, size } => {
                    pending.push_back((size as u64, payload.to_vec()));
                    at += size;
                }
                Decoded::Incomplete => break,
                Decoded::Corrupt(reason) => {
                    return Err(OutboxError::Corrupt { path: log_path, offset: at as u64, reason });
                }
            }
        }
        if at < bytes.len() {
            // A torn append (the process died before its fsync returned, so
            // nobody was told it was stored): drop it.
            log.set_len(at as u64).map_err(io(&log_path))?;
            log.sync_all().map_err(io(&log_path))?;
        }
        Ok(Outbox { dir: dir.to_path_buf(), generation, log, len: at as u64, acked, pending, max_bytes })
    }

    /// Appends a record and makes it durable; refuses it when the undelivered
    /// records would exceed the size bound.
    pub(crate) fn push(&mut self, payload: &[u8]) -> Result<(), OutboxError> {
        let size = codec::encoded_len(payload.len()) as u64;
        if payload.len() > codec::MAX_PAYLOAD || self.bytes() + size > self.max_bytes {
            return Err(OutboxError::Full { undelivered: self.bytes(), record: size, max_bytes: self.max_bytes });
        }
        let mut buf = Vec::with_capacity(size as usize);
        codec::encode(payload, &mut buf);
        let path = self.log_path();
        let written = self.log.write_all(&buf).and_then(|()| self.log.sync_data());
        if let Err(source) = written {
            // Leave no partial record behind a failed append.
            let _ = self.log.set_len(self.len);
            return Err(OutboxError::Io { path, source });
        }
        self.len += size;
        self.pending.push_back((size, payload.to_vec()));
        Ok(())
    }

    /// The oldest undelivered record.
    pub(crate) fn front(&self) -> Option<&[u8]> {
        self.pending.front().map(|(_, p)| p.as_slice())
    }

    /// Marks the oldest undelivered record delivered, durably.
    pub(crate) fn ack_front(&mut self) -> Result<(), OutboxError> {
        let Some((size, _)) = self.pending.pop_front() else { return Ok(()) };
        self.acked += size;
        let threshold = (self.max_bytes / 4).clamp(4096, 1024 * 1024);
        if self.acked >= threshold || (self.pending.is_empty() && self.acked >= 4096) {
            self.compact()
        } else {
            write_acked(&self.dir, self.generation, self.acked)
        }
    }

    /// Undelivered records.
    pub(crate) fn depth(&self) -> usize {
        self.pending.len()
    }

    /// Bytes of undelivered records.
    pub(crate) fn bytes(&self) -> u64 {
        self.len - self.acked
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join(log_name(self.generation))
    }

    /// Moves the undelivered records into the next generation's log.
    fn compact(&mut self) -> Result<(), OutboxError> {
        let next = self.generation + 1;
        let path = self.dir.join(log_name(next));
        let mut buf = Vec::with_capacity(self.bytes() as usize);
        for (_, payload) in &self.pending {
            codec::encode(payload, &mut buf);
        }
        let mut log =
            OpenOptions::new().read(true).append(true).create(true).truncate(false).open(&path).map_err(io(&path))?;
        log.set_len(0).map_err(io(&path))?;
        log.write_all(&buf).and_then(|()| log.sync_all()).map_err(io(&path))?;
        sync_dir(&self.dir)?;
        write_acked(&self.dir, next, 0)?;
        let old = self.log_path();
        fs::remove_file(&old).map_err(io(&old))?;
        self.generation = next;
        self.log = log;
        self.len = buf.len() as u64;
        self.acked = 0;
        Ok(())
    }
}

fn read_acked(dir: &Path) -> Result<(u64, u64), OutboxError> {
    let path = dir.join(ACKED);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
        Err(source) => return Err(OutboxError::Io { path, source }),
    };
    let corrupt = |path: PathBuf| OutboxError::Corrupt { path, offset: 0, reason: "unreadable delivered offset" };
    let (data, crc) = bytes.split_at_checked(16).ok_or_else(|| corrupt(path.clone()))?;
    let crc: [u8; 4] = crc.try_into().map_err(|_| corrupt(path.clone()))?;
    if crc32fast::hash(data) != u32::from_le_bytes(crc) {
        return Err(corrupt(path));
    }
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&data[at..at + 8]);
        u64::from_le_bytes(w)
    };
    Ok((word(0), word(8)))
}

fn write_acked(dir: &Path, generation: u64, offset: u64) -> Result<(), OutboxError> {
    let mut data = Vec::with_capacity(20);
    data.extend_from_slice(&generation.to_le_bytes());
    data.extend_from_slice(&offset.to_le_bytes());
    data.extend_from_slice(&crc32fast::hash(&data).to_le_bytes());
    let tmp = dir.join(ACKED_TMP);
    let mut f = File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(&data).and_then(|()| f.sync_all()).map_err(io(&tmp))?;
    let path = dir.join(ACKED);
    fs::rename(&tmp, &path).map_err(io(&path))?;
    sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(i: usize) -> Vec<u8> {
        format!("{{\"notice\":{i},\"pad\":\"{}\"}}", "x".repeat(i % 50)).into_bytes()
    }

    #[test]
    fn undelivered_records_survive_a_reopen_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut ob = Outbox::open(dir.path(), 1 << 20).unwrap();
        for i in 0..10 {
            ob.push(&payload(i)).unwrap();
        }
        for _ in 0..4 {
            ob.ack_front().unwrap();
        }
        drop(ob);
        let mut ob = Outbox::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(ob.depth(), 6);
        for i in 4..10 {
            assert_eq!(ob.front(), Some(&payload(i)[..]));
            ob.ack_front().unwrap();
        }
        assert_eq!(ob.front(), None);
    }

    #[test]
    fn compaction_keeps_the_tail_and_bounds_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut ob = Outbox::open(dir.path(), 16 * 1024).unwrap();
        let mut next_out = 0;
        for i in 0..300 {
            ob.push(&payload(i)).unwrap();
            if i % 3 != 0 {
                assert_eq!(ob.front(), Some(&payload(next_out)[..]));
                ob.ack_front().unwrap();
                next_out += 1;
            }
            assert!(ob.len <= 16 * 1024 + 4096, "log of {} bytes", ob.len);
            if ob.bytes() > 12 * 1024 {
                while ob.front().is_some() {
                    ob.ack_front().unwrap();
                    next_out += 1;
                }
            }
        }
        let logs = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".log"));
        assert_eq!(logs.count(), 1, "old generations are removed");
        let depth = ob.depth();
        drop(ob);
        let ob = Outbox::open(dir.path(), 16 * 1024).unwrap();
        assert_eq!(ob.depth(), depth);
        assert_eq!(ob.front(), Some(&payload(next_out)[..]));
    }

    #[test]
    fn a_full_outbox_refuses_instead_of_dropping() {
        let dir = tempfile::tempdir().unwrap();
        let mut ob = Outbox::open(dir.path(), 4096).unwrap();
        let big = vec![b'a'; 1000];
        for _ in 0..4 {
            ob.push(&big).unwrap();
        }
        let e = ob.push(&big).unwrap_err();
        assert!(matches!(e, OutboxError::Full { .. }), "{e}");
        assert_eq!(ob.depth(), 4);
        ob.ack_front().unwrap();
        ob.push(&big).unwrap();
    }

    #[test]
    fn a_torn_append_is_dropped_and_earlier_records_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut ob = Outbox::open(dir.path(), 1 << 20).unwrap();
        ob.push(b"one").unwrap();
        ob.push(b"two").unwrap();
        let log = ob.log_path();
        drop(ob);
        let mut f = OpenOptions::new().append(true).open(&log).unwrap();
        let mut torn = Vec::new();
        codec::encode(b"three", &mut torn);
        f.write_all(&torn[..torn.len() - 2]).unwrap();
        drop(f);
        let mut ob = Outbox::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(ob.depth(), 2);
        ob.push(b"four").unwrap();
        drop(ob);
        let mut ob = Outbox::open(dir.path(), 1 << 20).unwrap();
        let mut seen = Vec::new();
        while let Some(p) = ob.front() {
            seen.push(String::from_utf8(p.to_vec()).unwrap());
            ob.ack_front().unwrap();
        }
        assert_eq!(seen, ["one", "two", "four"]);
    }

    #[test]
    fn a_damaged_record_is_an_error_naming_the_file_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let mut ob = Outbox::open(dir.path(), 1 << 20).unwrap();
        ob.push(b"first").unwrap();
        ob.push(b"second").unwrap();
        let log = ob.log_path();
        drop(ob);
        let mut bytes = fs::read(&log).unwrap();
        let at = codec::encoded_len(5) + codec::HEADER_LEN + 1;
        bytes[at] ^= 0x20;
        fs::write(&log, bytes).unwrap();
        let e = Outbox::open(dir.path(), 1 << 20).unwrap_err();
        match e {
            OutboxError::Corrupt { path, offset, .. } => {
                assert_eq!(path, log);
                assert_eq!(offset, codec::encoded_len(5) as u64);
            }
            other => panic!("{other}"),
        }
    }
}
