//! A small Levenberg–Marquardt least-squares solver for problems with a handful of parameters.
//!
//! Minimises F(θ) = ½‖r(θ)‖² with the damped Gauss–Newton step (JᵀJ + μ·S)h = −Jᵀr, where S
//! is Marquardt's diagonal scaling (the running maximum of diag JᵀJ, as MINPACK does; Moré
//! 1978) and μ follows Nielsen's update (Madsen, Nielsen & Tingleff 2004, "Methods for
//! non-linear least squares problems", Alg. 3.16 and eq. 3.14). It stands in for the
//! `scipy.optimize.curve_fit` refinement (MINPACK lmdif) of Caballero et al. 2022; with at
//! most a dozen parameters a dense Cholesky solve is all the linear algebra needed.

/// Settings of the solver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevenbergMarquardtSettings {
    /// iteration limit; reaching it means "not converged"
    pub max_iterations: usize,
    /// converged when an accepted step and its prediction both lower F by at most this fraction
    pub relative_cost_tolerance: f64,
    /// converged when the step is at most this fraction of the parameter vector's norm
    pub relative_step_tolerance: f64,
    /// converged when the largest component of Jᵀr is at most this
    pub gradient_tolerance: f64,
}

impl Default for LevenbergMarquardtSettings {
    fn default() -> Self {
        // MINPACK's defaults are ftol = xtol = 1.49e-8; tighter here because the refined fit
        // is compared with the reference to three or more significant digits.
        Self {
            max_iterations: 10_000,
            relative_cost_tolerance: 1e-14,
            relative_step_tolerance: 1e-12,
            gradient_tolerance: 0.0,
        }
    }
}

/// The best point reached, converged or not.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LeastSquaresMinimum {
    pub(crate) point: Vec<f64>,
    /// ½‖r‖² at `point`
    pub(crate) cost: f64,
    pub(crate) iterations: usize,
    pub(crate) converged: bool,
}

/// Solve (M)x = rhs in place for a symmetric positive-definite n×n row-major M; false if M is
/// not numerically positive definite.
fn cholesky_solve(matrix: &mut [f64], n: usize, rhs: &mut [f64]) -> bool {
    for j in 0..n {
        let mut diagonal = matrix[j * n + j];
        for k in 0..j {
            diagonal -= matrix[j * n + k] * matrix[j * n + k];
        }
        if diagonal.is_nan() || diagonal <= 0.0 {
            return false;
        }
        let diagonal = diagonal.sqrt();
        matrix[j * n + j] = diagonal;
        for i in j + 1..n {
            let mut value = matrix[i * n + j];
            for k in 0..j {
                value -= matrix[i * n + k] * matrix[j * n + k];
            }
            matrix[i * n + j] = value / diagonal;
        }
    }
    for i in 0..n {
        for k in 0..i {
            rhs[i] -= matrix[i * n + k] * rhs[k];
        }
        rhs[i] /= matrix[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            rhs[i] -= matrix[k * n + i] * rhs[k];
        }
        rhs[i] /= matrix[i * n + i];
    }
    true
}

/// JᵀJ (row-major n×n) and Jᵀr for a row-major m×n Jacobian.
fn normal_equations(jacobian: &[f64], residuals: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut product = vec![0.0; n * n];
    let mut gradient = vec![0.0; n];
    for (row, &r) in jacobian.chunks_exact(n).zip(residuals) {
        for p in 0..n {
            gradient[p] += row[p] * r;
            for q in 0..=p {
                product[p * n + q] += row[p] * row[q];
            }
        }
    }
    for p in 0..n {
        for q in 0..p {
            product[q * n + p] = product[p * n + q];
        }
    }
    (product, gradient)
}

