//! The volume detector: novelty of a series against its own history.

use serde::{Deserialize, Serialize};
use veille_config::signals::DetectorConfig;

use crate::baseline::{hour_of_day, BaselineRates, SeasonalBaseline, ValueKind};
use crate::window::SlidingSum;

const DAY_S: i64 = 86_400;

/// A surge starts at the first bucket past the excess cutoff after this long without one.
const SURGE_GAP_S: i64 = 1_800;

/// Most slots a sliding window keeps: its resolution is its width / this.
const WINDOW_SLOTS: usize = 36;

/// The kinds of novelty the detector looks for, strongest evidence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Novelty {
    /// The spike score reached its threshold: far more excess over the
    /// baseline than on a typical day.
    Spike,
    /// A bucket beyond every bucket seen so far.
    Record,
    /// The mean over the level window beyond every earlier such mean.
    Level,
    /// The mean over the seasonal window beyond what this hour of day has seen.
    Seasonal,
}

impl Novelty {
    /// Every kind, strongest evidence first.
    pub const ALL: [Novelty; 4] = [Novelty::Spike, Novelty::Record, Novelty::Level, Novelty::Seasonal];

    /// The stable snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Novelty::Spike => "spike",
            Novelty::Record => "record",
            Novelty::Level => "level",
            Novelty::Seasonal => "seasonal",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of [`Novelty`] kinds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Novelties(u8);

impl Novelties {
    /// Whether the set holds `n`.
    pub fn contains(self, n: Novelty) -> bool {
        self.0 & n.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, strongest evidence first.
    pub fn iter(self) -> impl Iterator<Item = Novelty> {
        Novelty::ALL.into_iter().filter(move |n| self.contains(*n))
    }

    fn insert(&mut self, n: Novelty) {
        self.0 |= n.bit();
    }
}

/// Observed and expected totals over the window behind a novelty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowCounts {
    /// Sum of the observed values.
    pub observed: f64,
    /// Sum of what the baseline expected.
    pub expected: f64,
}

impl WindowCounts {
    /// Observed minus expected.
    pub fn extra(&self) -> f64 {
        self.observed - self.expected
    }
}

/// How one bucket of a series compares with what the series usually does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpikeAssessment {
    /// Start of the bucket, Unix seconds.
    pub at: i64,
    /// The value observed in the bucket.
    pub observed: f64,
    /// The value the seasonal baseline expected.
    pub expected: f64,
    /// Robust deviation of the bucket, in scales of the transformed series.
    pub z: f64,
    /// Sum of deviations above the excess cutoff over the excess window.
    pub excess: f64,
    /// Median of the daily maxima of `excess` (absent during the first day).
    pub reference: Option<f64>,
    /// `excess / max(reference, min_reference)`: 1 is as unusual as a
    /// typical day's most unusual moment (0 before a reference exists).
    pub score: f64,
    /// Counts above the expected ones in the buckets of the excess window that deviated past the cutoff.
    pub extra_volume: f64,
    /// Whether the series is past its warm-up; nothing is novel before.
    pub warm: bool,
    /// Upward novelty found in the bucket.
    pub up: Novelties,
    /// Downward novelty (a record low, a level or seasonal low).
    pub down: Novelties,
    /// The bucket itself (what a record is about).
    pub bucket: WindowCounts,
    /// The buckets of the excess window that deviated past the cutoff (what a spike is about).
    pub deviating: WindowCounts,
    /// The level window.
    pub level_window: WindowCounts,
    /// The seasonal window.
    pub seasonal_window: WindowCounts,
    /// When the surge started: the first bucket past the excess cutoff after
    /// half an hour without one, if the excess window still holds the surge's
    /// last such bucket; else the bucket itself.
    pub since: i64,
}

impl SpikeAssessment {
    /// The totals behind a kind of novelty.
    pub fn window(&self, n: Novelty) -> WindowCounts {
        match n {
            Novelty::Spike => self.deviating,
            Novelty::Record => self.bucket,
            Novelty::Level => self.level_window,
            Novelty::Seasonal => self.seasonal_window,
        }
    }

