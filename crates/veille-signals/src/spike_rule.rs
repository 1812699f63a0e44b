//! The lifecycle of the rules the volume detector drives (`volume_spike`,
//! `crisis_burst`): when a surge fires, how long it keeps one alert, and how
//! severe it is.

use veille_config::signals::{DetectorConfig, Severity};

use crate::detector::{Novelty, SpikeAssessment, WindowCounts};
use crate::poisson::poisson_tail;
use crate::rule::{RuleGate, Transition};
use crate::window::SlidingSum;

/// A surge fires only when counting at least what was counted over its
/// window is improbable under the baseline (Poisson): at most this
/// probability per day of windows of its width. A day holds 1,440 one-minute
/// buckets but only eight three-hour windows, so a one-bucket record must be
/// far less probable than a three-hour surge to be believed: the test accounts
/// for how many windows of its width a day offers (a Bonferroni bound), which
/// keeps the false alarms of a series per day the same at any bucket width.
const FIRE_TAIL_PER_DAY: f64 = 0.03;

/// ... and never more probable than this over one window, however wide.
const FIRE_TAIL: f64 = 1e-3;

/// The Poisson tail a window `width_s` seconds wide must reach to fire.
fn fire_tail(width_s: u64) -> f64 {
    (FIRE_TAIL_PER_DAY * width_s.max(1) as f64 / 86_400.0).min(FIRE_TAIL)
}

/// A firing alert holds while its hold window keeps a surplus this
/// improbable under the baseline (Poisson) ...
const HOLD_TAIL: f64 = 0.05;

/// ... and at least this much above the expected counts (a share of them),
/// so that the ordinary noise of a busy series does not keep it open.
const HOLD_LIFT: f64 = 0.25;

/// Slots of the hold window (its resolution is its width / this).
const HOLD_SLOTS: usize = 12;

/// A critical alert needs a spike score at least this many times the threshold (or a record).
const CRITICAL_SCORE_FACTOR: f64 = 2.0;

/// Whether a bucket is far outside the baseline: a record, or a spike score at least twice the threshold.
fn is_far(a: &SpikeAssessment, threshold: f64) -> bool {
    a.up.contains(Novelty::Record) || a.score >= CRITICAL_SCORE_FACTOR * threshold
}

/// The settings of one spike rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SpikeRuleSettings {
    pub enabled: bool,
    pub severity: Severity,
    pub min_volume: u64,
    pub min_share: f64,
    pub for_s: u64,
    pub cooldown_s: u64,
    pub resolve_after_s: u64,
    pub critical_min_volume: u64,
    pub critical_share: f64,
}

/// Why a spike rule fired.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fire {
    /// The novelty that fired it.
    pub novelty: Novelty,
    /// The counts over the novelty's window.
    pub window: WindowCounts,
    /// When the surge started.
    pub since: i64,
    /// The bucket that fired.
    pub at: i64,
    /// The severity of the alert.
    pub severity: Severity,
    /// The counts of the surge so far: the window behind the novelty, then every bucket since.
    pub surge: WindowCounts,
    /// Whether the surge went far outside the baseline (a record, or twice the spike threshold).
    pub far: bool,
}

impl Fire {
    /// Width of the window behind the novelty, in seconds.
    pub(crate) fn window_s(&self, cfg: &DetectorConfig, bucket_s: u64) -> u64 {
        novelty_window_s(self.novelty, cfg, bucket_s)
    }
}

/// Width of the window behind a novelty, in seconds.
fn novelty_window_s(novelty: Novelty, cfg: &DetectorConfig, bucket_s: u64) -> u64 {
    match novelty {
        Novelty::Spike => cfg.excess_window_s,
        Novelty::Record => bucket_s,
        Novelty::Level => cfg.level_window_s,
        Novelty::Seasonal => cfg.seasonal_window_s,
    }
}

/// A transition of a spike rule, with the fire it is about.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SpikeTransition {
    Fired(Fire),
    /// A firing warning became critical: the surge grew large enough to matter.
    Escalated(Fire),
    Resolved(Fire),
}

