//! Multinomial logistic regression fitted with L-BFGS.
//!
//! Minimises `C · Σ cross-entropy + ½ ‖W‖²` (the bias is not penalised)
//! over a sparse design matrix with compact column ids.

/// Number of classes (negative, neutral, positive).
pub(crate) const CLASSES: usize = 3;

/// Sparse rows: row `i` holds `cols[rows[i]..rows[i+1]]` with `vals`.
pub(crate) struct Design {
    pub(crate) rows: Vec<usize>,
    pub(crate) cols: Vec<u32>,
    pub(crate) vals: Vec<f64>,
    pub(crate) labels: Vec<usize>,
    /// Weight of each row in the loss.
    pub(crate) weights: Vec<f64>,
    pub(crate) columns: usize,
    /// Scale of each weight, `scales[col * CLASSES + class]` (empty: 1
    /// each): the fitted weight is the parameter times its scale, so a
    /// large scale loosens the L2 penalty on that weight.
    pub(crate) scales: Vec<f64>,
}

/// Fitted weights (parameters times their scales): `weights[col * CLASSES + class]`, then the bias.
pub(crate) struct Fit {
    pub(crate) weights: Vec<f64>,
    pub(crate) bias: [f64; CLASSES],
}

/// Loss and gradient at `theta` (weights then bias).
fn loss_and_gradient(design: &Design, c: f64, theta: &[f64], grad: &mut [f64]) -> f64 {
    let bias_at = design.columns * CLASSES;
    grad.iter_mut().for_each(|g| *g = 0.0);
    let mut loss = 0.0;
    for (i, &label) in design.labels.iter().enumerate() {
        let span = design.rows[i]..design.rows[i + 1];
        let mut z = [0.0f64; CLASSES];
        z.copy_from_slice(&theta[bias_at..bias_at + CLASSES]);
        for (&col, &val) in design.cols[span.clone()].iter().zip(&design.vals[span.clone()]) {
            let at = col as usize * CLASSES;
            let w = &theta[at..][..CLASSES];
            match design.scales.get(at..at + CLASSES) {
                Some(s) => (0..CLASSES).for_each(|k| z[k] += w[k] * s[k] * val),
                None => (0..CLASSES).for_each(|k| z[k] += w[k] * val),
            }
        }
        let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = z.iter().map(|v| (v - max).exp()).sum();
        let log_norm = max + sum.ln();
        let weight = design.weights[i];
        loss += weight * (log_norm - z[label]);
        let mut dz = [0.0f64; CLASSES];
        for k in 0..CLASSES {
            dz[k] = c * weight * ((z[k] - log_norm).exp() - f64::from(u8::from(k == label)));
        }
        for (&col, &val) in design.cols[span.clone()].iter().zip(&design.vals[span]) {
            let at = col as usize * CLASSES;
            let g = &mut grad[at..][..CLASSES];
            match design.scales.get(at..at + CLASSES) {
                Some(s) => (0..CLASSES).for_each(|k| g[k] += dz[k] * s[k] * val),
                None => (0..CLASSES).for_each(|k| g[k] += dz[k] * val),
            }
        }
        for k in 0..CLASSES {
            grad[bias_at + k] += dz[k];
        }
    }
    let mut penalty = 0.0;
    for (g, w) in grad[..bias_at].iter_mut().zip(&theta[..bias_at]) {
        penalty += w * w;
        *g += w;
    }
    c * loss + 0.5 * penalty
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The L-BFGS two-loop recursion: `direction` = -H·`grad`, H the inverse Hessian that the
/// step and gradient-change histories approximate (a scaled steepest descent without history).
fn lbfgs_direction(grad: &[f64], s_hist: &[Vec<f64>], y_hist: &[Vec<f64>], direction: &mut [f64]) {
    direction.copy_from_slice(grad);
    let mut alphas = Vec::with_capacity(s_hist.len());
    for (s, y) in s_hist.iter().zip(y_hist).rev() {
        let a = dot(s, direction) / dot(y, s);
        direction.iter_mut().zip(y).for_each(|(d, yi)| *d -= a * yi);
        alphas.push(a);
    }
    if let (Some(s), Some(y)) = (s_hist.last(), y_hist.last()) {
        let gamma = dot(s, y) / dot(y, y);
        direction.iter_mut().for_each(|d| *d *= gamma);
    } else {
        let scale = 1.0 / dot(grad, grad).sqrt().max(1e-12);
        direction.iter_mut().for_each(|d| *d *= scale);
    }
    for ((s, y), a) in s_hist.iter().zip(y_hist).zip(alphas.iter().rev()) {
        let b = dot(y, direction) / dot(y, s);
        direction.iter_mut().zip(s).for_each(|(d, si)| *d += (a - b) * si);
    }
    direction.iter_mut().for_each(|d| *d = -*d);
}

/// Fits the model; stops after `max_iterations` or when the gradient is tiny.
/// `on_iteration` hears the iteration number and the loss after each step.
pub(crate) fn fit(design: &Design, c: f64, max_iterations: usize, on_iteration: &mut dyn FnMut(usize, f64)) -> Fit {
    const HISTORY: usize = 10;
    let n = design.columns * CLASSES + CLASSES;
    let mut theta = vec![0.0; n];
    let mut grad = vec![0.0; n];
    let mut loss = loss_and_gradient(design, c, &theta, &mut grad);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut direction = vec![0.0; n];
    let mut next = vec![0.0; n];
    let mut next_grad = vec![0.0; n];
    for iteration in 1..=max_iterations {
        let grad_norm = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        if grad_norm < 1e-5 {
            break;
        }
        lbfgs_direction(&grad, &s_hist, &y_hist, &mut direction);
        let slope = dot(&grad, &direction);
        if slope >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            s_hist.clear();
            y_hist.clear();
            continue;
        }
        // Backtracking line search (Armijo).
        let mut step = 1.0;
        let mut next_loss = f64::INFINITY;
        for _ in 0..40 {
            next.iter_mut().zip(&theta).zip(&direction).for_each(|((x, t), d)| *x = t + step * d);
            next_loss = loss_and_gradient(design, c, &next, &mut next_grad);
            if next_loss <= loss + 1e-4 * step * slope {
                break;
            }
            step *= 0.5;
        }
        if next_loss >= loss {
            break;
        }
        let s: Vec<f64> = next.iter().zip(&theta).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = next_grad.iter().zip(&grad).map(|(a, b)| a - b).collect();
        let improvement = (loss - next_loss) / loss.abs().max(1.0);
        std::mem::swap(&mut theta, &mut next);
        std::mem::swap(&mut grad, &mut next_grad);
        loss = next_loss;
        on_iteration(iteration, loss);
        if dot(&s, &y) > 1e-10 {
            if s_hist.len() == HISTORY {
                s_hist.remove(0);
                y_hist.remove(0);
            }
            s_hist.push(s);
            y_hist.push(y);
        }
        if improvement < 1e-9 {
            break;
        }
    }
    let bias_at = design.columns * CLASSES;
    let mut bias = [0.0; CLASSES];
    bias.copy_from_slice(&theta[bias_at..]);
    theta.truncate(bias_at);
    theta.iter_mut().zip(&design.scales).for_each(|(w, s)| *w *= s);
    Fit { weights: theta, bias }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_classes_are_learned() {
        // Column k alone marks class k.
        let design = Design {
            rows: vec![0, 1, 2, 3, 4, 5, 6],
            cols: vec![0, 1, 2, 0, 1, 2],
            vals: vec![1.0; 6],
            labels: vec![0, 1, 2, 0, 1, 2],
            weights: vec![1.0; 6],
            columns: 3,
            scales: Vec::new(),
        };
        let fit = fit(&design, 10.0, 200, &mut |_, _| {});
        for k in 0..CLASSES {
            let row = &fit.weights[k * CLASSES..][..CLASSES];
            let best = (0..CLASSES).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
            assert_eq!(best, k);
        }
    }
}
