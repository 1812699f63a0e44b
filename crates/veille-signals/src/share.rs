//! The negative share of a watch against its own baseline.

use serde::{Deserialize, Serialize};
use veille_config::signals::NegativeSurgeRule;

use crate::window::SlidingSum;

/// Time constant of the baseline share, in seconds (one day).
const BASELINE_MEMORY_S: f64 = 86_400.0;

/// A bucket's negatives are clipped to this many binomial standard deviations
/// above the baseline before they update it, so a surge never becomes normal.
const CLIP_SD: f64 = 3.0;

/// Window z-scores are clipped to this many standard deviations before they
/// update the dispersion, so a surge cannot make itself look ordinary.
const DISPERSION_CLIP: f64 = 3.0;

/// Baseline shares are kept inside [1 %, 99 %] so the binomial variance never vanishes.
const SHARE_BOUNDS: (f64, f64) = (0.01, 0.99);

/// How the negative share over the sliding window compares with the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct ShareAssessment {
    /// Negative mentions in the window.
    pub negative: f64,
    /// Scored mentions in the window.
    pub scored: f64,
    /// `negative / scored` over the window (0 when nothing was scored).
    pub share: f64,
    /// The baseline share, once enough scored mentions were seen.
    pub baseline: Option<f64>,
    /// z-score of the window's negatives against the baseline share: the
    /// binomial one, divided by the square root of the watch's dispersion.
    pub z: f64,
}

/// Streaming detector of negative-share surges for one watch.
///
/// The baseline is an exponentially weighted share with a one-day memory
/// (the share is a ratio, so the daily rhythm of volume cancels out); each
/// bucket's negatives are clipped before they update it.
///
/// Mentions are not independent draws: one prolific author, one thread, one
/// language whose posts score differently make the share of a window vary
/// more than a binomial count would. The detector measures that dispersion
/// (the mean square of its own window z-scores over the same day-long memory,
/// a plain mean while the history is short, never below 1) and divides the
/// binomial z-score by its square root, as a quasi-binomial test does.
#[derive(Debug, Clone)]
pub(crate) struct ShareDetector {
    /// Negative and scored mentions per bucket.
    window: SlidingSum<2>,
    weight: f64,
    base_scored: f64,
    base_negative: f64,
    min_volume: f64,
    min_z: f64,
    min_lift: f64,
    /// Weighted sum of squared window z-scores, and the sum of the weights.
    dispersion: (f64, f64),
}

impl ShareDetector {
    pub(crate) fn new(rule: &NegativeSurgeRule, step_s: u64) -> Self {
        let step_s = step_s.max(1);
        let steps = (rule.window_s / step_s).max(1) as usize;
        ShareDetector {
            window: SlidingSum::covering(steps, 72),
            weight: 1.0 - (-(step_s as f64) / BASELINE_MEMORY_S).exp(),
            base_scored: 0.0,
            base_negative: 0.0,
            min_volume: rule.min_volume.max(1) as f64,
            min_z: rule.min_z,
            min_lift: rule.min_lift,
            dispersion: (0.0, 0.0),
        }
    }

    /// Variance of window z-scores relative to a binomial one (at least 1).
    fn dispersion(&self) -> f64 {
        let (sum, weight) = self.dispersion;
        if weight > 0.0 {
            (sum / weight).max(1.0)
        } else {
            1.0
        }
    }

    fn baseline(&self) -> Option<f64> {
        (self.base_scored >= self.min_volume)
            .then(|| (self.base_negative / self.base_scored).clamp(SHARE_BOUNDS.0, SHARE_BOUNDS.1))
    }

    /// Assesses a bucket with `negative` of `scored` mentions, without learning it.
    pub(crate) fn peek(&self, negative: f64, scored: f64) -> ShareAssessment {
        let [k, n] = self.window.totals_after([negative, scored]);
        let baseline = self.baseline();
        let share = if n > 0.0 { k / n } else { 0.0 };
        let z = match baseline {
            Some(p) if n > 0.0 => (k - n * p) / (n * p * (1.0 - p) * self.dispersion()).sqrt(),
            _ => 0.0,
        };
        ShareAssessment { negative: k, scored: n, share, baseline, z }
    }

