//! Approach 3 fitted as Besiroglu et al. 2024 do: log-space LSE prediction, Huber sum with
//! δ = 10⁻³ on (LSE − ln L), analytic gradient, L-BFGS from Hoffmann's 4500-start grid.

use super::{ChinchillaParameters, CHINCHILLA_COMPUTE};
use crate::error::Result;
use crate::lbfgs::{minimize, LbfgsSettings, Termination};
use crate::log_sum_exp::LogSumExpObjective;
use crate::multistart::{minimize_from_starts, StartsSummary};
use crate::validate;

/// The initialisation grid; every combination is one start.
#[derive(Debug, Clone, PartialEq)]
pub struct ChinchillaStartGrid {
    /// values of α
    pub alpha: Vec<f64>,
    /// values of β
    pub beta: Vec<f64>,
    /// values of e = ln E
    pub log_e: Vec<f64>,
    /// values of a = ln A
    pub log_a: Vec<f64>,
    /// values of b = ln B
    pub log_b: Vec<f64>,
}

impl ChinchillaStartGrid {
    /// Hoffmann et al. 2022, App. D.2, as coded in the Epoch notebook (cell 18):
    /// α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −0.5, …, 1}, a, b ∈ {0, 5, …, 25}: 4500 starts.
    pub fn hoffmann() -> Self {
        let steps = |start: f64, step: f64, count: usize| -> Vec<f64> {
            (0..count).map(|i| start + step * i as f64).collect()
        };
        Self {
            alpha: steps(0.0, 0.5, 5),
            beta: steps(0.0, 0.5, 5),
            log_e: steps(-1.0, 0.5, 5),
            log_a: steps(0.0, 5.0, 6),
            log_b: steps(0.0, 5.0, 6),
        }
    }

    /// All starts, in the notebook's `itertools.product(alpha, beta, e, a, b)` order.
    pub fn starts(&self) -> Vec<ChinchillaParameters> {
        let mut starts = Vec::new();
        for &alpha in &self.alpha {
            for &beta in &self.beta {
                for &log_e in &self.log_e {
                    for &log_a in &self.log_a {
                        for &log_b in &self.log_b {
                            starts.push(ChinchillaParameters {
                                log_a,
                                log_b,
                                log_e,
                                alpha,
                                beta,
                            });
                        }
                    }
                }
            }
        }
        starts
    }
}

/// How to fit the Chinchilla form.
#[derive(Debug, Clone, PartialEq)]
pub struct ChinchillaOptions {
    /// δ of the Huber loss on log residuals (Besiroglu et al.: 10⁻³)
    pub huber_delta: f64,
    /// settings of each L-BFGS run
    pub lbfgs: LbfgsSettings,
    /// the multi-start grid
    pub starts: ChinchillaStartGrid,
    /// where bootstrap refits start; `None` starts them at the full-data fit. Besiroglu et al.
    /// start every resample at [`ChinchillaParameters::HOFFMANN`].
    pub bootstrap_start: Option<ChinchillaParameters>,
    /// the compute budget at which derived quantities (tokens per parameter) are reported
    pub compute_budget: f64,
}

impl Default for ChinchillaOptions {
    fn default() -> Self {
        Self {
            huber_delta: 1e-3,
            lbfgs: LbfgsSettings::default(),
            starts: ChinchillaStartGrid::hoffmann(),
            bootstrap_start: None,
            compute_budget: CHINCHILLA_COMPUTE,
        }
    }
}

/// The outcome of a fit; `parameters` is the best attempt even when `converged` is false.
#[derive(Debug, Clone, PartialEq)]
pub struct ChinchillaFit {
    /// the fitted parameters
    pub parameters: ChinchillaParameters,
    /// Σ Huber_δ(LSE − ln L) at the fit
    pub objective: f64,
    /// whether the reported run converged
    pub converged: bool,
    /// why the reported run stopped
    pub termination: Termination,
    /// how the runs from all starts ended (objective spread across starts)
    pub starts: StartsSummary,
}

fn objective(
    model_size: &[f64],
    tokens: &[f64],
    loss: &[f64],
    delta: f64,
) -> Result<LogSumExpObjective> {
    validate::same_length(model_size, tokens)?;
    validate::same_length(model_size, loss)?;
    validate::enough_points("the Chinchilla form", 6, loss.len())?;
    validate::positive_option("Huber delta", delta)?;
    let log_n = validate::logarithms("model size N", model_size)?;
    let log_d = validate::logarithms("tokens D", tokens)?;
    let log_loss = validate::logarithms("loss", loss)?;
    Ok(LogSumExpObjective::new(vec![log_n, log_d], log_loss, delta))
}

