//! Limited-memory BFGS with a strong-Wolfe line search (Nocedal & Wright 2006, *Numerical
//! Optimization*, Alg. 7.4 two-loop recursion, Alg. 3.5/3.6 line search and zoom, eq. 3.59
//! cubic interpolation).
//!
//! Why hand-written rather than `argmin`: the multi-start protocol of Besiroglu et al. 2024
//! launches L-BFGS from 4500 starts, many far from any minimum (a = 25, α = 0, …). argmin's
//! executor propagates a failed line search as an `Err` and drops the iterate reached so far,
//! whereas the fitters here must report a non-converged start *with its best attempt*
//! (`docs/science/conventions.md` §7). The problems are tiny (3 to 5 parameters), so ~200 lines of textbook
//! code also keep the dependency tree and compile time small and the result deterministic.

/// Settings of one L-BFGS run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LbfgsSettings {
    /// number of (s, y) correction pairs kept
    pub memory: usize,
    /// iteration limit; reaching it means "not converged"
    pub max_iterations: usize,
    /// converged when the largest gradient component is at most this
    pub gradient_tolerance: f64,
    /// converged when an accepted step lowers the objective by at most this fraction of it
    pub relative_objective_tolerance: f64,
    /// when no step lowers the objective any more (rounding), the run still counts as
    /// converged if the largest gradient component is at most this (scipy's `pgtol`)
    pub rounding_gradient_tolerance: f64,
}

impl Default for LbfgsSettings {
    fn default() -> Self {
        // Tighter than scipy's L-BFGS-B defaults (pgtol 1e-5, factr·eps ≈ 2.2e-9 absolute):
        // those stop at objective differences of ~1e-9, too coarse for a Huber sum of ~1e-3
        // that must match the reference to 1e-8.
        Self {
            memory: 10,
            max_iterations: 2000,
            gradient_tolerance: 1e-10,
            relative_objective_tolerance: 1e-13,
            rounding_gradient_tolerance: 1e-5,
        }
    }
}

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// the gradient fell below the tolerance
    SmallGradient,
    /// an accepted step no longer lowered the objective noticeably
    StalledObjective,
    /// the iteration limit was reached
    IterationLimit,
    /// no step along steepest descent lowered the objective in floating point, with the
    /// gradient below `rounding_gradient_tolerance`: the minimum up to rounding
    RoundingLimited,
    /// no step along steepest descent lowered the objective, with a larger gradient
    LineSearchFailed,
    /// the objective or gradient was not finite at the start
    NonFiniteStart,
}

impl Termination {
    /// Whether the stop counts as convergence.
    pub fn converged(self) -> bool {
        matches!(
            self,
            Termination::SmallGradient
                | Termination::StalledObjective
                | Termination::RoundingLimited
        )
    }
}

/// The end point of one run: always the best point reached, converged or not.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// the best point reached
    pub point: Vec<f64>,
    /// the objective there
    pub value: f64,
    /// largest absolute gradient component there
    pub gradient_norm: f64,
    /// iterations taken
    pub iterations: usize,
    /// why the run stopped
    pub termination: Termination,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// One evaluated point along the search line x + t·d.
#[derive(Clone)]
struct Trial {
    step: f64,
    value: f64,
    slope: f64,
    gradient: Vec<f64>,
}

