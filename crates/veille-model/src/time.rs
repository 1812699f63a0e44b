use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

/// 2199-12-31T23:59:59Z in Unix seconds: the latest publication or arrival time veille stores.
///
/// The index keeps times as signed 64-bit nanoseconds, which end in April 2262; a later time
/// would wrap around to 1677. A post dated after 2199 comes from a wrong unit or a broken feed,
/// so it is refused with its reason instead of being stored somewhere else in time.
pub const LATEST_SECOND: i64 = 7_258_118_399;

/// Whether `t` lies in the range veille stores: from 1970-01-01 to [`LATEST_SECOND`] included.
pub fn is_storable(t: DateTime<Utc>) -> bool {
    (0..=LATEST_SECOND).contains(&t.timestamp())
}

/// A timestamp in none of the accepted formats.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a timestamp (expected RFC 3339 like 2026-01-02T03:04:05Z, `2015-02-24 11:35:52 -0800`, RFC 2822, or Unix seconds)")]
pub struct TimestampError(pub String);

/// Parses the timestamp formats platforms and exports use, into UTC.
///
/// Accepted: RFC 3339 (`2026-01-02T03:04:05.123+01:00`), `YYYY-MM-DD HH:MM:SS ±HHMM`,
/// `YYYY-MM-DD HH:MM:SS` and `YYYY-MM-DDTHH:MM:SS` (taken as UTC), RFC 2822
/// (`Tue, 24 Feb 2015 11:35:52 -0800`), the classic Twitter form
/// (`Tue Feb 24 11:35:52 +0000 2015`), and Unix time in seconds, with an
/// optional fraction.
///
/// ```
/// let t = veille_model::parse_timestamp("2015-02-24 11:35:52 -0800").unwrap();
/// assert_eq!(t.to_rfc3339(), "2015-02-24T19:35:52+00:00");
/// ```
pub fn parse_timestamp(input: &str) -> Result<DateTime<Utc>, TimestampError> {
    let s = input.trim();
    let err = || TimestampError(input.to_string());
    if s.is_empty() {
        return Err(err());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S%.f %z", "%a %b %d %H:%M:%S %z %Y"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Ok(t.with_timezone(&Utc));
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(Utc.from_utc_datetime(&t));
        }
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') && s.bytes().filter(|&b| b == b'.').count() <= 1 {
        let secs: f64 = s.parse().map_err(|_| err())?;
        return from_unix_seconds(secs).ok_or_else(err);
    }
    Err(err())
}

/// A time parameter that is neither a timestamp nor a relative time veille reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeParamError {
    /// Not a timestamp in any accepted format, nor `now` / `now-SPAN`.
    #[error("`{0}` is not a time: expected a timestamp (RFC 3339 like 2026-01-02T03:04:05Z, RFC 2822, Unix seconds) or now, now-15m, now-24h, now-7d")]
    Unreadable(String),
    /// A relative time that reaches outside the times veille stores.
    #[error("`{0}` is outside the times veille stores (1970-01-01 to 2199-12-31)")]
    OutOfRange(String),
}