/// Fit L(N, D) = E + A/N^α + B/D^β from every start of the grid; keep the best converged run.
pub fn fit_chinchilla(
    model_size: &[f64],
    tokens: &[f64],
    loss: &[f64],
    options: &ChinchillaOptions,
) -> Result<ChinchillaFit> {
    let objective = objective(model_size, tokens, loss, options.huber_delta)?;
    let starts: Vec<Vec<f64>> = options
        .starts
        .starts()
        .into_iter()
        .map(ChinchillaParameters::to_vector)
        .collect();
    validate::enough_points("the start grid", 1, starts.len())?;
    let evaluate = |p: &[f64], g: &mut [f64]| objective.value_and_gradient(p, g);
    let (best, summary) = minimize_from_starts(&evaluate, &starts, &options.lbfgs);
    Ok(ChinchillaFit {
        parameters: ChinchillaParameters::from_vector(&best.point),
        objective: best.value,
        converged: best.termination.converged(),
        termination: best.termination,
        starts: summary,
    })
}

/// One L-BFGS run from `start`, as in the bootstrap of Besiroglu et al. (cell 21).
pub fn refit_chinchilla(
    model_size: &[f64],
    tokens: &[f64],
    loss: &[f64],
    start: &ChinchillaParameters,
    options: &ChinchillaOptions,
) -> Result<ChinchillaFit> {
    let objective = objective(model_size, tokens, loss, options.huber_delta)?;
    let run = minimize(
        |p, g| objective.value_and_gradient(p, g),
        &start.to_vector(),
        &options.lbfgs,
    );
    let converged = run.termination.converged();
    Ok(ChinchillaFit {
        parameters: ChinchillaParameters::from_vector(&run.point),
        objective: run.value,
        converged,
        termination: run.termination,
        starts: StartsSummary::single(run.value, converged),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hoffmann_grid_has_4500_starts() {
        let starts = ChinchillaStartGrid::hoffmann().starts();
        assert_eq!(starts.len(), 4500);
        assert_eq!(starts[1].log_b, 5.0);
        assert_eq!(starts[4499].alpha, 2.0);
    }

    #[test]
    fn iteration_limit_is_reported_with_the_best_attempt() {
        let (n, d): (Vec<f64>, Vec<f64>) = (0..20)
            .map(|i| (1e7 * 2f64.powi(i % 7), 1e9 * 3f64.powi(i / 7 + i % 3)))
            .unzip();
        let truth = ChinchillaParameters::from_coefficients(480.0, 2100.0, 1.8, 0.35, 0.37);
        let loss: Vec<f64> = n
            .iter()
            .zip(&d)
            .map(|(&a, &b)| truth.predict(a, b))
            .collect();
        let mut options = ChinchillaOptions::default();
        options.lbfgs.max_iterations = 2;
        options.starts = ChinchillaStartGrid {
            alpha: vec![0.5],
            beta: vec![0.5],
            log_e: vec![0.0],
            log_a: vec![10.0],
            log_b: vec![10.0],
        };
        let fit = fit_chinchilla(&n, &d, &loss, &options).unwrap();
        assert!(!fit.converged && fit.starts.converged == 0, "{fit:?}");
        assert_eq!(fit.termination, Termination::IterationLimit);
        assert!(fit.objective.is_finite() && fit.objective <= fit.starts.median_objective);
    }

    #[test]
    fn noiseless_data_are_fitted_exactly_from_a_small_grid() {
        let truth = ChinchillaParameters::from_coefficients(480.0, 2100.0, 1.8, 0.35, 0.37);
        let mut n = Vec::new();
        let mut d = Vec::new();
        for i in 0..8 {
            for j in 0..6 {
                n.push(1e7 * 3f64.powi(i));
                d.push(1e9 * 4f64.powi(j));
            }
        }
        let loss: Vec<f64> = n
            .iter()
            .zip(&d)
            .map(|(&a, &b)| truth.predict(a, b))
            .collect();
        let options = ChinchillaOptions {
            starts: ChinchillaStartGrid {
                alpha: vec![0.5],
                beta: vec![0.5],
                log_e: vec![0.0],
                log_a: vec![5.0, 10.0],
                log_b: vec![5.0, 10.0],
            },
            ..ChinchillaOptions::default()
        };
        let fit = fit_chinchilla(&n, &d, &loss, &options).unwrap();
        assert!(fit.converged && fit.objective < 1e-16, "{fit:?}");
        assert!((fit.parameters.alpha - 0.35).abs() < 1e-6, "{fit:?}");
        assert!((fit.parameters.beta - 0.37).abs() < 1e-6, "{fit:?}");
        assert!((fit.parameters.irreducible() - 1.8).abs() < 1e-6, "{fit:?}");
    }
}
