//! Mention JSON and NDJSON lines: parsing never panics, and what parses survives a round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veille_model::Mention;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(m) = Mention::from_json(text) {
        let again = Mention::from_json(&m.to_json());
        assert!(again.is_ok(), "a parsed mention must re-parse from its own JSON: {again:?}");
    }
    if let Ok(m) = Mention::from_ndjson_line(text, 1) {
        assert!(m.validate().is_ok(), "an accepted NDJSON line must give a valid mention");
    }
});
