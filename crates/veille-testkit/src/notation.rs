//! The compact notations of test files: durations (`2m`, `1d6h`) and
//! per-bucket series (`20x60 200x5 20x30`).

use chrono::Duration;

/// A series of per-bucket values written as runs: `20x60 200x5 20x30` is 60
/// buckets of 20, then 5 of 200, then 30 of 20. A run without `xN` is one
/// bucket. Values may be fractional (`0.1x60 0.7x5` for shares).
#[derive(Debug, Clone, PartialEq)]
pub struct Runs(Vec<(f64, u32)>);

/// Most buckets a series may span (a year of minutes): test streams are synthetic and small.
const MAX_BUCKETS: u64 = 366 * 1440;

impl Runs {
    /// Parses the run notation; the error says which run is wrong and why.
    pub fn parse(text: &str) -> Result<Runs, String> {
        let mut runs = Vec::new();
        let mut total = 0u64;
        for run in text.split_whitespace() {
            let (value, count) = match run.split_once(['x', 'X', '*']) {
                Some((v, n)) => (v, n),
                None => (run, "1"),
            };
            let value: f64 = value
                .parse()
                .map_err(|_| format!("`{run}`: `{value}` is not a number (write runs as VALUExBUCKETS, e.g. 20x60)"))?;
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!("`{run}`: the value must be zero or positive"));
            }
            let count: u32 =
                count.parse().map_err(|_| format!("`{run}`: `{count}` is not a whole number of buckets"))?;
            if count == 0 {
                return Err(format!("`{run}`: a run spans at least one bucket"));
            }
            total += u64::from(count);
            if total > MAX_BUCKETS {
                return Err(format!("the series spans more than {MAX_BUCKETS} buckets"));
            }
            runs.push((value, count));
        }
        if runs.is_empty() {
            return Err("is empty: write runs as VALUExBUCKETS, e.g. `20x60 200x5`".to_string());
        }
        Ok(Runs(runs))
    }

    /// A constant value for `buckets` buckets.
    pub fn constant(value: f64, buckets: u32) -> Runs {
        Runs(vec![(value, buckets.max(1))])
    }

    /// Number of buckets the series spans.
    pub fn len(&self) -> usize {
        self.0.iter().map(|&(_, n)| n as usize).sum()
    }

    /// Whether the series spans no bucket (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of bucket `i`, or `None` past the end.
    pub fn at(&self, mut i: usize) -> Option<f64> {
        for &(value, n) in &self.0 {
            if i < n as usize {
                return Some(value);
            }
            i -= n as usize;
        }
        None
    }

    /// Every bucket's value, in order.
    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.0.iter().flat_map(|&(v, n)| std::iter::repeat_n(v, n as usize))
    }
}

/// Parses a duration written as whole numbers with units: `90s`, `2m`,
/// `1h30m`, `1d6h`, `1w` (`0` alone is zero).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t == "0" {
        return Ok(Duration::zero());
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut any = false;
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            ' ' if digits.is_empty() => continue,
            _ => return Err(format!("`{text}`: unexpected `{c}` (write durations like 90s, 2m, 1h30m, 1d)")),
        };
        let n: i64 = digits.parse().map_err(|_| format!("`{text}`: a number must come before `{c}`"))?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .filter(|&s| s <= 366 * 86_400)
            .ok_or_else(|| format!("`{text}` is longer than a year"))?;
        any = true;
    }
    if !digits.is_empty() {
        return Err(format!("`{text}`: `{digits}` has no unit (s, m, h, d or w)"));
    }
    if !any {
        return Err(format!("`{text}` is not a duration (write 90s, 2m, 1h30m, 1d)"));
    }
    Ok(Duration::seconds(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn runs_expand_in_order() {
        let r = Runs::parse("20x3 200x2 5").unwrap();
        assert_eq!(r.len(), 6);
        assert_eq!(r.values().collect::<Vec<_>>(), vec![20.0, 20.0, 20.0, 200.0, 200.0, 5.0]);
        assert_eq!(r.at(3), Some(200.0));
        assert_eq!(r.at(6), None);
        assert_eq!(Runs::parse("0.1x2 0.75x1").unwrap().at(2), Some(0.75));
    }

    #[test]
    fn bad_runs_say_what_is_wrong() {
        assert!(Runs::parse("").unwrap_err().contains("empty"));
        assert!(Runs::parse("20x").unwrap_err().contains("whole number"));
        assert!(Runs::parse("twentyx5").unwrap_err().contains("not a number"));
        assert!(Runs::parse("20x0").unwrap_err().contains("at least one bucket"));
        assert!(Runs::parse("-3x2").unwrap_err().contains("zero or positive"));
        assert!(Runs::parse("1x600000").unwrap_err().contains("buckets"));
    }

    #[test]
    fn durations_add_their_units() {
        assert_eq!(parse_duration("2m").unwrap(), Duration::minutes(2));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::minutes(90));
        assert_eq!(parse_duration("1d 6h").unwrap(), Duration::hours(30));
        assert_eq!(parse_duration("0").unwrap(), Duration::zero());
        assert!(parse_duration("5").unwrap_err().contains("no unit"));
        assert!(parse_duration("2 minutes").is_err());
        assert!(parse_duration("").is_err());
    }

    proptest! {
        #[test]
        fn written_runs_read_back(runs in proptest::collection::vec((0u32..1000, 1u32..50), 1..8)) {
            let text = runs.iter().map(|(v, n)| format!("{v}x{n}")).collect::<Vec<_>>().join(" ");
            let parsed = Runs::parse(&text).unwrap();
            let expected: Vec<f64> = runs.iter().flat_map(|&(v, n)| std::iter::repeat_n(f64::from(v), n as usize)).collect();
            prop_assert_eq!(parsed.values().collect::<Vec<_>>(), expected);
        }

        #[test]
        fn any_text_parses_or_errs_without_panicking(text in "\\PC{0,30}") {
            let _ = Runs::parse(&text);
            let _ = parse_duration(&text);
        }

        #[test]
        fn durations_read_back(d in 0u32..30, h in 0u32..24, m in 0u32..60, s in 0u32..60) {
            let text = format!("{d}d{h}h{m}m{s}s");
            let secs = i64::from(d) * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s);
            prop_assert_eq!(parse_duration(&text).unwrap(), Duration::seconds(secs));
        }
    }
}
