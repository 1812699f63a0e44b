//! The upper tail of the Poisson distribution, for judging counts against a baseline.

/// `P(X ≥ observed)` for `X` Poisson with mean `expected`: how improbable it
/// is to count at least `observed` when the baseline expects `expected`.
/// `observed` is rounded to a whole count; 1 when it is 0 or less.
pub fn poisson_tail(observed: f64, expected: f64) -> f64 {
    let k = observed.round();
    if k <= 0.0 || !k.is_finite() {
        return 1.0;
    }
    if expected <= 0.0 || expected.is_nan() {
        return 0.0;
    }
    // P(X ≥ k) = P(k, λ), the regularised lower incomplete gamma function.
    regularized_lower_gamma(k, expected).clamp(0.0, 1.0)
}

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, nine terms; about 15 digits).
fn ln_gamma(x: f64) -> f64 {
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// P(a, x) = γ(a, x) / Γ(a): a series below `a + 1`, a continued fraction above.
fn regularized_lower_gamma(a: f64, x: f64) -> f64 {
    const EPS: f64 = 1e-15;
    const MAX_ITER: usize = 10_000;
    let prefix = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut n = a;
        for _ in 0..MAX_ITER {
            n += 1.0;
            term *= x / n;
            sum += term;
            if term.abs() < sum.abs() * EPS {
                break;
            }
        }
        sum * prefix
    } else {
        // Lentz's method for the continued fraction of Q(a, x).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..MAX_ITER {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let step = d * c;
            h *= step;
            if (step - 1.0).abs() < EPS {
                break;
            }
        }
        1.0 - prefix * h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The tail summed term by term.
    fn direct(k: u32, lambda: f64) -> f64 {
        let mut p = (-lambda).exp();
        let mut below = 0.0;
        for j in 0..k {
            below += p;
            p *= lambda / f64::from(j + 1);
        }
        1.0 - below
    }

    #[test]
    fn matches_known_values() {
        assert_eq!(poisson_tail(0.0, 3.0), 1.0);
        assert_eq!(poisson_tail(1.0, 0.0), 0.0);
        assert!((poisson_tail(1.0, 2.0) - (1.0 - (-2.0f64).exp())).abs() < 1e-12);
        // Three crisis words when 0.1 was expected: improbable, but counted by the minimum volume, not here.
        assert!((poisson_tail(3.0, 0.1) - direct(3, 0.1)).abs() < 1e-12);
        // 120 when 100 were expected: z = 2, about 2.8 %.
        assert!((poisson_tail(120.0, 100.0) - 0.0282).abs() < 1e-3);
        assert!(poisson_tail(5000.0, 100.0) < 1e-300_f64.max(0.0) + 1e-200);
    }

    proptest! {
        #[test]
        fn agrees_with_the_direct_sum_and_falls_with_the_count(k in 1u32..60, lambda in 0.01f64..40.0) {
            let tail = poisson_tail(f64::from(k), lambda);
            prop_assert!((tail - direct(k, lambda)).abs() < 1e-9, "{tail} vs {}", direct(k, lambda));
            prop_assert!(poisson_tail(f64::from(k + 1), lambda) <= tail);
        }
    }
}
