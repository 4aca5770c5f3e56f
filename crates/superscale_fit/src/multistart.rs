//! Multi-start minimisation: one L-BFGS run per start, in parallel, best converged run kept.
//!
//! Hoffmann et al. 2022 (App. D.2) and Besiroglu et al. 2024 (§2) fit from a grid of starts
//! and keep the best result; Besiroglu et al. show that reporting only that best hides how
//! fragile the fit is, so the spread of the final objective across starts is reported too.

use crate::lbfgs::{minimize, LbfgsSettings, Minimum};
use rayon::prelude::*;

/// Two final objectives closer than this fraction of the best count as the same minimum.
pub const NEAR_BEST_RELATIVE: f64 = 1e-6;

/// How the runs from all starts ended.
#[derive(Debug, Clone, PartialEq)]
pub struct StartsSummary {
    /// number of starts
    pub starts: usize,
    /// how many runs converged
    pub converged: usize,
    /// index of the start whose run is reported
    pub best_start: usize,
    /// lowest final objective among converged runs (among all runs if none converged)
    pub best_objective: f64,
    /// median final objective over all runs (non-finite runs count as +∞)
    pub median_objective: f64,
    /// 90th percentile of the final objective over all runs
    pub percentile_90_objective: f64,
    /// worst final objective over all runs
    pub worst_objective: f64,
    /// how many runs ended within `NEAR_BEST_RELATIVE` of the best objective
    pub near_best: usize,
}

impl StartsSummary {
    /// The summary of a single run (a refit from one start).
    pub(crate) fn single(value: f64, converged: bool) -> Self {
        Self {
            starts: 1,
            converged: usize::from(converged),
            best_start: 0,
            best_objective: value,
            median_objective: value,
            percentile_90_objective: value,
            worst_objective: value,
            near_best: 1,
        }
    }
}

/// Run L-BFGS from every start (in parallel; the result does not depend on the thread count)
/// and return the best run with a summary. `starts` must not be empty.
pub(crate) fn minimize_from_starts<F>(
    objective: &F,
    starts: &[Vec<f64>],
    settings: &LbfgsSettings,
) -> (Minimum, StartsSummary)
where
    F: Fn(&[f64], &mut [f64]) -> f64 + Sync,
{
    let runs: Vec<Minimum> = starts
        .par_iter()
        .map(|start| minimize(objective, start, settings))
        .collect();
    let any_converged = runs.iter().any(|run| run.termination.converged());
    let key = |run: &Minimum| {
        if run.value.is_nan() {
            f64::INFINITY
        } else {
            run.value
        }
    };
    let best_start = (0..runs.len())
        .filter(|&i| !any_converged || runs[i].termination.converged())
        .min_by(|&i, &j| key(&runs[i]).total_cmp(&key(&runs[j])).then(i.cmp(&j)))
        .expect("at least one start");
    let best_objective = key(&runs[best_start]);
    let mut values: Vec<f64> = runs.iter().map(key).collect();
    values.sort_by(f64::total_cmp);
    let near_best = values
        .iter()
        .filter(|&&v| v - best_objective <= NEAR_BEST_RELATIVE * best_objective.abs())
        .count();
    let summary = StartsSummary {
        starts: runs.len(),
        converged: runs
            .iter()
            .filter(|run| run.termination.converged())
            .count(),
        best_start,
        best_objective,
        median_objective: crate::bootstrap::percentile(&values, 50.0),
        percentile_90_objective: crate::bootstrap::percentile(&values, 90.0),
        worst_objective: values[values.len() - 1],
        near_best,
    };
    (
        runs.into_iter().nth(best_start).expect("index in range"),
        summary,
    )
}