    /// Whether the bucket holds novelty in either direction.
    pub fn is_novel(&self) -> bool {
        !self.up.is_empty() || !self.down.is_empty()
    }
}

/// The smallest and largest of the values seen.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Range {
    lo: f64,
    hi: f64,
}

impl Default for Range {
    fn default() -> Self {
        Range { lo: f64::INFINITY, hi: f64::NEG_INFINITY }
    }
}

/// Which way `x` leaves a range widened by `margin` on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Beyond {
    Above,
    Below,
}

impl Range {
    fn span(&self) -> Option<f64> {
        (self.hi > self.lo).then_some(self.hi - self.lo)
    }

    fn beyond(&self, x: f64, margin: f64) -> Option<Beyond> {
        if x > self.hi + margin {
            Some(Beyond::Above)
        } else if x < self.lo - margin {
            Some(Beyond::Below)
        } else {
            None
        }
    }

    fn widen(&mut self, x: f64) {
        self.lo = self.lo.min(x);
        self.hi = self.hi.max(x);
    }
}

/// What one hour of day has seen of the seasonal window's mean.
#[derive(Debug, Clone, Copy, PartialEq)]
struct HourRange {
    range: Range,
    days: u32,
    last_day: i64,
}

impl Default for HourRange {
    fn default() -> Self {
        HourRange { range: Range::default(), days: 0, last_day: i64::MIN }
    }
}

/// A window mean: its sums after the bucket, and whether it spans the window.
struct WindowMean {
    mean: Option<f64>,
    counts: WindowCounts,
}

fn window_mean(window: &SlidingSum<2>, value: f64, expected: f64) -> WindowMean {
    let [observed, expected] = window.totals_after([value, expected]);
    let steps = window.steps_after().max(1) as f64;
    WindowMean { mean: window.full_after().then(|| observed / steps), counts: WindowCounts { observed, expected } }
}

fn mark(set: &mut (Novelties, Novelties), n: Novelty, beyond: Option<Beyond>) {
    match beyond {
        Some(Beyond::Above) => set.0.insert(n),
        Some(Beyond::Below) => set.1.insert(n),
        None => {}
    }
}

/// Streaming volume detector for one series sampled in fixed buckets.
///
/// It finds four kinds of novelty against the series' own history: a
/// record bucket, a new level of the mean over a couple of hours, a mean
/// over several hours that this hour of day has never seen, and a spike
/// score (excess over a robust seasonal baseline, divided by the excess of
/// a typical day). Every constant is relative to the series (its range, its
/// scale, its typical day), so the same settings suit any series.
///
/// Feed every bucket in time order, empty ones included, with
/// [`VolumeDetector::observe`]; [`VolumeDetector::peek`] assesses a bucket
/// without learning it (for provisional counts that late data may still
/// change). The detector never looks ahead: a bucket's assessment depends
/// only on the buckets before it.
#[derive(Debug, Clone)]
pub struct VolumeDetector {
    rates: BaselineRates,
    cutoff: f64,
    threshold: f64,
    min_reference: f64,
    reference_days: usize,
    record_margin: f64,
    level_margin: f64,
    seasonal_margin: f64,
    seasonal_min_days: u32,
    warmup_s: i64,
    warmup_buckets: u64,
    excess_window_s: i64,
    kind: ValueKind,
    baseline: SeasonalBaseline,
    /// Per bucket: excess above the cutoff, and the observed and expected values of deviating buckets.
    excess: SlidingSum<3>,
    day_start: Option<i64>,
    day_max: f64,
    daily_maxima: Vec<f64>,
    next_daily: usize,
    record: Range,
    level: SlidingSum<2>,
    level_range: Range,
    seasonal: SlidingSum<2>,
    hours: [HourRange; 24],
    first_at: Option<i64>,
    last_at: Option<i64>,
    filled: u64,
    /// The current surge: its first and its latest bucket past the cutoff.
    episode: Option<(i64, i64)>,
}