/// One spike rule of one series.
///
/// A surge that fires as a warning becomes critical (a second, paging
/// notice) when, while it lasts, it is far outside the baseline and its extra
/// counts over the excess window reach the critical size.
///
/// It fires when the detector finds upward novelty on a warmed-up series
/// and the counts behind it are real (at least `min_volume` and `min_share` of a usual day above the
/// baseline, and improbable as a Poisson count). Once firing it holds for at
/// least `resolve_after_s` (the hold period), then for as long as the last
/// `resolve_after_s` keep a significant surplus over the baseline, whatever
/// the detector's windows do: one surge is one alert for as long as it lasts,
/// and it resolves after a hold period back near the baseline. After it
/// resolves, the rule opens nothing for `cooldown_s`.
#[derive(Debug, Clone)]
pub(crate) struct SpikeRule {
    settings: SpikeRuleSettings,
    gate: RuleGate,
    /// Observed and expected counts over the hold period.
    hold: SlidingSum<2>,
    fire: Option<Fire>,
    /// The bucket where the last alert resolved: a new surge starts after it.
    last_resolved: Option<i64>,
    /// The Poisson tail each novelty's window must reach to fire, in [`Novelty::ALL`] order.
    tails: [f64; 4],
}

impl SpikeRule {
    pub(crate) fn new(settings: SpikeRuleSettings, detector: &DetectorConfig, bucket_s: u64) -> Self {
        let steps = (settings.resolve_after_s / bucket_s.max(1)).max(1) as usize;
        let tails = Novelty::ALL.map(|novelty| fire_tail(novelty_window_s(novelty, detector, bucket_s)));
        SpikeRule {
            settings,
            gate: RuleGate::new(settings.for_s, settings.cooldown_s),
            hold: SlidingSum::covering(steps, HOLD_SLOTS),
            fire: None,
            last_resolved: None,
            tails,
        }
    }

    /// Whether a provisional evaluation could fire the rule.
    pub(crate) fn can_fire(&self) -> bool {
        self.settings.enabled && !self.gate.is_firing()
    }

    /// The fire an assessment makes, if any.
    fn candidate(&self, a: &SpikeAssessment, threshold: f64, daily: f64) -> Option<Fire> {
        if !self.settings.enabled || !a.warm {
            return None;
        }
        a.up.iter().find_map(|novelty| {
            let window = a.window(novelty);
            let tail = Novelty::ALL.iter().position(|n| *n == novelty).map_or(FIRE_TAIL, |i| self.tails[i]);
            let least = (self.settings.min_volume as f64).max(self.settings.min_share * daily);
            let real = window.extra() >= least && poisson_tail(window.observed, window.expected) <= tail;
            let far = is_far(a, threshold);
            real.then(|| Fire {
                novelty,
                window,
                since: self.last_resolved.map_or(a.since, |resolved| a.since.max(resolved)),
                at: a.at,
                severity: self.severity(far, window.extra(), daily),
                surge: window,
                far,
            })
        })
    }

    /// The rule's severity is a ceiling: critical needs the surge far outside
    /// the baseline (a record, or a spike score at least twice the threshold)
    /// and large in absolute numbers (`critical_min_volume` extra counts, and
    /// `critical_share` of the watch's usual daily mentions); otherwise a warning.
    fn severity(&self, far: bool, extra: f64, daily: f64) -> Severity {
        let s = &self.settings;
        if s.severity != Severity::Critical {
            return s.severity;
        }
        let matters = extra >= s.critical_min_volume as f64 && extra >= s.critical_share * daily;
        if far && matters {
            Severity::Critical
        } else {
            Severity::Warning
        }
    }

    /// Adds a bucket to a firing surge; escalates a warning whose surge is now
    /// far outside the baseline and large (over the excess window).
    fn grow(&mut self, a: &SpikeAssessment, threshold: f64, daily: f64) -> Option<SpikeTransition> {
        let ceiling = self.settings.severity;
        let fire = self.fire.as_mut().filter(|f| a.at > f.at)?;
        fire.surge.observed += a.observed;
        fire.surge.expected += a.expected;
        if fire.severity == ceiling {
            return None;
        }
        let severity = self.severity(is_far(a, threshold), a.deviating.extra(), daily);
        let fire = self.fire.as_mut()?;
        (severity > fire.severity).then(|| {
            fire.far = true;
            fire.severity = severity;
            SpikeTransition::Escalated(*fire)
        })
    }

