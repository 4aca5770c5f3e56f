//! The analysis of a finished study: emergence per run, exponents per Zipf exponent next
//! to the theory, and forecasting backtests along every swept scale.

use super::emergence::{summarize_emergence, task_emergence, EmergenceSummary, TaskEmergence};
use super::error::Result;
use super::forecast::{backtest, Backtest, ScaleSeries};
use super::scaling::{
    fit_exponent, theory_parameter_exponent, theory_step_exponent, ExponentEstimate,
};
use super::spec::{AnalysisSpec, RunPlan};
use super::task::zipf_frequencies;
use super::train::RunResult;
use serde::{Deserialize, Serialize};
use superscale_fit::BootstrapOptions;

/// A finished run of a quanta study: its id, plan and what it logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantaRun {
    /// content hash of the run's canonical spec
    pub id: String,
    /// what was run
    pub plan: RunPlan,
    /// what it logged
    pub result: RunResult,
}

/// Emergence of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEmergence {
    /// run id
    pub id: String,
    /// every task's learning time and profile
    pub tasks: Vec<TaskEmergence>,
    /// summary (None with fewer than 3 learned tasks)
    pub summary: Option<EmergenceSummary>,
}

/// An exponent of one Zipf exponent group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExponentRow {
    /// the code alpha of the group
    pub alpha: f64,
    /// the fit
    pub estimate: ExponentEstimate,
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyAnalysis {
    /// per run
    pub emergence: Vec<RunEmergence>,
    /// α_N, α_S, α_D per alpha group (where the sweep allows)
    pub exponents: Vec<ExponentRow>,
    /// backtests along steps, parameters and data
    pub backtests: Vec<Backtest>,
}

fn distinct<T: PartialEq + Copy>(values: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for value in values {
        if !out.contains(&value) {
            out.push(value);
        }
    }
    out
}