impl VolumeDetector {
    /// A detector for a series of `kind` in buckets `step_s` seconds wide.
    pub fn new(cfg: &DetectorConfig, kind: ValueKind, step_s: u64) -> Self {
        let step_s = step_s.max(1);
        let steps = |width_s: u64| (width_s / step_s).max(1) as usize;
        VolumeDetector {
            rates: BaselineRates::new(cfg, kind, step_s as f64),
            cutoff: cfg.excess_cutoff,
            threshold: cfg.threshold,
            min_reference: cfg.min_reference,
            reference_days: cfg.reference_days,
            record_margin: cfg.record_margin,
            level_margin: cfg.level_margin,
            seasonal_margin: cfg.seasonal_margin,
            seasonal_min_days: u32::try_from(cfg.seasonal_min_days).unwrap_or(u32::MAX),
            warmup_s: i64::try_from(cfg.warmup_s).unwrap_or(i64::MAX),
            warmup_buckets: cfg.warmup_buckets,
            excess_window_s: i64::try_from(cfg.excess_window_s).unwrap_or(i64::MAX),
            kind,
            baseline: SeasonalBaseline::default(),
            excess: SlidingSum::covering(steps(cfg.excess_window_s), WINDOW_SLOTS),
            day_start: None,
            day_max: 0.0,
            daily_maxima: Vec::with_capacity(cfg.reference_days.min(64)),
            next_daily: 0,
            record: Range::default(),
            level: SlidingSum::covering(steps(cfg.level_window_s), WINDOW_SLOTS),
            level_range: Range::default(),
            seasonal: SlidingSum::covering(steps(cfg.seasonal_window_s), WINDOW_SLOTS),
            hours: [HourRange::default(); 24],
            first_at: None,
            last_at: None,
            filled: 0,
            episode: None,
        }
    }

    /// Whether the series is past its warm-up (it raises nothing before).
    pub fn is_warm(&self) -> bool {
        self.last_at.is_some_and(|last| self.warm_at(last, false))
    }

    /// The spike score from which a spike holds.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The value expected in the bucket starting at `at` (Unix seconds), once the series has a history.
    pub fn expected(&self, at: i64) -> Option<f64> {
        self.baseline.expected(&self.rates, at)
    }