    /// Assesses a bucket, then learns it.
    pub(crate) fn observe(&mut self, negative: f64, scored: f64) -> ShareAssessment {
        let a = self.peek(negative, scored);
        self.window.push([negative, scored]);
        let decay = 1.0 - self.weight;
        if a.baseline.is_some() && a.scored >= self.min_volume {
            // The binomial z of the window (undo the current dispersion), clipped.
            let raw = (a.z * self.dispersion().sqrt()).clamp(-DISPERSION_CLIP, DISPERSION_CLIP);
            let (sum, weight) = self.dispersion;
            self.dispersion = (sum * decay + raw * raw, weight * decay + 1.0);
        }
        let clipped = match self.baseline() {
            Some(p) => negative.min(scored * p + CLIP_SD * (scored * p * (1.0 - p)).sqrt()),
            None => negative,
        };
        self.base_scored = self.base_scored * decay + scored;
        self.base_negative = self.base_negative * decay + clipped;
        a
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.window.heap_bytes()
    }

    /// A cheap screen: whether buckets with these `(negative, scored)` counts
    /// run at least half the minimum lift above the baseline share.
    pub(crate) fn could_surge(&self, buckets: impl Iterator<Item = (u64, u64)>) -> bool {
        let (negative, scored) = buckets.fold((0u64, 0u64), |(n, s), (bn, bs)| (n + bn, s + bs));
        match self.baseline() {
            Some(p) if scored > 0 => negative as f64 / scored as f64 >= p + self.min_lift / 2.0,
            _ => false,
        }
    }

    /// Whether the surge condition holds for an assessment.
    pub(crate) fn holds(&self, a: &ShareAssessment) -> bool {
        match a.baseline {
            Some(p) => a.scored >= self.min_volume && a.z >= self.min_z && a.share - p >= self.min_lift,
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_surge_of_negatives_holds_and_does_not_become_the_baseline() {
        let rule = NegativeSurgeRule::default();
        let mut d = ShareDetector::new(&rule, 60);
        for _ in 0..600 {
            d.observe(2.0, 10.0);
        }
        let calm = d.peek(2.0, 10.0);
        assert!(!d.holds(&calm));
        assert!((calm.baseline.unwrap_or_default() - 0.2).abs() < 1e-6);
        let mut last = calm;
        for _ in 0..15 {
            last = d.observe(8.0, 10.0);
        }
        assert!(d.holds(&last), "{last:?}");
        assert!(last.share > 0.75);
        assert!(last.baseline.unwrap_or(1.0) < 0.25, "clipped updates keep the baseline near 20 %: {last:?}");
    }

    #[test]
    fn a_share_that_varies_more_than_a_binomial_one_needs_a_larger_surge() {
        let rule = NegativeSurgeRule::default();
        // Windows of 100 scored mentions whose negatives swing between 10 and 30 (a binomial
        // count at 20 % would stay within about 12 to 28).
        let mut swinging = ShareDetector::new(&rule, 60);
        let mut steady = ShareDetector::new(&rule, 60);
        for i in 0..3_000 {
            let negative = if (i / 15) % 2 == 0 { 1.0 } else { 3.0 };
            swinging.observe(negative, 10.0);
            steady.observe(2.0, 10.0);
        }
        assert!(swinging.dispersion() > 2.0, "{}", swinging.dispersion());
        assert_eq!(steady.dispersion(), 1.0);
        // The same window of 45 negatives out of 150 stands out far less for the swinging watch.
        let (mut s, mut w) = (steady.peek(0.0, 0.0), swinging.peek(0.0, 0.0));
        for _ in 0..15 {
            s = steady.observe(3.0, 10.0);
            w = swinging.observe(3.0, 10.0);
        }
        assert!(s.z > 1.5 * w.z, "steady {s:?}, swinging {w:?}");
    }

    #[test]
    fn too_few_mentions_never_hold() {
        let rule = NegativeSurgeRule::default();
        let mut d = ShareDetector::new(&rule, 60);
        for _ in 0..600 {
            d.observe(0.0, 1.0);
        }
        let a = d.observe(1.0, 1.0);
        assert!(!d.holds(&a), "{a:?}");
    }
}
