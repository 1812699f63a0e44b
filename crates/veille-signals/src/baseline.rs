//! The robust seasonal baseline of a series.

use serde::{Deserialize, Serialize};
use veille_config::signals::DetectorConfig;

/// Smallest scale a deviation of counts is divided by, in transformed units:
/// keeps a series that is almost always zero from turning one mention into a spike.
const MIN_COUNT_SCALE: f64 = 0.5;

/// Smallest scale of real values: only keeps divisions finite.
const MIN_REAL_SCALE: f64 = 1e-9;

/// Offset added to counts before the power transform (Anscombe's 3/8).
const COUNT_OFFSET: f64 = 0.375;

/// What the values of a series are.
///
/// The detector is the same for both; counts are variance-stabilised before
/// they are compared (a burst of counts is multiplicative, and their noise
/// grows with their level) and their scale never falls below that of a
/// Poisson count, while real values (CPU load, temperatures, latencies) are
/// compared as they are, with no unit assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// Non-negative counts per bucket (mentions, crisis-term hits).
    Count,
    /// Real values of any unit and sign.
    Real,
}

/// Learning rates of a baseline for one bucket width, derived from the
/// configured time constants so the same configuration means the same thing
/// at one-minute and five-minute buckets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BaselineRates {
    kind: ValueKind,
    power: f64,
    level: f64,
    hour: f64,
    scale: f64,
    clip: f64,
}

impl BaselineRates {
    /// Rates for buckets `step_s` seconds wide.
    pub(crate) fn new(cfg: &DetectorConfig, kind: ValueKind, step_s: f64) -> Self {
        // An hour-of-day slot sees at most 3600 s of data a day.
        let rate = |tau_s: f64| 1.0 - (-step_s / tau_s).exp();
        BaselineRates {
            kind,
            power: cfg.power,
            level: rate(cfg.level_memory_s),
            hour: rate(cfg.seasonal_memory_days * 3600.0),
            scale: rate(cfg.scale_memory_s),
            clip: cfg.clip,
        }
    }

    pub(crate) fn transform(&self, value: f64) -> f64 {
        match self.kind {
            ValueKind::Count => 2.0 * (value.max(0.0) + COUNT_OFFSET).powf(self.power),
            ValueKind::Real => value,
        }
    }

    fn inverse(&self, transformed: f64) -> f64 {
        match self.kind {
            ValueKind::Count => ((transformed / 2.0).max(0.0).powf(1.0 / self.power) - COUNT_OFFSET).max(0.0),
            ValueKind::Real => transformed,
        }
    }

    fn min_scale(&self) -> f64 {
        match self.kind {
            ValueKind::Count => MIN_COUNT_SCALE,
            ValueKind::Real => MIN_REAL_SCALE,
        }
    }
}

/// Where a bucket stands against the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Deviation {
    /// The value the baseline expected for the bucket.
    pub expected: f64,
    /// Robust z-score of the observed value in transformed units.
    pub z: f64,
    /// The observed value, transformed (what [`SeasonalBaseline::learn`] takes).
    pub transformed: f64,
}

/// Level + hour-of-day profile of transformed values, with a robust scale
/// (mean absolute deviation). Updates use residuals clipped to `clip`
/// scales, so an outlier moves the baseline by a bounded amount however
/// large it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SeasonalBaseline {
    level: Option<f64>,
    hour: [f64; 24],
    /// Buckets learned per hour-of-day slot.
    hour_learned: [u32; 24],
    scale: f64,
    /// Buckets learned, up to the number where the scale's own rate takes over.
    learned: u32,
}

impl Default for SeasonalBaseline {
    fn default() -> Self {
        SeasonalBaseline { level: None, hour: [0.0; 24], hour_learned: [0; 24], scale: 0.0, learned: 0 }
    }
}

/// Hour of day (0..24) of a Unix time, in UTC.
pub(crate) fn hour_of_day(at: i64) -> usize {
    at.div_euclid(3600).rem_euclid(24) as usize
}

/// A residual over a (positive) scale, capped so that sums of them stay finite.
fn ratio(residual: f64, scale: f64) -> f64 {
    const CAP: f64 = 1e12;
    (residual / scale).clamp(-CAP, CAP)
}

impl SeasonalBaseline {
    /// Whether the baseline has seen a few buckets (its scale means something).
    pub(crate) fn is_primed(&self) -> bool {
        self.learned > 2
    }

    fn predicted(&self, hour: usize, fallback: f64) -> f64 {
        self.level.unwrap_or(fallback) + self.hour[hour]
    }

    /// The scale deviations are divided by.
    pub(crate) fn scale(&self, rates: &BaselineRates) -> f64 {
        self.scale.max(rates.min_scale())
    }

