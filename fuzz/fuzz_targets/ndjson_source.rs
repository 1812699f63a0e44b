//! The NDJSON file source over arbitrary bytes: every line becomes a mention or a dead letter.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use veille_bus::Record;

const SOURCE: &str = "[[sources]]\nkind = \"ndjson\"\nname = \"fuzz\"\npath = {path}\n";

fuzz_target!(|data: &[u8]| {
    let Ok(mut file) = tempfile::NamedTempFile::new() else { return };
    if file.write_all(data).and_then(|()| file.flush()).is_err() {
        return;
    }
    let records = veille_fuzz::run_source(SOURCE, file.path());
    let lines = data.split(|&b| b == b'\n').count();
    assert!(records.len() <= lines, "{} records from {lines} lines", records.len());
    for r in &records {
        if let Record::Mention(m) = r {
            assert!(m.validate().is_ok(), "the source sent an invalid mention");
        }
    }
});
