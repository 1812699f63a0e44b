//! How surprising a term's frequency in a period is, given a baseline period.
//!
//! The score is Dunning's log-likelihood ratio G² over the 2×2 table (mentions with and without
//! the term, in the period and in the baseline). It is 0 when the term is as frequent in both
//! periods, grows with the evidence that it is not, and is comparable across terms: it is the
//! statistic behind "keyness" in corpus linguistics and one of the heuristics of Elasticsearch's
//! `significant_terms`.

/// G² of a term found in `count` of `total` mentions of the period and in `baseline_count` of
/// `baseline_total` mentions of the baseline. 0 for an empty side or equal proportions.
pub(crate) fn log_likelihood(count: u64, total: u64, baseline_count: u64, baseline_total: u64) -> f64 {
    if total == 0 || baseline_total == 0 {
        return 0.0;
    }
    let (a, b) = (count.min(total) as f64, baseline_count.min(baseline_total) as f64);
    let (c, d) = (total as f64 - a, baseline_total as f64 - b);
    let n = a + b + c + d;
    let with = a + b;
    let without = c + d;
    let term = |observed: f64, row: f64, column: f64| {
        let expected = row * column / n;
        if observed > 0.0 && expected > 0.0 {
            observed * (observed / expected).ln()
        } else {
            0.0
        }
    };
    let g2 = 2.0
        * (term(a, with, total as f64)
            + term(b, with, baseline_total as f64)
            + term(c, without, total as f64)
            + term(d, without, baseline_total as f64));
    // Rounding can leave a tiny negative value where the exact one is 0.
    g2.max(0.0)
}

/// Whether the term is more frequent in the period than in the baseline.
pub(crate) fn over_represented(count: u64, total: u64, baseline_count: u64, baseline_total: u64) -> bool {
    (count as u128) * (baseline_total as u128) > (baseline_count as u128) * (total as u128)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_burst_scores_far_above_a_steady_term() {
        let burst = log_likelihood(60, 500, 2, 450);
        let steady = log_likelihood(50, 500, 46, 450);
        assert!(burst > 50.0, "{burst}");
        assert!(steady < 1.0, "{steady}");
        assert!(over_represented(60, 500, 2, 450));
        assert!(!over_represented(2, 500, 60, 450));
    }

    #[test]
    fn matches_the_textbook_value() {
        // a=10 of 100 against b=2 of 100: G² = 6.163 (computed by hand from the 2×2 table).
        let g2 = log_likelihood(10, 100, 2, 100);
        assert!((g2 - 6.163).abs() < 0.01, "{g2}");
    }

    proptest! {
        #[test]
        fn score_is_zero_when_both_periods_have_the_same_distribution(
            count in 0u64..1_000, extra in 0u64..1_000, factor in 1u64..50,
        ) {
            let total = count + extra;
            prop_assume!(total > 0);
            let g2 = log_likelihood(count, total, count * factor, total * factor);
            prop_assert!(g2.abs() < 1e-6, "{}", g2);
        }

        #[test]
        fn score_is_non_negative_and_symmetric_in_the_periods(
            a in 0u64..500, c in 0u64..500, b in 0u64..500, d in 0u64..500,
        ) {
            let g2 = log_likelihood(a, a + c, b, b + d);
            prop_assert!(g2 >= 0.0);
            let swapped = log_likelihood(b, b + d, a, a + c);
            prop_assert!((g2 - swapped).abs() < 1e-6 * (1.0 + g2));
        }
    }
}