/// Minimise ½‖r(θ)‖². `model(θ, r, J)` fills the m residuals and the row-major m×n Jacobian.
pub(crate) fn least_squares<F>(
    mut model: F,
    start: &[f64],
    n_residuals: usize,
    settings: &LevenbergMarquardtSettings,
) -> LeastSquaresMinimum
where
    F: FnMut(&[f64], &mut [f64], &mut [f64]),
{
    let n = start.len();
    let mut point = start.to_vec();
    let mut residuals = vec![0.0; n_residuals];
    let mut jacobian = vec![0.0; n_residuals * n];
    model(&point, &mut residuals, &mut jacobian);
    let half_norm = |r: &[f64]| 0.5 * r.iter().map(|v| v * v).sum::<f64>();
    let mut cost = half_norm(&residuals);
    let finish = |point, cost, iterations, converged| LeastSquaresMinimum {
        point,
        cost,
        iterations,
        converged,
    };
    if !cost.is_finite() || jacobian.iter().any(|v| !v.is_finite()) {
        return finish(point, cost, 0, false);
    }
    let (mut product, mut gradient) = normal_equations(&jacobian, &residuals, n);
    let mut scale: Vec<f64> = (0..n)
        .map(|p| {
            if product[p * n + p] > 0.0 {
                product[p * n + p]
            } else {
                1.0
            }
        })
        .collect();
    let mut damping = 1e-3;
    let mut growth = 2.0;
    let mut trial_residuals = vec![0.0; n_residuals];
    let mut trial_jacobian = vec![0.0; n_residuals * n];
    for iteration in 0..settings.max_iterations {
        if cost == 0.0
            || gradient
                .iter()
                .all(|g| g.abs() <= settings.gradient_tolerance)
        {
            return finish(point, cost, iteration, true);
        }
        let mut system = product.clone();
        for p in 0..n {
            system[p * n + p] += damping * scale[p];
        }
        let mut step: Vec<f64> = gradient.iter().map(|g| -g).collect();
        if !cholesky_solve(&mut system, n, &mut step) {
            damping *= growth;
            growth *= 2.0;
            continue;
        }
        let step_norm = step.iter().map(|h| h * h).sum::<f64>().sqrt();
        let point_norm = point.iter().map(|x| x * x).sum::<f64>().sqrt();
        if step_norm
            <= settings.relative_step_tolerance * (point_norm + settings.relative_step_tolerance)
        {
            return finish(point, cost, iteration, true);
        }
        let trial: Vec<f64> = point.iter().zip(&step).map(|(x, h)| x + h).collect();
        model(&trial, &mut trial_residuals, &mut trial_jacobian);
        let trial_cost = half_norm(&trial_residuals);
        // Predicted decrease of the local quadratic model: ½hᵀ(μSh − Jᵀr) (MNT 2004, eq. 3.14).
        let predicted: f64 = 0.5
            * (0..n)
                .map(|p| step[p] * (damping * scale[p] * step[p] - gradient[p]))
                .sum::<f64>();
        let finite = trial_cost.is_finite() && trial_jacobian.iter().all(|v| v.is_finite());
        let gain = if finite {
            (cost - trial_cost) / predicted
        } else {
            -1.0
        };
        if gain > 0.0 {
            let actual_fraction = (cost - trial_cost) / cost;
            let predicted_fraction = predicted / cost;
            point = trial;
            cost = trial_cost;
            std::mem::swap(&mut residuals, &mut trial_residuals);
            std::mem::swap(&mut jacobian, &mut trial_jacobian);
            (product, gradient) = normal_equations(&jacobian, &residuals, n);
            for p in 0..n {
                scale[p] = scale[p].max(product[p * n + p]);
            }
            damping *= (1.0 - (2.0 * gain - 1.0).powi(3)).max(1.0 / 3.0);
            growth = 2.0;
            if actual_fraction <= settings.relative_cost_tolerance
                && predicted_fraction <= settings.relative_cost_tolerance
            {
                return finish(point, cost, iteration + 1, true);
            }
        } else {
            damping *= growth;
            growth *= 2.0;
            if !damping.is_finite() {
                return finish(point, cost, iteration + 1, false);
            }
        }
    }
    finish(point, cost, settings.max_iterations, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_small_system() {
        let mut m = vec![4.0, 2.0, 2.0, 3.0];
        let mut rhs = vec![2.0, 1.0];
        assert!(cholesky_solve(&mut m, 2, &mut rhs));
        // [[4,2],[2,3]]·[0.5, 0] = [2, 1]
        assert!((rhs[0] - 0.5).abs() < 1e-15 && rhs[1].abs() < 1e-15);
    }

    #[test]
    fn exponential_decay_is_fitted() {
        let t: Vec<f64> = (0..20).map(|i| i as f64 * 0.25).collect();
        let y: Vec<f64> = t.iter().map(|&s| 3.0 * (-0.7 * s).exp() + 0.5).collect();
        let result = least_squares(
            |p, r, j| {
                for (i, &s) in t.iter().enumerate() {
                    let e = (-p[1] * s).exp();
                    r[i] = p[0] * e + p[2] - y[i];
                    j[i * 3] = e;
                    j[i * 3 + 1] = -p[0] * s * e;
                    j[i * 3 + 2] = 1.0;
                }
            },
            &[1.0, 0.1, 0.0],
            t.len(),
            &LevenbergMarquardtSettings::default(),
        );
        assert!(result.converged, "{result:?}");
        for (got, want) in result.point.iter().zip([3.0, 0.7, 0.5]) {
            assert!((got - want).abs() < 1e-9, "{result:?}");
        }
    }
}
