//! Bluesky Jetstream frames: any text parses to an event or a reason, and every post it maps to is valid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veille_sources::payload::bluesky::Event;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let event = match Event::parse(text) {
        Ok(e) => e,
        Err(e) => return assert!(!e.reason().is_empty(), "a refusal says why"),
    };
    match event.into_mention(Some("fuzz")) {
        Ok(Some(m)) => veille_fuzz::check_mention(&m, "fuzz"),
        Ok(None) => {}
        Err(e) => assert!(!e.reason().is_empty(), "a refusal says why"),
    }
});
