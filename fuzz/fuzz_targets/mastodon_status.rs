//! Mastodon timeline pages and streamed statuses: any text gives statuses or reasons, and every mention is valid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veille_sources::payload::mastodon::{timeline_page, Status};

fn status(value: serde_json::Value) {
    let status = match Status::from_value(value) {
        Ok(s) => s,
        Err(e) => return assert!(!e.reason().is_empty(), "a refusal says why"),
    };
    let id = status.id().to_string();
    match status.into_mention("mastodon.example", Some("fuzz")) {
        Ok(m) => {
            veille_fuzz::check_mention(&m, "fuzz");
            assert_eq!(m.native_id(), format!("mastodon.example/{id}"), "the id names the server");
        }
        Err(e) => assert!(!e.reason().is_empty(), "a refusal says why"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // A REST page, then the same bytes as one event of the streaming API.
    if let Ok(page) = timeline_page(text) {
        page.into_iter().for_each(status);
    }
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        status(value);
    }
});
