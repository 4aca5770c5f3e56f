//! Aggregate loss against parameters, steps and data: exponents by log-log OLS with SE and
//! bootstrap intervals, next to the quanta-model theory (`docs/science/quanta.md` §2).

use super::error::{Error, Result};
use serde::{Deserialize, Serialize};
use superscale_fit::{ols_log_log, run_bootstrap, BootstrapOptions};

/// α_N = α with α = code alpha − 1 (§2.1: n ∝ N and L(n) − L_∞ ∝ n^−α).
pub fn theory_parameter_exponent(code_alpha: f64) -> f64 {
    code_alpha - 1.0
}

/// α_S = α_D = α/(α + 1) (§2.1: a quantum needs ≈ τ examples, n ∝ (D/τ)^{1/(α+1)}).
pub fn theory_step_exponent(code_alpha: f64) -> f64 {
    let alpha = code_alpha - 1.0;
    alpha / (alpha + 1.0)
}

/// A fitted scaling exponent with its uncertainty and the theory value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExponentEstimate {
    /// `alpha_N`, `alpha_S` or `alpha_D`
    pub name: String,
    /// α in L ∝ x^−α (minus the OLS slope of ln L on ln x)
    pub exponent: f64,
    /// OLS standard error of the slope
    pub standard_error: f64,
    /// bootstrap percentile interval, lower end
    pub lower: f64,
    /// bootstrap percentile interval, upper end
    pub upper: f64,
    /// the interval's level (0.95)
    pub level: f64,
    /// R² of the log-log fit
    pub r_squared: f64,
    /// number of points
    pub n_points: usize,
    /// the quanta-model prediction
    pub theory: f64,
}

/// Fits ln y = c − α ln x by OLS (the paper's protocol, §2.2) and bootstraps α over points,
/// or over whole groups (e.g. runs, when one run gives several points) when `groups` is set.
pub fn fit_exponent(
    name: &str,
    x: &[f64],
    y: &[f64],
    theory: f64,
    groups: Option<&[usize]>,
    options: &BootstrapOptions,
) -> Result<ExponentEstimate> {
    let wrap = |source| Error::Fit {
        what: name.to_string(),
        source,
    };
    let fit = ols_log_log(x, y).map_err(wrap)?;
    let bootstrap = run_bootstrap(
        &["exponent".to_string()],
        &[fit.exponent],
        x.len(),
        groups,
        options,
        |indices| {
            let xs: Vec<f64> = indices.iter().map(|&i| x[i]).collect();
            let ys: Vec<f64> = indices.iter().map(|&i| y[i]).collect();
            Ok((vec![ols_log_log(&xs, &ys)?.exponent], true))
        },
    )
    .map_err(wrap)?;
    let summary = &bootstrap.quantities[0];
    Ok(ExponentEstimate {
        name: name.to_string(),
        exponent: fit.exponent,
        standard_error: fit.exponent_se,
        lower: summary.lower,
        upper: summary.upper,
        level: options.level,
        r_squared: fit.r_squared,
        n_points: x.len(),
        theory,
    })
}