/// Parses a time parameter as the API and the command line take it: any timestamp
/// [`parse_timestamp`] reads, `now`, or `now-` followed by a [`Span`](crate::Span) (`now-15m`,
/// `now-24h`, `now-2w`), relative to `now`. A relative time that falls outside the storable
/// range is refused rather than wrapped.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
/// let t = veille_model::parse_time_param("now-36h", now).unwrap();
/// assert_eq!(t, Utc.with_ymd_and_hms(2026, 2, 28, 0, 0, 0).unwrap());
/// assert!(veille_model::parse_time_param("now--5d", now).is_err());
/// assert!(veille_model::parse_time_param("now-99999999999d", now).is_err());
/// ```
pub fn parse_time_param(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, TimeParamError> {
    let s = input.trim();
    let unreadable = || TimeParamError::Unreadable(input.to_string());
    let Some(rest) = s.strip_prefix("now") else {
        let t = parse_timestamp(s).map_err(|_| unreadable())?;
        return if is_storable(t) { Ok(t) } else { Err(TimeParamError::OutOfRange(input.to_string())) };
    };
    if rest.is_empty() {
        return Ok(now);
    }
    let amount = rest.strip_prefix('-').ok_or_else(unreadable)?;
    let ago = crate::Span::parse(amount).map_err(|_| unreadable())?.delta();
    let out_of_range = || TimeParamError::OutOfRange(input.to_string());
    let t = now.checked_sub_signed(ago).ok_or_else(out_of_range)?;
    if is_storable(t) {
        Ok(t)
    } else {
        Err(out_of_range())
    }
}

/// Unix seconds (integer or fraction) as a UTC time.
fn from_unix_seconds(secs: f64) -> Option<DateTime<Utc>> {
    if !secs.is_finite() || secs.abs() > 1e15 {
        return None;
    }
    let whole = secs.floor() as i64;
    let nanos = ((secs - secs.floor()) * 1e9).round() as u32;
    Utc.timestamp_opt(whole, nanos.min(999_999_999)).single()
}

/// Serde adapter: a timestamp string in any format [`parse_timestamp`] accepts,
/// serialised back as RFC 3339.
pub(crate) mod flexible {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    /// A time as JSON gives it: a string in any accepted format, or a number of Unix seconds.
    #[derive(Deserialize)]
    #[serde(untagged, expecting = "a timestamp string or a number of Unix seconds")]
    pub(crate) enum Written<'a> {
        Text(#[serde(borrow)] std::borrow::Cow<'a, str>),
        Seconds(f64),
    }

    impl Written<'_> {
        pub(crate) fn parse(&self) -> Result<DateTime<Utc>, super::TimestampError> {
            match self {
                Written::Text(s) => super::parse_timestamp(s),
                Written::Seconds(n) => super::from_unix_seconds(*n).ok_or_else(|| super::TimestampError(n.to_string())),
            }
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        Written::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }

    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
            match <Option<super::Written<'de>>>::deserialize(d)? {
                None => Ok(None),
                Some(w) => w.parse().map(Some).map_err(serde::de::Error::custom),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn accepts_the_formats_platforms_use() {
        let want = "2015-02-24T19:35:52+00:00";
        for s in [
            "2015-02-24T19:35:52Z",
            "2015-02-24T11:35:52-08:00",
            "2015-02-24 11:35:52 -0800",
            "2015-02-24 19:35:52",
            "Tue, 24 Feb 2015 11:35:52 -0800",
            "Tue Feb 24 19:35:52 +0000 2015",
            "1424806552",
        ] {
            assert_eq!(parse_timestamp(s).unwrap().to_rfc3339(), want, "{s}");
        }
        assert!(parse_timestamp("").is_err());
        assert!(parse_timestamp("[0.0, 0.0]").is_err());
        assert!(parse_timestamp("yesterday").is_err());
    }

    #[test]
    fn relative_times_are_checked_not_wrapped() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        assert_eq!(parse_time_param("now", now).unwrap(), now);
        assert_eq!(parse_time_param(" now-15m ", now).unwrap(), now - TimeDelta::minutes(15));
        assert_eq!(parse_time_param("now-7d", now).unwrap(), now - TimeDelta::days(7));
        assert_eq!(parse_time_param("now-2w", now).unwrap(), now - TimeDelta::weeks(2));
        // The probe's inputs: an overflow that panicked, a double minus read as the future.
        for bad in ["now-99999999999d", "now-9999999999999999999s"] {
            assert!(matches!(parse_time_param(bad, now), Err(TimeParamError::Unreadable(_))), "{bad}");
        }
        assert!(matches!(parse_time_param("now-999999999d", now), Err(TimeParamError::OutOfRange(_))));
        for bad in ["now--5d", "now-+5d", "now-5", "now-d", "now-5y", "now+5d", "now-1.5h", "now-٣d", "nowhere"] {
            assert!(matches!(parse_time_param(bad, now), Err(TimeParamError::Unreadable(_))), "{bad}");
        }
        assert!(matches!(parse_time_param("9999-01-01T00:00:00Z", now), Err(TimeParamError::OutOfRange(_))));
        assert!(parse_time_param("2015-02-24T19:35:52Z", now).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn any_time_parameter_parses_or_is_refused_without_panicking(s in "\\PC{0,40}") {
            let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
            if let Ok(t) = parse_time_param(&s, now) {
                proptest::prop_assert!(is_storable(t) || s.trim() == "now");
            }
            let _ = parse_timestamp(&s);
        }

        #[test]
        fn a_relative_time_is_exactly_that_far_back(n in 0i64..100_000, unit in 0usize..4) {
            let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
            let (u, secs) = [("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400)][unit];
            let got = parse_time_param(&format!("now-{n}{u}"), now);
            let want = now - TimeDelta::seconds(n * secs);
            if is_storable(want) {
                proptest::prop_assert_eq!(got.ok(), Some(want));
            } else {
                proptest::prop_assert!(matches!(got, Err(TimeParamError::OutOfRange(_))));
            }
        }
    }
}