    /// The deviation of `value` in the bucket starting at `at` (Unix seconds), without learning it.
    pub(crate) fn deviation(&self, rates: &BaselineRates, at: i64, value: f64) -> Deviation {
        let y = rates.transform(value);
        let predicted = self.predicted(hour_of_day(at), y);
        Deviation { expected: rates.inverse(predicted), z: ratio(y - predicted, self.scale(rates)), transformed: y }
    }

    /// The value expected in the bucket starting at `at`, or `None` before the first bucket.
    pub(crate) fn expected(&self, rates: &BaselineRates, at: i64) -> Option<f64> {
        let level = self.level?;
        Some(rates.inverse(level + self.hour[hour_of_day(at)]))
    }

    /// Learns the bucket starting at `at` whose transformed value is `y`.
    pub(crate) fn learn(&mut self, rates: &BaselineRates, at: i64, y: f64) {
        let hour = hour_of_day(at);
        let level = *self.level.get_or_insert(y);
        let residual = y - (level + self.hour[hour]);
        let bound = rates.clip * self.scale(rates);
        let clipped = residual.clamp(-bound, bound);
        self.level = Some(level + rates.level * clipped);
        // Each hour-of-day offset is a plain average of its residuals while
        // its history is short, then an exponential one: an average that starts
        // from zero would take days to learn the daily cycle, and a young series
        // would read every busy afternoon as a surge.
        self.hour_learned[hour] = self.hour_learned[hour].saturating_add(1);
        let hour_weight = rates.hour.max(1.0 / (f64::from(self.hour_learned[hour]) + 1.0));
        self.hour[hour] += hour_weight * clipped;
        // The scale starts from the first residual and then grows by at most
        // `clip` times itself a bucket, so that early outliers cannot inflate
        // it (a new series is judged strictly at first, which the warm-up
        // absorbs); it is a plain average while the history is short, then an
        // exponential one.
        self.learned = self.learned.saturating_add(1);
        let weight = rates.scale.max(1.0 / (f64::from(self.learned) + 1.0));
        let absolute = if self.learned <= 1 { residual.abs() } else { residual.abs().min(bound) };
        self.scale += weight * (absolute - self.scale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates() -> BaselineRates {
        BaselineRates::new(&DetectorConfig::default(), ValueKind::Count, 300.0)
    }

    #[test]
    fn hours_follow_utc() {
        // 2015-02-26 21:42:53 UTC.
        assert_eq!(hour_of_day(1_424_986_973), 21);
        assert_eq!(hour_of_day(0), 0);
        assert_eq!(hour_of_day(-1), 23);
    }

    #[test]
    fn transform_and_inverse_round_trip() {
        for kind in [ValueKind::Count, ValueKind::Real] {
            let r = BaselineRates::new(&DetectorConfig::default(), kind, 300.0);
            for value in [0.0, 1.0, 7.5, 120.0, 13_479.0] {
                assert!((r.inverse(r.transform(value)) - value).abs() < 1e-6 * (1.0 + value));
            }
        }
    }

    #[test]
    fn an_outlier_moves_the_baseline_by_a_bounded_amount() {
        let r = rates();
        let mut calm = SeasonalBaseline::default();
        let t0 = 1_424_986_800;
        for i in 0..2_000 {
            calm.learn(&r, t0 + i * 300, r.transform(50.0 + (i % 7) as f64));
        }
        let mut shocked = calm.clone();
        let at = t0 + 2_000 * 300;
        shocked.learn(&r, at, r.transform(1_000_000.0));
        calm.learn(&r, at, r.transform(500.0));
        let next = at + 300;
        let e_shocked = shocked.expected(&r, next).unwrap_or_default();
        let e_calm = calm.expected(&r, next).unwrap_or_default();
        assert!((e_shocked - e_calm).abs() < 1e-9, "{e_shocked} vs {e_calm}: clipping caps the update");
        assert!(e_shocked < 60.0, "one huge bucket leaves the expectation near 53, got {e_shocked}");
    }

    #[test]
    fn a_constant_real_series_makes_any_change_unusual() {
        let r = BaselineRates::new(&DetectorConfig::default(), ValueKind::Real, 300.0);
        let mut b = SeasonalBaseline::default();
        for i in 0..100 {
            b.learn(&r, i * 300, 45.0);
        }
        assert_eq!(b.deviation(&r, 100 * 300, 45.0).z, 0.0);
        assert!(b.deviation(&r, 100 * 300, 45.1).z > 1e6);
        assert!(b.deviation(&r, 100 * 300, 44.9).z < -1e6);
        assert!(b.deviation(&r, 100 * 300, f64::MAX).z.is_finite());
    }
}