/// Minimise `objective`, which returns f(x) and writes ∇f(x) into its second argument.
pub fn minimize<F>(mut objective: F, start: &[f64], settings: &LbfgsSettings) -> Minimum
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = start.len();
    let mut point = start.to_vec();
    let mut gradient = vec![0.0; n];
    let mut value = objective(&point, &mut gradient);
    let finish = |point: Vec<f64>, value, gradient: &[f64], iterations, termination| Minimum {
        point,
        value,
        gradient_norm: max_abs(gradient),
        iterations,
        termination,
    };
    if !value.is_finite() || gradient.iter().any(|g| !g.is_finite()) {
        return finish(point, value, &gradient, 0, Termination::NonFiniteStart);
    }
    let mut history: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> =
        std::collections::VecDeque::with_capacity(settings.memory);
    let mut direction = vec![0.0; n];
    let mut alphas = vec![0.0; settings.memory];
    for iteration in 0..settings.max_iterations {
        if max_abs(&gradient) <= settings.gradient_tolerance {
            return finish(
                point,
                value,
                &gradient,
                iteration,
                Termination::SmallGradient,
            );
        }
        two_loop(&history, &gradient, &mut direction, &mut alphas);
        let mut slope = dot(&direction, &gradient);
        if slope.is_nan() || slope >= 0.0 {
            // The quasi-Newton direction is not a descent direction (curvature pairs gone
            // stale): forget them and fall back to steepest descent.
            history.clear();
            direction
                .iter_mut()
                .zip(&gradient)
                .for_each(|(d, g)| *d = -g);
            slope = -dot(&gradient, &gradient);
        }
        let initial_step = if history.is_empty() {
            (1.0 / dot(&direction, &direction).sqrt()).min(1.0)
        } else {
            1.0
        };
        let trial = match line_search(
            &mut objective,
            &point,
            value,
            slope,
            &direction,
            initial_step,
        ) {
            Some(trial) => trial,
            None if !history.is_empty() => {
                history.clear();
                continue;
            }
            None => {
                // Near a minimum of a sum of ~10⁻³ the decrease g²/(2H) falls below the
                // objective's rounding error before the gradient reaches 1e-10.
                let termination = if max_abs(&gradient) <= settings.rounding_gradient_tolerance {
                    Termination::RoundingLimited
                } else {
                    Termination::LineSearchFailed
                };
                return finish(point, value, &gradient, iteration, termination);
            }
        };
        let step: Vec<f64> = direction.iter().map(|d| trial.step * d).collect();
        let change: Vec<f64> = trial
            .gradient
            .iter()
            .zip(&gradient)
            .map(|(a, b)| a - b)
            .collect();
        let curvature = dot(&step, &change);
        // Skip pairs without positive curvature so the implicit Hessian stays positive definite.
        if curvature > f64::EPSILON * dot(&change, &change) {
            if history.len() == settings.memory {
                history.pop_front();
            }
            history.push_back((step.clone(), change, 1.0 / curvature));
        }
        point.iter_mut().zip(&step).for_each(|(x, s)| *x += s);
        let decrease = value - trial.value;
        value = trial.value;
        gradient = trial.gradient;
        if decrease <= settings.relative_objective_tolerance * value.abs() {
            return finish(
                point,
                value,
                &gradient,
                iteration + 1,
                Termination::StalledObjective,
            );
        }
    }
    let iterations = settings.max_iterations;
    let termination = if max_abs(&gradient) <= settings.gradient_tolerance {
        Termination::SmallGradient
    } else {
        Termination::IterationLimit
    };
    finish(point, value, &gradient, iterations, termination)
}

/// d = −H·g by the two-loop recursion, with H₀ = (sᵀy / yᵀy)·I from the newest pair.
fn two_loop(
    history: &std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)>,
    gradient: &[f64],
    direction: &mut [f64],
    alphas: &mut [f64],
) {
    direction
        .iter_mut()
        .zip(gradient)
        .for_each(|(d, g)| *d = -g);
    for (k, (s, y, rho)) in history.iter().enumerate().rev() {
        let alpha = rho * dot(s, direction);
        alphas[k] = alpha;
        direction
            .iter_mut()
            .zip(y)
            .for_each(|(d, yi)| *d -= alpha * yi);
    }
    if let Some((s, y, _)) = history.back() {
        let scale = dot(s, y) / dot(y, y);
        direction.iter_mut().for_each(|d| *d *= scale);
    }
    for (k, (s, y, rho)) in history.iter().enumerate() {
        let beta = rho * dot(y, direction);
        let alpha = alphas[k];
        direction
            .iter_mut()
            .zip(s)
            .for_each(|(d, si)| *d += (alpha - beta) * si);
    }
}

const SUFFICIENT_DECREASE: f64 = 1e-4;
const CURVATURE: f64 = 0.9;

