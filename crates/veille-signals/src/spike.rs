//! The self-calibrating spike score of a count series.

use serde::{Deserialize, Serialize};
use veille_config::signals::DetectorConfig;

use crate::baseline::{BaselineRates, SeasonalBaseline};
use crate::window::SlidingSum;

const DAY_S: i64 = 86_400;

/// Slots of the sliding excess window: its resolution is the window width / this.
const EXCESS_SLOTS: usize = 72;

/// How one bucket of a count series compares with what the series usually does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpikeAssessment {
    /// Start of the bucket, Unix seconds.
    pub at: i64,
    /// The count observed in the bucket.
    pub observed: f64,
    /// The count the seasonal baseline expected.
    pub expected: f64,
    /// Robust deviation of the bucket, in scales of the variance-stabilised series.
    pub z: f64,
    /// Sum of deviations above the excess cutoff over the excess window.
    pub excess: f64,
    /// Median of the daily maxima of `excess` (absent during the first day).
    pub reference: Option<f64>,
    /// `excess / reference`: 1 is as unusual as a typical day's most unusual moment.
    /// During the first day, `threshold × excess / cold_start_excess` instead.
    pub score: f64,
    /// Counts above the expected ones in the buckets of the excess window that deviated past the cutoff.
    pub extra_volume: f64,
}

/// Streaming spike detector for one count series sampled in fixed buckets.
///
/// Feed every bucket in time order, empty ones included, with [`SpikeDetector::observe`];
/// [`SpikeDetector::peek`] scores a bucket without learning it (for
/// provisional counts that late data may still change). The detector never
/// looks ahead: a bucket's score depends only on the buckets before it.
#[derive(Debug, Clone)]
pub struct SpikeDetector {
    rates: BaselineRates,
    excess_cutoff: f64,
    threshold: f64,
    min_reference: f64,
    cold_start_excess: f64,
    reference_days: usize,
    baseline: SeasonalBaseline,
    excess: SlidingSum,
    day_start: Option<i64>,
    day_max: f64,
    daily_maxima: Vec<f64>,
    next_daily: usize,
    reference: Option<f64>,
}

impl SpikeDetector {
    /// A detector for buckets `step_s` seconds wide.
    pub fn new(cfg: &DetectorConfig, step_s: u64) -> Self {
        let step_s = step_s.max(1);
        let steps_in_window = (cfg.excess_window_s / step_s).max(1) as usize;
        let steps_per_slot = (steps_in_window / EXCESS_SLOTS).max(1);
        let slots = steps_in_window.div_ceil(steps_per_slot);
        SpikeDetector {
            rates: BaselineRates::new(cfg, step_s as f64),
            excess_cutoff: cfg.excess_cutoff,
            threshold: cfg.threshold,
            min_reference: cfg.min_reference,
            cold_start_excess: cfg.cold_start_excess,
            reference_days: cfg.reference_days,
            baseline: SeasonalBaseline::default(),
            excess: SlidingSum::new(slots, steps_per_slot),
            day_start: None,
            day_max: 0.0,
            daily_maxima: Vec::with_capacity(cfg.reference_days),
            next_daily: 0,
            reference: None,
        }
    }

    /// Whether a full day of history gives the score its reference.
    pub fn is_calibrated(&self) -> bool {
        self.reference.is_some()
    }

    /// The spike score at or above which the rules hold.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The count expected in the bucket starting at `at` (Unix seconds), once the series has a history.
    pub fn expected(&self, at: i64) -> Option<f64> {
        self.baseline.expected(&self.rates, at)
    }