    /// Bytes this detector holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.excess.heap_bytes()
            + self.level.heap_bytes()
            + self.seasonal.heap_bytes()
            + self.daily_maxima.capacity() * std::mem::size_of::<f64>()
    }

    /// A cheap screen: whether the bucket could be novel upward (it deviates
    /// past the excess cutoff, or reaches the record). Exact assessments are
    /// only needed when it says yes.
    pub fn could_be_novel(&self, at: i64, value: f64) -> bool {
        value > self.record.hi || self.baseline.deviation(&self.rates, at, value).z > self.cutoff
    }

    /// Takes the length of `other`'s history as its own for the warm-up: a
    /// series of crisis terms created at the first crisis term of a watch has
    /// been silent as long as the watch was followed.
    pub fn inherit_history(&mut self, other: &VolumeDetector) {
        if let Some(first) = other.first_at {
            self.first_at = Some(self.first_at.map_or(first, |own| own.min(first)));
        }
        self.filled = self.filled.max(other.filled);
    }

    /// Assesses the bucket starting at `at` holding `value`, without learning it.
    pub fn peek(&self, at: i64, value: f64) -> SpikeAssessment {
        self.assess(at, value).0
    }

    /// Assesses the bucket starting at `at` holding `value`, then learns it.
    /// Buckets must come in time order, one per bucket width.
    pub fn observe(&mut self, at: i64, value: f64) -> SpikeAssessment {
        let (a, learned) = self.assess(at, value);
        self.learn(&a, learned);
        a
    }

    fn warm_at(&self, at: i64, filled_now: bool) -> bool {
        let since = self.first_at.map_or(0, |first| at.saturating_sub(first));
        since >= self.warmup_s && self.filled + u64::from(filled_now) >= self.warmup_buckets
    }

    fn is_filled(&self, value: f64) -> bool {
        match self.kind {
            ValueKind::Count => value > 0.0,
            ValueKind::Real => true,
        }
    }

    /// The reference as it is when the bucket at `at` is assessed: the median
    /// of the closed days' maxima, with the day that `at` closes.
    fn reference_at(&self, at: i64) -> Option<f64> {
        let rolls = self.day_start.is_some_and(|start| at - start >= DAY_S);
        if self.daily_maxima.is_empty() && !rolls {
            return None;
        }
        let mut values = self.daily_maxima.clone();
        if rolls {
            if values.len() < self.reference_days {
                values.push(self.day_max);
            } else {
                values[self.next_daily] = self.day_max;
            }
        }
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied()
    }

    /// The assessment of a bucket, and what learning it takes.
    fn assess(&self, at: i64, value: f64) -> (SpikeAssessment, Learned) {
        let warm = self.warm_at(at, self.is_filled(value));
        let deviation = self.baseline.deviation(&self.rates, at, value);
        let primed = self.baseline.is_primed();
        let z = if primed { deviation.z } else { 0.0 };
        let expected = if primed { deviation.expected } else { value };
        let mut found = (Novelties::default(), Novelties::default());

        // A record bucket.
        if warm {
            if let Some(span) = self.record.span() {
                mark(&mut found, Novelty::Record, self.record.beyond(value, self.record_margin * span));
            }
        }

        // A new level of the window mean.
        let level = window_mean(&self.level, value, expected);
        if let (true, Some(mean), Some(span)) = (warm, level.mean, self.level_range.span()) {
            mark(&mut found, Novelty::Level, self.level_range.beyond(mean, self.level_margin * span));
        }

        // A mean this hour of day has not seen.
        let seasonal = window_mean(&self.seasonal, value, expected);
        let hour = &self.hours[hour_of_day(at)];
        if let (true, Some(mean), Some(span)) = (warm, seasonal.mean, self.record.span()) {
            if hour.days >= self.seasonal_min_days {
                mark(&mut found, Novelty::Seasonal, hour.range.beyond(mean, self.seasonal_margin * span));
            }
        }

        // The spike score.
        let deviates = z > self.cutoff;
        let added = if deviates { [z - self.cutoff, value, expected] } else { [0.0; 3] };
        let [excess, dev_observed, dev_expected] = self.excess.totals_after(added);
        let reference = self.reference_at(at);
        let score = reference.map_or(0.0, |r| excess / r.max(self.min_reference));
        if warm && reference.is_some() && score >= self.threshold {
            found.0.insert(Novelty::Spike);
        }

        let episode = match (self.episode, deviates) {
            (Some((first, last)), true) if at - last <= SURGE_GAP_S => Some((first, at)),
            (_, true) => Some((at, at)),
            (current, false) => current,
        };
        // A surge is what the last excess window saw of it.
        let since = episode.filter(|&(_, last)| at - last < self.excess_window_s).map_or(at, |(first, _)| first);
        let a = SpikeAssessment {
            at,
            observed: value,
            expected,
            z,
            excess,
            reference,
            score,
            extra_volume: (dev_observed - dev_expected).max(0.0),
            warm,
            up: found.0,
            down: found.1,
            bucket: WindowCounts { observed: value, expected },
            deviating: WindowCounts { observed: dev_observed, expected: dev_expected },
            level_window: level.counts,
            seasonal_window: seasonal.counts,
            since,
        };
        let learned = Learned {
            transformed: deviation.transformed,
            added,
            level_mean: level.mean,
            seasonal_mean: seasonal.mean,
            episode,
        };
        (a, learned)
    }

    fn learn(&mut self, a: &SpikeAssessment, l: Learned) {
        let at = a.at;
        self.roll_day(at);
        self.excess.push(l.added);
        self.day_max = self.day_max.max(a.excess);
        self.episode = l.episode;
        self.level.push([a.observed, a.expected]);
        if let Some(mean) = l.level_mean {
            self.level_range.widen(mean);
        }
        self.seasonal.push([a.observed, a.expected]);
        if let Some(mean) = l.seasonal_mean {
            let day = at.div_euclid(DAY_S);
            let hour = &mut self.hours[hour_of_day(at)];
            hour.range.widen(mean);
            if hour.last_day != day {
                hour.last_day = day;
                hour.days = hour.days.saturating_add(1);
            }
        }
        self.baseline.learn(&self.rates, at, l.transformed);
        self.record.widen(a.observed);
        self.first_at.get_or_insert(at);
        self.last_at = Some(at);
        self.filled += u64::from(self.is_filled(a.observed));
    }

    /// Closes the current day when `at` is a day or more past its start.
    fn roll_day(&mut self, at: i64) {
        match self.day_start {
            None => self.day_start = Some(at),
            Some(start) if at - start >= DAY_S => {
                if self.daily_maxima.len() < self.reference_days {
                    self.daily_maxima.push(self.day_max);
                } else {
                    self.daily_maxima[self.next_daily] = self.day_max;
                    self.next_daily = (self.next_daily + 1) % self.reference_days;
                }
                self.day_max = 0.0;
                // Whole days since the start keep the days aligned through gaps.
                self.day_start = Some(start + (at - start) / DAY_S * DAY_S);
            }
            Some(_) => {}
        }
    }
}

