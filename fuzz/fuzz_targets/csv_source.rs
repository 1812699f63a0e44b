//! The CSV import over arbitrary bytes, UTF-8 and windows-1252: rows become mentions or dead letters.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use veille_bus::Record;

const UTF8: &str = "[[sources]]\nkind = \"csv\"\nname = \"fuzz\"\npath = {path}\n\
    map = { id = \"id\", text = \"text\", created_at = \"date\", author = \"user\", followers = \"followers\", \"attr.tag\" = \"tag\" }\n";
const CP1252: &str =
    "[[sources]]\nkind = \"csv\"\nname = \"fuzz\"\npath = {path}\nencoding = \"windows-1252\"\ndelimiter = \";\"\n\
    map = { id = \"id\", text = \"text\", created_at = \"date\" }\n";

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let Ok(mut file) = tempfile::NamedTempFile::new() else { return };
    if file.write_all(body).and_then(|()| file.flush()).is_err() {
        return;
    }
    let source = if selector & 1 == 0 { UTF8 } else { CP1252 };
    for r in veille_fuzz::run_source(source, file.path()) {
        if let Record::Mention(m) = r {
            assert!(m.validate().is_ok(), "the source sent an invalid mention");
        }
    }
});
