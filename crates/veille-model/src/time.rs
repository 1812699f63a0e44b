use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

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
        let whole = secs.trunc() as i64;
        let nanos = ((secs - secs.trunc()) * 1e9).round() as u32;
        return Utc.timestamp_opt(whole, nanos.min(999_999_999)).single().ok_or_else(err);
    }
    Err(err())
}

/// Serde adapter: a timestamp string in any format [`parse_timestamp`] accepts,
/// serialised back as RFC 3339.
pub(crate) mod flexible {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::parse_timestamp(&s).map_err(serde::de::Error::custom)
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
            let s = <Option<std::borrow::Cow<'de, str>>>::deserialize(d)?;
            match s {
                None => Ok(None),
                Some(s) => crate::time::parse_timestamp(&s).map(Some).map_err(serde::de::Error::custom),
            }
        }
    }
}

#[cfg(test)]
mod tests {
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
}