/// What learning an assessed bucket changes.
struct Learned {
    transformed: f64,
    added: [f64; 3],
    level_mean: Option<f64>,
    seasonal_mean: Option<f64>,
    episode: Option<(i64, i64)>,
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

    fn detector() -> VolumeDetector {
        VolumeDetector::new(&DetectorConfig::default(), ValueKind::Count, 300)
    }

    fn trained(days: i64) -> VolumeDetector {
        let mut d = detector();
        for i in 0..days * 288 {
            d.observe(T0 + i * 300, calm(i));
        }
        d
    }

    #[test]
    fn a_burst_is_novel_and_calm_days_are_not() {
        let mut d = detector();
        for i in 0..9 * 288 {
            let a = d.observe(T0 + i * 300, calm(i));
            assert!(!a.is_novel() || i < 2 * 288, "calm bucket {i} found novel: {a:?}");
        }
        let i = 9 * 288;
        let a = d.observe(T0 + i * 300, 8.0 * calm(i));
        assert!(a.up.contains(Novelty::Spike) && a.up.contains(Novelty::Record), "{a:?}");
        assert!(a.score >= d.threshold(), "{a:?}");
        assert!(a.observed > 5.0 * a.expected, "{a:?}");
        assert!(a.extra_volume > 0.0);
        assert_eq!(a.since, a.at);
    }

    #[test]
    fn nothing_is_novel_during_the_warm_up() {
        let mut d = detector();
        for i in 0..287 {
            let value = if i == 200 { 5000.0 } else { calm(i) };
            let a = d.observe(T0 + i * 300, value);
            assert!(!a.warm && !a.is_novel(), "{a:?}");
        }
        assert!(!d.is_warm());
        d.observe(T0 + 288 * 300, calm(288));
        assert!(d.is_warm());
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
    fn a_drop_below_everything_seen_is_a_downward_record() {
        let mut d = VolumeDetector::new(&DetectorConfig::default(), ValueKind::Real, 300);
        for i in 0..3 * 288 {
            d.observe(T0 + i * 300, 50.0 + calm(i) / 10.0);
        }
        let a = d.observe(T0 + 3 * 288 * 300, -20.0);
        assert!(a.down.contains(Novelty::Record) && a.up.is_empty(), "{a:?}");
    }

    proptest! {
        #[test]
        fn peek_predicts_observe_exactly(counts in proptest::collection::vec(0u32..500, 1..700)) {
            let mut d = detector();
            for (i, &c) in counts.iter().enumerate() {
                let at = T0 + i as i64 * 300;
                let peeked = d.peek(at, f64::from(c));
                let observed = d.observe(at, f64::from(c));
                prop_assert_eq!(peeked, observed);
            }
        }

        #[test]
        fn more_mentions_never_lower_the_score(counts in proptest::collection::vec(0u32..200, 300..400), extra in 1u32..1000) {
            let mut d = detector();
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