/// Analyses `runs` (in the study's order) with the study's `analysis` settings; `seed` (the
/// study's) seeds the bootstrap. Diverged runs are left out of the fits.
pub fn analyze(analysis: &AnalysisSpec, seed: u64, runs: &[QuantaRun]) -> Result<StudyAnalysis> {
    let options = BootstrapOptions {
        resamples: analysis.bootstrap_resamples,
        seed,
        level: 0.95,
    };
    let frequencies_of =
        |plan: &RunPlan| zipf_frequencies(plan.task.n_tasks, plan.task.alpha, plan.task.offset);
    let emergence = runs
        .iter()
        .map(|run| {
            let tasks = task_emergence(&run.result, &frequencies_of(&run.plan));
            RunEmergence {
                id: run.id.clone(),
                summary: summarize_emergence(&tasks).ok(),
                tasks,
            }
        })
        .collect();
    let healthy: Vec<&QuantaRun> = runs
        .iter()
        .filter(|r| r.result.diverged_at.is_none() && !r.result.test_loss_bits.is_empty())
        .collect();
    let mut exponents = Vec::new();
    let mut backtests = Vec::new();
    for alpha in distinct(healthy.iter().map(|r| r.plan.task.alpha)) {
        let group: Vec<&QuantaRun> = healthy
            .iter()
            .copied()
            .filter(|r| r.plan.task.alpha == alpha)
            .collect();
        let widths = distinct(group.iter().map(|r| r.plan.train.width));
        let data = distinct(group.iter().map(|r| r.plan.train.data));
        if widths.len() >= 3 {
            let (x, y): (Vec<f64>, Vec<f64>) = group
                .iter()
                .map(|r| (r.result.n_params as f64, r.result.final_test_loss_bits()))
                .unzip();
            exponents.push(ExponentRow {
                alpha,
                estimate: fit_exponent(
                    "alpha_N",
                    &x,
                    &y,
                    theory_parameter_exponent(alpha),
                    None,
                    &options,
                )?,
            });
        }
        if data.len() >= 3 && data.iter().all(Option::is_some) {
            let (x, y): (Vec<f64>, Vec<f64>) = group
                .iter()
                .map(|r| {
                    (
                        r.plan.train.data.unwrap_or(1) as f64,
                        r.result.min_test_loss_bits(),
                    )
                })
                .unzip();
            exponents.push(ExponentRow {
                alpha,
                estimate: fit_exponent(
                    "alpha_D",
                    &x,
                    &y,
                    theory_step_exponent(alpha),
                    None,
                    &options,
                )?,
            });
        }
        // α_S: the runs of the largest width (docs/science/quanta.md §2.2 uses the width ≈ 300
        // runs), steps in the window.
        let widest = widths.iter().copied().max().unwrap_or(0);
        let largest_data = data.iter().copied().max().flatten();
        let step_runs: Vec<&QuantaRun> = group
            .iter()
            .copied()
            .filter(|r| {
                r.plan.train.width == widest
                    && (r.plan.train.data.is_none() || r.plan.train.data == largest_data)
            })
            .collect();
        let (mut x, mut y, mut labels) = (Vec::new(), Vec::new(), Vec::new());
        for (label, run) in step_runs.iter().enumerate() {
            let [from, to] = analysis.steps_window;
            let steps = run.plan.train.steps as f64;
            for (&step, &loss) in run.result.eval_steps.iter().zip(&run.result.test_loss_bits) {
                if step as f64 >= from * steps && step as f64 <= to * steps && step > 0 {
                    x.push(step as f64);
                    y.push(loss);
                    labels.push(label);
                }
            }
        }
        if x.len() >= 3 {
            let groups = (step_runs.len() > 1).then_some(labels.as_slice());
            exponents.push(ExponentRow {
                alpha,
                estimate: fit_exponent(
                    "alpha_S",
                    &x,
                    &y,
                    theory_step_exponent(alpha),
                    groups,
                    &options,
                )?,
            });
        }
        let fraction = analysis.forecast_fit_fraction;
        if let Some(run) = step_runs.first() {
            // Fit from the end of the initial plateau (aggregate 10 % below its step-1
            // value), as the paper's α_S window starts after it (quanta.md §2.2: steps 500–15 000).
            let losses = &run.result.test_loss_bits;
            let after_zero = run
                .result
                .eval_steps
                .iter()
                .position(|&s| s > 0)
                .unwrap_or(0);
            let plateau = losses.get(after_zero).copied().unwrap_or(f64::NAN);
            let first = (after_zero..losses.len())
                .find(|&i| losses[i] < 0.9 * plateau)
                .unwrap_or(after_zero)
                .min(losses.len().saturating_sub(4));
            let series = ScaleSeries {
                group: format!("alpha {alpha}"),
                axis: "steps".into(),
                scale: run.result.eval_steps[first..]
                    .iter()
                    .map(|&s| s as f64)
                    .collect(),
                aggregate: run.result.test_loss_bits[first..].to_vec(),
                task_loss: run.result.task_loss_bits[first..].to_vec(),
                frequencies: frequencies_of(&run.plan),
            };
            backtests.push(backtest(&series, fit_count(series.scale.len(), fraction)));
        }
        for (axis, count) in [("parameters", widths.len()), ("data", data.len())] {
            if count < 4 {
                continue;
            }
            let mut points: Vec<&QuantaRun> = group
                .iter()
                .copied()
                .filter(|r| r.plan.replicate == 0)
                .collect();
            let key = |r: &QuantaRun| {
                if axis == "parameters" {
                    r.result.n_params as f64
                } else {
                    r.plan.train.data.unwrap_or(0) as f64
                }
            };
            points.sort_by(|a, b| key(a).total_cmp(&key(b)));
            let series = ScaleSeries {
                group: format!("alpha {alpha}"),
                axis: axis.into(),
                scale: points.iter().map(|r| key(r)).collect(),
                aggregate: points
                    .iter()
                    .map(|r| {
                        if axis == "data" {
                            r.result.min_test_loss_bits()
                        } else {
                            r.result.final_test_loss_bits()
                        }
                    })
                    .collect(),
                task_loss: points
                    .iter()
                    .map(|r| r.result.task_loss_bits.last().cloned().unwrap_or_default())
                    .collect(),
                frequencies: frequencies_of(&points[0].plan),
            };
            backtests.push(backtest(&series, fit_count(series.scale.len(), fraction)));
        }
    }
    Ok(StudyAnalysis {
        emergence,
        exponents,
        backtests,
    })
}

/// Fit points of a backtest: the fraction, at least 3 and at most all but one point. With
/// 2 or 3 points those bounds cross, and the upper one wins (a short eval schedule must
/// not panic; the backtest then reports no fit).
fn fit_count(points: usize, fraction: f64) -> usize {
    let upper = points.saturating_sub(1).max(1);
    let lower = 3.min(points).min(upper);
    ((points as f64 * fraction).round() as usize).clamp(lower, upper)
}

#[cfg(test)]
mod tests {
    use super::fit_count;

    #[test]
    fn fit_count_stays_within_the_series_for_short_schedules() {
        assert_eq!(fit_count(2, 0.5), 1);
        assert_eq!(fit_count(3, 0.5), 2);
        assert_eq!(fit_count(4, 0.5), 3);
        assert_eq!(fit_count(40, 0.5), 20);
        assert_eq!(fit_count(40, 0.01), 3);
        assert_eq!(fit_count(40, 1.0), 39);
        assert_eq!(fit_count(1, 0.5), 1);
    }
}
