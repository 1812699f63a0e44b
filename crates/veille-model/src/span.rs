//! Lengths of time as queries and the command line write them: `90s`, `15m`, `24h`, `7d`, `2w`.

use std::fmt;
use std::str::FromStr;

use chrono::TimeDelta;

/// A positive length of time written as a whole number and a unit (`s`, `m`, `h`, `d` or `w`),
/// the one grammar of windows (`window=24h`), bucket widths (`interval=5m`) and relative times
/// (`now-7d`).
///
/// ```
/// use chrono::TimeDelta;
/// use veille_model::Span;
/// assert_eq!(Span::parse("15m").unwrap().delta(), TimeDelta::minutes(15));
/// assert!(Span::parse("1.5h").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span(TimeDelta);

/// Why a length of time was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a length of time: expected a positive whole number and a unit among s, m, h, d, w (e.g. 15m, 24h, 7d)")]
pub struct SpanError(pub String);

/// Most digits a span's number may have (a billion weeks is already beyond any time stored).
const MAX_DIGITS: usize = 9;

impl Span {
    /// Reads `text` (surrounding blanks are ignored).
    pub fn parse(text: &str) -> Result<Span, SpanError> {
        let bad = || SpanError(text.to_string());
        let t = text.trim();
        let unit_at = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (digits, unit) = t.split_at(unit_at);
        if digits.is_empty() || digits.len() > MAX_DIGITS {
            return Err(bad());
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        let delta = match unit {
            "s" => TimeDelta::try_seconds(n),
            "m" => TimeDelta::try_minutes(n),
            "h" => TimeDelta::try_hours(n),
            "d" => TimeDelta::try_days(n),
            "w" => TimeDelta::try_weeks(n),
            _ => None,
        };
        delta.filter(|d| *d > TimeDelta::zero()).map(Span).ok_or_else(bad)
    }

    /// The length.
    pub fn delta(self) -> TimeDelta {
        self.0
    }
}

impl FromStr for Span {
    type Err = SpanError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Span {
    /// The span in its largest whole unit (`90s`, `2h`, `7d` as `1w`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.num_seconds();
        let (n, unit) = [(604_800, "w"), (86_400, "d"), (3_600, "h"), (60, "m")]
            .into_iter()
            .find(|(size, _)| s % size == 0)
            .map_or((s, "s"), |(size, unit)| (s / size, unit));
        write!(f, "{n}{unit}")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_number_and_a_unit() {
        assert_eq!(Span::parse("24h").unwrap().delta(), TimeDelta::hours(24));
        assert_eq!(Span::parse(" 15m ").unwrap().delta(), TimeDelta::minutes(15));
        assert_eq!(Span::parse("2w").unwrap().delta(), TimeDelta::weeks(2));
        assert_eq!(Span::parse("90s").unwrap().delta(), TimeDelta::seconds(90));
        for bad in ["", "h", "24", "0h", "-1h", "1.5h", "3y", "1 h", "99999999999999999999d", "1000000000s"] {
            let e = Span::parse(bad).unwrap_err();
            assert!(e.to_string().contains("a unit among s, m, h, d, w"), "{bad}: {e}");
        }
    }

    proptest! {
        #[test]
        fn what_is_displayed_reads_back(n in 1i64..1_000_000, unit in prop::sample::select(vec!["s", "m", "h", "d", "w"])) {
            let span = Span::parse(&format!("{n}{unit}")).unwrap();
            prop_assert_eq!(Span::parse(&span.to_string()).unwrap(), span);
        }

        #[test]
        fn any_text_is_read_or_refused_without_panicking(text in "\\PC{0,12}") {
            let _ = Span::parse(&text);
        }
    }
}
