//! Time parameters, absolute and relative (`2026-01-02T03:04:05Z`, `now-15m`, Unix seconds):
//! parsing never panics, an accepted time is one the index can hold, and an absolute one
//! survives a round trip through RFC 3339.
#![no_main]

use chrono::{SecondsFormat, TimeZone, Utc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).single().unwrap_or_default();
    if let Ok(t) = veille_model::parse_time_param(text, now) {
        assert!(veille_model::is_storable(t), "`{text}` gave {t}, which the index cannot hold");
    }
    if let Ok(t) = veille_model::parse_timestamp(text) {
        if veille_model::is_storable(t) {
            let written = t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
            assert_eq!(veille_model::parse_timestamp(&written).ok(), Some(t), "`{text}` → `{written}`");
        }
    }
});
