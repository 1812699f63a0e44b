//! RSS and Atom documents: any bytes give entries or a reason, and every mention is valid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veille_sources::payload::rss::Feed;

fuzz_target!(|data: &[u8]| {
    let feed = match Feed::parse(data) {
        Ok(f) => f,
        Err(e) => return assert!(!e.reason().is_empty(), "a refusal says why"),
    };
    for entry in feed.entries() {
        assert_eq!(entry.id_hash().len(), 16);
        let _ = entry.original();
        match entry.to_mention("https://news.example/feed.xml", Some("fuzz")) {
            Ok(m) => veille_fuzz::check_mention(&m, "fuzz"),
            Err(e) => assert!(!e.reason().is_empty(), "a refusal says why"),
        }
    }
});
