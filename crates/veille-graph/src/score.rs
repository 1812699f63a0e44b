//! The key-node score: four components, each mapped to [0, 1], averaged with weights.

use serde::{Deserialize, Serialize};
use veille_config::graph::ScoreWeights;

/// One component of a key-node score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// The raw value (see [`ScoreComponents`] for each unit).
    pub value: f64,
    /// The value mapped to [0, 1]: 0.5 at the configured midpoint, rising on a log scale.
    pub normalized: f64,
    /// The weight of this component in the score (weights sum to 1).
    pub weight: f64,
}

/// What a key-node score is made of.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoreComponents {
    /// PageRank in the workspace's interaction graph, as a multiple of the
    /// average author's (1 = average).
    pub centrality: Component,
    /// Followers (0 when the platform gave none).
    pub reach: Component,
    /// Interactions received (replies, quotes, reposts, @mentions, weighted
    /// and decayed) plus the engagement counts reported on the author's own
    /// mentions (decayed). Within a watch, only through mentions it matched.
    pub engagement: Component,
    /// Mentions written (decayed). Within a watch, only those it matched.
    pub activity: Component,
}

impl ScoreComponents {
    /// The weighted mean of the normalised components, in [0, 1].
    pub fn score(&self) -> f64 {
        [self.centrality, self.reach, self.engagement, self.activity]
            .iter()
            .map(|c| c.normalized * c.weight)
            .sum::<f64>()
            .clamp(0.0, 1.0)
    }
}

/// Raw inputs of a score.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Raw {
    pub(crate) centrality: f64,
    pub(crate) reach: f64,
    pub(crate) engagement: f64,
    pub(crate) activity: f64,
}

/// Turns raw values into components with the configured weights and midpoints.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scorer {
    weights: [f64; 4],
    /// `ln(1 + midpoint)` of each component.
    log_midpoints: [f64; 4],
}

impl Scorer {
    pub(crate) fn new(cfg: &ScoreWeights) -> Self {
        let total = cfg.centrality + cfg.reach + cfg.engagement + cfg.activity;
        let total = if total > 0.0 { total } else { 1.0 };
        Scorer {
            weights: [cfg.centrality / total, cfg.reach / total, cfg.engagement / total, cfg.activity / total],
            log_midpoints: [
                cfg.centrality_midpoint,
                cfg.reach_midpoint,
                cfg.engagement_midpoint,
                cfg.activity_midpoint,
            ]
            .map(f64::ln_1p),
        }
    }

    pub(crate) fn components(&self, raw: Raw) -> ScoreComponents {
        let c = |i: usize, value: f64| Component {
            value,
            normalized: saturate(value, self.log_midpoints[i]),
            weight: self.weights[i],
        };
        ScoreComponents {
            centrality: c(0, raw.centrality),
            reach: c(1, raw.reach),
            engagement: c(2, raw.engagement),
            activity: c(3, raw.activity),
        }
    }

    pub(crate) fn score(&self, raw: Raw) -> f64 {
        self.components(raw).score()
    }
}

/// `ln(1 + z) / (ln(1 + z) + ln(1 + midpoint))`, given `ln(1 + midpoint)`:
/// 0 at 0, 0.5 at the midpoint, towards 1 as `z` grows by orders of magnitude.
fn saturate(z: f64, log_midpoint: f64) -> f64 {
    if z.is_nan() || z <= 0.0 {
        return 0.0;
    }
    let l = z.ln_1p();
    l / (l + log_midpoint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scorer() -> Scorer {
        Scorer::new(&ScoreWeights::default())
    }

    #[test]
    fn a_component_scores_half_at_its_midpoint() {
        let log5 = 5.0f64.ln_1p();
        assert_eq!(saturate(0.0, log5), 0.0);
        assert!((saturate(5.0, log5) - 0.5).abs() < 1e-12);
        assert!(saturate(1e9, log5) > 0.9);
        let c = scorer().components(Raw { centrality: 20.0, reach: 10_000.0, engagement: 50.0, activity: 5.0 });
        assert!((c.score() - 0.5).abs() < 1e-12);
        let w = c.centrality.weight + c.reach.weight + c.engagement.weight + c.activity.weight;
        assert!((w - 1.0).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn scores_stay_in_unit_range_and_grow_with_each_component(
            a in 0.0f64..1e6, b in 0.0f64..1e9, c in 0.0f64..1e6, d in 0.0f64..1e6,
            bump in 0.001f64..1e3, which in 0usize..4,
        ) {
            let s = scorer();
            let raw = Raw { centrality: a, reach: b, engagement: c, activity: d };
            let base = s.score(raw);
            prop_assert!((0.0..=1.0).contains(&base));
            let mut more = raw;
            match which {
                0 => more.centrality += bump,
                1 => more.reach += bump,
                2 => more.engagement += bump,
                _ => more.activity += bump,
            }
            prop_assert!(s.score(more) >= base);
        }
    }
}