    /// Bytes this detector holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.excess.heap_bytes() + self.daily_maxima.capacity() * std::mem::size_of::<f64>()
    }

    /// Scores the bucket starting at `at` holding `count`, without learning it.
    pub fn peek(&self, at: i64, count: f64) -> SpikeAssessment {
        let reference = self.reference_at(at);
        self.assess(at, count, reference).0
    }

    /// Scores the bucket starting at `at` holding `count`, then learns it.
    /// Buckets must come in time order, one per bucket width.
    pub fn observe(&mut self, at: i64, count: f64) -> SpikeAssessment {
        self.roll_day(at);
        let (assessment, transformed) = self.assess(at, count, self.reference);
        let (excess, extra) = self.contributions(&assessment);
        self.excess.push(excess, extra);
        self.day_max = self.day_max.max(assessment.excess);
        self.baseline.learn(&self.rates, at, transformed);
        assessment
    }

    /// The reference as it will be when the bucket at `at` is observed.
    fn reference_at(&self, at: i64) -> Option<f64> {
        match self.day_start {
            Some(start) if at - start >= DAY_S => Some(self.reference_with(self.day_max)),
            _ => self.reference,
        }
    }

    /// What a bucket adds to the window: its deviation above the cutoff, and
    /// its count above the expected one when it deviates that much.
    fn contributions(&self, a: &SpikeAssessment) -> (f64, f64) {
        if a.z > self.excess_cutoff {
            (a.z - self.excess_cutoff, (a.observed - a.expected).max(0.0))
        } else {
            (0.0, 0.0)
        }
    }

    /// The assessment of a bucket, and its transformed count.
    fn assess(&self, at: i64, count: f64, reference: Option<f64>) -> (SpikeAssessment, f64) {
        let deviation = self.baseline.deviation(&self.rates, at, count);
        let primed = self.baseline.is_primed();
        let z = if primed { deviation.z } else { 0.0 };
        let expected = if primed { deviation.expected } else { count };
        let probe =
            SpikeAssessment { at, observed: count, expected, z, excess: 0.0, reference, score: 0.0, extra_volume: 0.0 };
        let (add_excess, add_extra) = self.contributions(&probe);
        let excess = self.excess.total_after(add_excess);
        let extra_volume = self.excess.extra_after(add_extra);
        let score = match reference {
            Some(r) => excess / r.max(self.min_reference),
            None => self.threshold * excess / self.cold_start_excess,
        };
        (SpikeAssessment { excess, extra_volume, score, ..probe }, deviation.transformed)
    }

    /// Closes the current day when `at` is a day or more past its start.
    fn roll_day(&mut self, at: i64) {
        match self.day_start {
            None => self.day_start = Some(at),
            Some(start) if at - start >= DAY_S => {
                self.reference = Some(self.reference_with(self.day_max));
                self.push_daily(self.day_max);
                self.day_max = 0.0;
                // Whole days since the start keep the blocks aligned through gaps.
                self.day_start = Some(start + (at - start) / DAY_S * DAY_S);
            }
            Some(_) => {}
        }
    }

    fn push_daily(&mut self, max: f64) {
        if self.daily_maxima.len() < self.reference_days {
            self.daily_maxima.push(max);
        } else {
            self.daily_maxima[self.next_daily] = max;
            self.next_daily = (self.next_daily + 1) % self.reference_days;
        }
    }

    /// Median of the stored daily maxima with `latest` pushed in.
    fn reference_with(&self, latest: f64) -> f64 {
        let mut values = self.daily_maxima.clone();
        if values.len() < self.reference_days {
            values.push(latest);
        } else {
            values[self.next_daily] = latest;
        }
        values.sort_by(f64::total_cmp);
        let n = values.len();
        if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: i64 = 1_767_571_200; // 2026-01-05 00:00:00 UTC, a Monday

    /// A calm daily rhythm with deterministic jitter, 5-minute buckets.
    fn calm(i: i64) -> f64 {
        let day = (i % 288) as f64 / 288.0;
        let jitter = ((i * 7919) % 13) as f64 - 6.0;
        (60.0 * (2.0 - (day * std::f64::consts::TAU).cos()) + jitter).max(0.0)
    }

    fn trained(days: i64) -> SpikeDetector {
        let mut d = SpikeDetector::new(&DetectorConfig::default(), 300);
        for i in 0..days * 288 {
            d.observe(T0 + i * 300, calm(i));
        }
        d
    }

    #[test]
    fn a_burst_scores_above_threshold_and_calm_days_do_not() {
        let mut d = SpikeDetector::new(&DetectorConfig::default(), 300);
        let mut calm_max: f64 = 0.0;
        for i in 0..5 * 288 {
            let a = d.observe(T0 + i * 300, calm(i));
            if i >= 288 {
                calm_max = calm_max.max(a.score);
            }
        }
        assert!(calm_max < d.threshold(), "calm days peak at {calm_max}");
        let i = 5 * 288;
        let a = d.observe(T0 + i * 300, 8.0 * calm(i));
        assert!(a.score >= d.threshold(), "{a:?}");
        assert!(a.observed > 5.0 * a.expected, "{a:?}");
        assert!(a.extra_volume > 0.0);
    }

    #[test]
    fn a_spike_does_not_inflate_the_baseline() {
        let mut spiked = trained(4);
        let mut calm_only = spiked.clone();
        let i = 4 * 288;
        spiked.observe(T0 + i * 300, 50.0 * calm(i));
        calm_only.observe(T0 + i * 300, calm(i));
        let next = T0 + (i + 1) * 300;
        let (a, b) = (spiked.expected(next).unwrap_or_default(), calm_only.expected(next).unwrap_or_default());
        assert!((a - b).abs() / b < 0.1, "expectation after a 50x spike {a} vs {b}");
    }

    #[test]
    fn the_first_day_uses_the_cold_start_rule() {
        let mut d = SpikeDetector::new(&DetectorConfig::default(), 300);
        let a = d.observe(T0, 100.0);
        assert_eq!((a.z, a.score, a.reference), (0.0, 0.0, None));
        let a = d.observe(T0 + 300, 100.0);
        assert_eq!(a.reference, None);
    }

    proptest! {
        #[test]
        fn peek_predicts_observe_exactly(counts in proptest::collection::vec(0u32..500, 1..700)) {
            let mut d = SpikeDetector::new(&DetectorConfig::default(), 300);
            for (i, &c) in counts.iter().enumerate() {
                let at = T0 + i as i64 * 300;
                let peeked = d.peek(at, f64::from(c));
                let observed = d.observe(at, f64::from(c));
                prop_assert_eq!(peeked, observed);
            }
        }

        #[test]
        fn more_mentions_never_lower_the_score(counts in proptest::collection::vec(0u32..200, 300..400), extra in 1u32..1000) {
            let mut d = SpikeDetector::new(&DetectorConfig::default(), 300);
            for (i, &c) in counts.iter().enumerate() {
                d.observe(T0 + i as i64 * 300, f64::from(c));
            }
            let at = T0 + counts.len() as i64 * 300;
            let base = d.peek(at, 10.0);
            let more = d.peek(at, 10.0 + f64::from(extra));
            prop_assert!(more.score >= base.score);
            prop_assert!(more.z >= base.z);
        }
    }
}