    /// Whether the hold window keeps a significant surplus over the baseline.
    fn surplus(&self) -> bool {
        let [observed, expected] = self.hold.totals();
        observed - expected >= 1.0
            && observed >= expected * (1.0 + HOLD_LIFT)
            && poisson_tail(observed, expected) <= HOLD_TAIL
    }

    /// Evaluates a bucket's final counts.
    pub(crate) fn update(
        &mut self,
        a: &SpikeAssessment,
        threshold: f64,
        daily: f64,
        bucket_s: u64,
    ) -> Option<SpikeTransition> {
        self.hold.push([a.observed, a.expected]);
        if self.gate.is_firing() {
            let hold_s = i64::try_from(self.settings.resolve_after_s).unwrap_or(i64::MAX);
            let young = self.fire.is_some_and(|f| a.at - f.at < hold_s);
            let holds = self.settings.enabled && (young || self.surplus());
            match self.gate.update(a.at, bucket_s, holds) {
                Some(Transition::Resolved) => {
                    self.last_resolved = Some(a.at);
                    self.fire.take().map(SpikeTransition::Resolved)
                }
                _ => self.grow(a, threshold, daily),
            }
        } else {
            let fire = self.candidate(a, threshold, daily);
            match self.gate.update(a.at, bucket_s, fire.is_some()) {
                Some(Transition::Fired) => {
                    self.fire = fire;
                    fire.map(SpikeTransition::Fired)
                }
                _ => None,
            }
        }
    }

    /// Evaluates provisional counts: the rule may fire early, nothing else changes.
    pub(crate) fn fire_provisional(
        &mut self,
        a: &SpikeAssessment,
        threshold: f64,
        daily: f64,
        bucket_s: u64,
    ) -> Option<Fire> {
        if !self.can_fire() {
            return None;
        }
        let fire = self.candidate(a, threshold, daily)?;
        self.gate.update_provisional(a.at, bucket_s, true)?;
        self.fire = Some(fire);
        Some(fire)
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.hold.heap_bytes()
    }
}

/// The watch's mentions a day, as the severity rule weighs a surge against
/// them: the larger of the mean of its last complete UTC days (up to a week)
/// and its mentions over the last 24 hours, so that a brand whose volume has
/// grown (during a long crisis) is judged by what is said about it now.
#[derive(Debug, Clone)]
pub(crate) struct DailyVolume {
    day: Option<i64>,
    today: u64,
    days: [u64; 7],
    complete: usize,
    last_day: SlidingSum<1>,
}

impl DailyVolume {
    /// A count for buckets `bucket_s` seconds wide.
    pub(crate) fn new(bucket_s: u64) -> Self {
        let steps = (86_400 / bucket_s.max(1)).max(1) as usize;
        DailyVolume { day: None, today: 0, days: [0; 7], complete: 0, last_day: SlidingSum::covering(steps, 24) }
    }

    /// Counts the mentions of the bucket starting at `at`.
    pub(crate) fn add(&mut self, at: i64, mentions: u64) {
        let day = at.div_euclid(86_400);
        if self.day != Some(day) {
            if self.day.is_some() {
                self.days[self.complete % self.days.len()] = self.today;
                self.complete += 1;
            }
            self.day = Some(day);
            self.today = 0;
        }
        self.today += mentions;
        self.last_day.push([mentions as f64]);
    }

    /// The watch's mentions a day.
    pub(crate) fn usual(&self) -> f64 {
        let n = self.complete.min(self.days.len());
        let mean = if n == 0 { 0.0 } else { self.days[..n].iter().sum::<u64>() as f64 / n as f64 };
        mean.max(self.last_day.totals()[0])
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.last_day.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_volume_is_the_larger_of_the_last_days_and_the_last_24_hours() {
        let hour = 3_600;
        let mut d = DailyVolume::new(hour as u64);
        // A week at 24 mentions a day.
        for h in 0..7 * 24 {
            d.add(h * hour, 1);
        }
        assert_eq!(d.usual(), 24.0);
        // A surge: the last 24 hours count once they exceed the usual days.
        for h in 7 * 24..7 * 24 + 12 {
            d.add(h * hour, 10);
        }
        assert_eq!(d.usual(), 12.0 + 120.0);
        // A week later, quiet again: only the last week counts.
        for h in 7 * 24 + 12..21 * 24 {
            d.add(h * hour, 1);
        }
        assert_eq!(d.usual(), 24.0);
    }
}