/// Strong-Wolfe line search; returns an accepted trial (at least sufficient decrease) or None.
fn line_search<F>(
    objective: &mut F,
    point: &[f64],
    value: f64,
    slope: f64,
    direction: &[f64],
    initial_step: f64,
) -> Option<Trial>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let mut buffer = vec![0.0; point.len()];
    let mut evaluate = |step: f64| {
        let trial_point: Vec<f64> = point
            .iter()
            .zip(direction)
            .map(|(x, d)| x + step * d)
            .collect();
        let trial_value = objective(&trial_point, &mut buffer);
        let finite = trial_value.is_finite() && buffer.iter().all(|g| g.is_finite());
        Trial {
            step,
            value: if finite { trial_value } else { f64::INFINITY },
            slope: if finite {
                dot(&buffer, direction)
            } else {
                f64::NAN
            },
            gradient: buffer.clone(),
        }
    };
    let armijo = |trial: &Trial| trial.value <= value + SUFFICIENT_DECREASE * trial.step * slope;
    let mut previous = Trial {
        step: 0.0,
        value,
        slope,
        gradient: Vec::new(),
    };
    let mut step = initial_step;
    for bracket_round in 0..40 {
        let trial = evaluate(step);
        if !armijo(&trial) || (bracket_round > 0 && trial.value >= previous.value) {
            return zoom(&mut evaluate, &armijo, slope, previous, trial);
        }
        if trial.slope.abs() <= -CURVATURE * slope {
            return Some(trial);
        }
        if trial.slope >= 0.0 {
            return zoom(&mut evaluate, &armijo, slope, trial, previous);
        }
        previous = trial;
        step *= 2.0;
    }
    Some(previous).filter(|p| p.step > 0.0)
}

/// Shrink [low, high] (low satisfies sufficient decrease) until a strong-Wolfe point is found.
fn zoom<E, A>(evaluate: &mut E, armijo: &A, slope: f64, low: Trial, high: Trial) -> Option<Trial>
where
    E: FnMut(f64) -> Trial,
    A: Fn(&Trial) -> bool,
{
    let (mut low, mut high) = (low, high);
    for _ in 0..60 {
        let width = high.step - low.step;
        if width.abs() <= 1e-16 * low.step.abs().max(high.step.abs()) {
            break;
        }
        let step = interpolate(&low, &high).unwrap_or(low.step + 0.5 * width);
        let trial = evaluate(step);
        if !armijo(&trial) || trial.value >= low.value {
            high = trial;
        } else {
            if trial.slope.abs() <= -CURVATURE * slope {
                return Some(trial);
            }
            if trial.slope * (high.step - low.step) >= 0.0 {
                high = low;
            }
            low = trial;
        }
    }
    // Sufficient decrease without the curvature condition still makes progress.
    Some(low).filter(|l| l.step > 0.0)
}

/// Minimiser of the cubic through both ends (N&W eq. 3.59), if it lies well inside.
fn interpolate(low: &Trial, high: &Trial) -> Option<f64> {
    if !high.value.is_finite() {
        return None;
    }
    let d1 = low.slope + high.slope - 3.0 * (low.value - high.value) / (low.step - high.step);
    let radicand = d1 * d1 - low.slope * high.slope;
    if radicand.is_nan() || radicand < 0.0 {
        return None;
    }
    let d2 = (high.step - low.step).signum() * radicand.sqrt();
    let step = high.step
        - (high.step - low.step) * (high.slope + d2 - d1) / (high.slope - low.slope + 2.0 * d2);
    let (lo, hi) = (low.step.min(high.step), low.step.max(high.step));
    let margin = 0.1 * (hi - lo);
    (step.is_finite() && step >= lo + margin && step <= hi - margin).then_some(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rosenbrock(x: &[f64], g: &mut [f64]) -> f64 {
        g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
        g[1] = 200.0 * (x[1] - x[0] * x[0]);
        (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
    }

    #[test]
    fn rosenbrock_minimum_is_found() {
        let result = minimize(rosenbrock, &[-1.2, 1.0], &LbfgsSettings::default());
        assert!(result.termination.converged(), "{result:?}");
        assert!((result.point[0] - 1.0).abs() < 1e-6 && (result.point[1] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn iteration_limit_is_reported_as_not_converged_with_best_point() {
        let settings = LbfgsSettings {
            max_iterations: 3,
            ..LbfgsSettings::default()
        };
        let result = minimize(rosenbrock, &[-1.2, 1.0], &settings);
        assert_eq!(result.termination, Termination::IterationLimit);
        assert!(!result.termination.converged());
        assert!(result.value < rosenbrock(&[-1.2, 1.0], &mut [0.0; 2]));
    }

    #[test]
    fn non_finite_start_is_reported() {
        let result = minimize(
            |_, g| {
                g[0] = 0.0;
                f64::NAN
            },
            &[0.0],
            &LbfgsSettings::default(),
        );
        assert_eq!(result.termination, Termination::NonFiniteStart);
    }
}
