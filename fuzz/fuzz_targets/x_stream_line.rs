//! X filtered-stream lines: any text is a post, an error report or a reason, and every mention is valid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veille_sources::payload::x::StreamLine;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match StreamLine::parse(&text) {
        Ok(StreamLine::Post(post)) => {
            let id = post.id().to_string();
            match post.into_mention(Some("fuzz")) {
                Ok(m) => {
                    veille_fuzz::check_mention(&m, "fuzz");
                    assert_eq!(m.native_id(), id, "a post is known by its id");
                }
                Err(e) => assert!(!e.reason().is_empty(), "a refusal says why"),
            }
        }
        Ok(StreamLine::Errors(_)) => {}
        Err(e) => assert!(!e.reason().is_empty(), "a refusal says why"),
    }
});
