//! The robust seasonal baseline of a count series.

use veille_config::signals::DetectorConfig;

/// Smallest scale a deviation is divided by, in transformed units: keeps a
/// series that is almost always zero from turning one mention into a spike.
const MIN_SCALE: f64 = 0.5;

/// Offset added to counts before the power transform (Anscombe's 3/8).
const COUNT_OFFSET: f64 = 0.375;

/// Learning rates of a baseline for one bucket width, derived from the
/// configured time constants so the same configuration means the same thing
/// at one-minute and five-minute buckets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BaselineRates {
    power: f64,
    level: f64,
    hour: f64,
    weekday: f64,
    scale: f64,
    clip: f64,
}

impl BaselineRates {
    /// Rates for buckets `step_s` seconds wide.
    pub(crate) fn new(cfg: &DetectorConfig, step_s: f64) -> Self {
        // An hour-of-day slot sees at most 3600 s of data a day, a weekday slot 86400 s a week.
        let rate = |tau_s: f64| 1.0 - (-step_s / tau_s).exp();
        BaselineRates {
            power: cfg.power,
            level: rate(cfg.level_memory_s),
            hour: rate(cfg.seasonal_memory_days * 3600.0),
            weekday: rate(cfg.weekly_memory_weeks * 86_400.0),
            scale: rate(cfg.scale_memory_s),
            clip: cfg.clip,
        }
    }

    fn transform(&self, count: f64) -> f64 {
        2.0 * (count.max(0.0) + COUNT_OFFSET).powf(self.power)
    }

    fn inverse(&self, transformed: f64) -> f64 {
        ((transformed / 2.0).max(0.0).powf(1.0 / self.power) - COUNT_OFFSET).max(0.0)
    }
}

/// Where a bucket stands against the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Deviation {
    /// The count the baseline expected for the bucket.
    pub expected: f64,
    /// Robust z-score of the observed count in transformed units.
    pub z: f64,
    /// The observed count, transformed (what [`SeasonalBaseline::learn`] takes).
    pub transformed: f64,
}

/// Level + hour-of-day profile + day-of-week profile of variance-stabilised
/// counts, with a robust scale (mean absolute deviation). Updates use
/// residuals clipped to `clip` scales, so an outlier moves the baseline by a
/// bounded amount however large it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SeasonalBaseline {
    level: Option<f64>,
    hour: [f64; 24],
    weekday: [f64; 7],
    scale: f64,
    /// Buckets learned, up to the number where the scale's own rate takes over.
    learned: u32,
}

impl Default for SeasonalBaseline {
    fn default() -> Self {
        SeasonalBaseline { level: None, hour: [0.0; 24], weekday: [0.0; 7], scale: 1.0, learned: 0 }
    }
}

/// Hour of day (0..24) and weekday (Monday = 0) of a Unix time, in UTC.
fn slots(at: i64) -> (usize, usize) {
    let hour = at.div_euclid(3600).rem_euclid(24) as usize;
    // 1970-01-01 was a Thursday.
    let weekday = (at.div_euclid(86_400) + 3).rem_euclid(7) as usize;
    (hour, weekday)
}

impl SeasonalBaseline {
    /// Whether the baseline has seen any bucket yet.
    pub(crate) fn is_primed(&self) -> bool {
        self.level.is_some()
    }

    fn predicted(&self, hour: usize, weekday: usize, fallback: f64) -> f64 {
        self.level.unwrap_or(fallback) + self.hour[hour] + self.weekday[weekday]
    }

    /// The deviation of `count` in the bucket starting at `at` (Unix seconds), without learning it.
    pub(crate) fn deviation(&self, rates: &BaselineRates, at: i64, count: f64) -> Deviation {
        let (hour, weekday) = slots(at);
        let y = rates.transform(count);
        let predicted = self.predicted(hour, weekday, y);
        Deviation { expected: rates.inverse(predicted), z: (y - predicted) / self.scale.max(MIN_SCALE), transformed: y }
    }

    /// The count expected in the bucket starting at `at`, or `None` before the first bucket.
    pub(crate) fn expected(&self, rates: &BaselineRates, at: i64) -> Option<f64> {
        let level = self.level?;
        let (hour, weekday) = slots(at);
        Some(rates.inverse(level + self.hour[hour] + self.weekday[weekday]))
    }

    /// Learns the bucket starting at `at` whose transformed count is `y`.
    pub(crate) fn learn(&mut self, rates: &BaselineRates, at: i64, y: f64) {
        let (hour, weekday) = slots(at);
        let level = *self.level.get_or_insert(y);
        let residual = y - (level + self.hour[hour] + self.weekday[weekday]);
        let bound = rates.clip * self.scale;
        let clipped = residual.clamp(-bound, bound);
        self.level = Some(level + rates.level * clipped);
        self.hour[hour] += rates.hour * clipped;
        self.weekday[weekday] += rates.weekday * clipped;
        // While the history is short the scale is a plain average (its starting
        // value counting as one bucket), so a busy new series is not measured
        // against a unit scale for hours; then it is an exponential average.
        self.learned = self.learned.saturating_add(1);
        let weight = rates.scale.max(1.0 / (f64::from(self.learned) + 1.0));
        self.scale += weight * (residual.abs().min(bound) - self.scale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates() -> BaselineRates {
        BaselineRates::new(&DetectorConfig::default(), 300.0)
    }

    #[test]
    fn slots_follow_utc_hour_and_monday_first_weekday() {
        // 2015-02-26 21:42:53 UTC was a Thursday.
        assert_eq!(slots(1_424_986_973), (21, 3));
        assert_eq!(slots(0), (0, 3));
        assert_eq!(slots(-1), (23, 2));
    }

    #[test]
    fn transform_and_inverse_round_trip() {
        let r = rates();
        for count in [0.0, 1.0, 7.5, 120.0, 13_479.0] {
            assert!((r.inverse(r.transform(count)) - count).abs() < 1e-6 * (1.0 + count));
        }
    }

    #[test]
    fn an_outlier_moves_the_baseline_by_a_bounded_amount() {
        let r = rates();
        let mut calm = SeasonalBaseline::default();
        let t0 = 1_424_986_800;
        for i in 0..2_000 {
            calm.learn(&r, t0 + i * 300, r.transform(50.0));
        }
        let mut shocked = calm.clone();
        let at = t0 + 2_000 * 300;
        shocked.learn(&r, at, r.transform(1_000_000.0));
        calm.learn(&r, at, r.transform(500.0));
        let next = at + 300;
        let e_shocked = shocked.expected(&r, next).unwrap_or_default();
        let e_calm = calm.expected(&r, next).unwrap_or_default();
        assert!((e_shocked - e_calm).abs() < 1e-9, "{e_shocked} vs {e_calm}: clipping caps the update");
        assert!(e_shocked < 55.0, "one huge bucket leaves the expectation near 50, got {e_shocked}");
    }
}
