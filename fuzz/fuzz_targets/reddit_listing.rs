//! Reddit listing pages: any text gives things or a reason, and every mention is valid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veille_sources::payload::reddit::Listing;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let listing = match Listing::parse(text) {
        Ok(l) => l,
        Err(e) => return assert!(!e.reason().is_empty(), "a refusal says why"),
    };
    let (things, _after) = listing.into_parts();
    for thing in things {
        let (fullname, _created, _raw) = (thing.fullname().to_string(), thing.created_utc(), thing.raw());
        match thing.into_mention(Some("fuzz")) {
            Ok(m) => {
                veille_fuzz::check_mention(&m, "fuzz");
                assert_eq!(m.native_id(), fullname, "a thing is known by its fullname");
            }
            Err(e) => assert!(!e.reason().is_empty(), "a refusal says why"),
        }
    }
});
