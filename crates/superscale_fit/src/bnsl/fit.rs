//! The fitting recipe of Caballero et al. 2022 (fit_bnsl_and_extrapolate…py): a brute grid
//! scored by MSE of ln(y + 1), then Levenberg–Marquardt on ln(y + 1) from the grid optimum
//! with every parameter free (`curve_fit` without bounds).

use super::grid::{search, BnslGrid};
use super::{predict_with_gradient, BnslParameters};
use crate::error::{Error, Result};
use crate::levenberg_marquardt::{least_squares, LevenbergMarquardtSettings};
use crate::validate;

/// How to fit a BNSL.
#[derive(Debug, Clone, PartialEq)]
pub struct BnslOptions {
    /// the grid; `None` uses [`BnslGrid::for_data`]
    pub grid: Option<BnslGrid>,
    /// at most this many grid points are evaluated; a larger grid is subsampled
    pub max_grid_points: u64,
    /// refine this many of the best grid points and keep the best refinement (the reference
    /// refines only the best one)
    pub refine_top: usize,
    /// settings of the LM refinement
    pub levenberg_marquardt: LevenbergMarquardtSettings,
    /// seed of the grid subsampling
    pub seed: u64,
}

impl Default for BnslOptions {
    fn default() -> Self {
        Self {
            grid: None,
            max_grid_points: 2_000_000,
            refine_top: 5,
            levenberg_marquardt: LevenbergMarquardtSettings::default(),
            seed: 0,
        }
    }
}

/// The outcome of a fit; `parameters` is the best attempt even when `converged` is false.
#[derive(Debug, Clone, PartialEq)]
pub struct BnslFit {
    /// the refined parameters
    pub parameters: BnslParameters,
    /// mean squared error of ln(y + 1) at the fit (the reference's training objective)
    pub objective: f64,
    /// whether the LM refinement converged
    pub converged: bool,
    /// LM iterations of the reported refinement
    pub iterations: usize,
    /// the grid point the reported refinement started from (natural units)
    pub grid_best: BnslParameters,
    /// its objective
    pub grid_objective: f64,
    /// how many grid points were evaluated
    pub grid_points: u64,
}

fn check(x: &[f64], y: &[f64], breaks: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    validate::same_length(x, y)?;
    validate::enough_points("a broken power law", 3 + 3 * breaks + 1, x.len())?;
    let log_x = validate::logarithms("x", x)?;
    validate::finite("y", y)?;
    if let Some(index) = y.iter().position(|&v| v <= -1.0) {
        return Err(Error::NonPositive {
            what: "y + 1",
            index,
            value: y[index] + 1.0,
        });
    }
    Ok((log_x, y.iter().map(|v| v.ln_1p()).collect()))
}

/// LM on r_i = ln(ŷ_i + 1) − ln(y_i + 1) from `start`.
fn refine(
    log_x: &[f64],
    target: &[f64],
    start: &BnslParameters,
    settings: &LevenbergMarquardtSettings,
) -> (BnslParameters, f64, bool, usize) {
    let n = 3 + 3 * start.breaks.len();
    let mut gradient = vec![0.0; n];
    let result = least_squares(
        |p, residuals, jacobian| {
            for (i, (&lx, &t)) in log_x.iter().zip(target).enumerate() {
                let y = predict_with_gradient(p, lx, &mut gradient);
                residuals[i] = y.ln_1p() - t;
                let row = &mut jacobian[i * n..(i + 1) * n];
                row.iter_mut()
                    .zip(&gradient)
                    .for_each(|(j, d)| *j = d / (1.0 + y));
            }
        },
        &start.to_vector(),
        log_x.len(),
        settings,
    );
    let objective = 2.0 * result.cost / log_x.len() as f64;
    (
        BnslParameters::from_vector(&result.point),
        objective,
        result.converged,
        result.iterations,
    )
}

/// Fit a BNSL with `breaks` breaks: grid search, then LM from the best `refine_top` points.
pub fn fit_bnsl(x: &[f64], y: &[f64], breaks: usize, options: &BnslOptions) -> Result<BnslFit> {
    let (log_x, target) = check(x, y, breaks)?;
    let grid = options
        .grid
        .clone()
        .unwrap_or_else(|| BnslGrid::for_data(x, y, breaks));
    if grid.breaks.len() != breaks {
        return Err(Error::InvalidOption {
            name: "BNSL grid",
            reason: format!(
                "grid has {} breaks, the fit asks for {breaks}",
                grid.breaks.len()
            ),
        });
    }
    validate::positive_option("grid x scale", grid.x_scale)?;
    validate::enough_points("the grid's refinement list", 1, options.refine_top)?;
    let (candidates, grid_points) = search(
        &grid,
        x,
        y,
        options.max_grid_points,
        options.refine_top,
        options.seed,
    );
    let mut best: Option<BnslFit> = None;
    for (grid_objective, start) in candidates {
        let (parameters, objective, converged, iterations) =
            refine(&log_x, &target, &start, &options.levenberg_marquardt);
        let fit = BnslFit {
            parameters,
            objective,
            converged,
            iterations,
            grid_best: start,
            grid_objective,
            grid_points,
        };
        // Prefer converged refinements, then the lower objective (NaN last).
        let rank = |f: &BnslFit| {
            let objective = if f.objective.is_nan() {
                f64::INFINITY
            } else {
                f.objective
            };
            (!f.converged, objective)
        };
        let better = best.as_ref().is_none_or(|current| {
            let (new, old) = (rank(&fit), rank(current));
            new.0.cmp(&old.0).then(new.1.total_cmp(&old.1)).is_lt()
        });
        if better {
            best = Some(fit);
        }
    }
    best.ok_or(Error::InvalidOption {
        name: "BNSL grid",
        reason: "the grid is empty".into(),
    })
}

/// LM refinement alone from `start` (used by the bootstrap, which restarts from the full fit).
pub fn refit_bnsl(
    x: &[f64],
    y: &[f64],
    start: &BnslParameters,
    options: &BnslOptions,
) -> Result<BnslFit> {
    let (log_x, target) = check(x, y, start.breaks.len())?;
    let (parameters, objective, converged, iterations) =
        refine(&log_x, &target, start, &options.levenberg_marquardt);
    let grid_objective = {
        let mut scratch = vec![0.0; 3 + 3 * start.breaks.len()];
        let v = start.to_vector();
        log_x
            .iter()
            .zip(&target)
            .map(|(&lx, &t)| (predict_with_gradient(&v, lx, &mut scratch).ln_1p() - t).powi(2))
            .sum::<f64>()
            / log_x.len() as f64
    };
    Ok(BnslFit {
        parameters,
        objective,
        converged,
        iterations,
        grid_best: start.clone(),
        grid_objective,
        grid_points: 0,
    })
}
