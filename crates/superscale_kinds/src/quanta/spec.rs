//! A declared study: one task family and training setup, swept over width, data size
//! and/or Zipf exponent, with the analysis settings (the `experiments/quanta_*.toml` files).

use crate::error::{invalid, Result};
use crate::task::TaskConfig;
use crate::train::TrainConfig;
use serde::{Deserialize, Serialize};

/// The whole experiment file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySpec {
    /// study name (the default output directory is `runs/<name>`)
    pub name: String,
    /// seed of the task subsets and test sets (shared by all runs of one task family)
    #[serde(default)]
    pub seed: u64,
    /// independent training runs per sweep point (seeds hash from the run id)
    #[serde(default = "one")]
    pub replicates: u32,
    /// the task family
    pub task: TaskConfig,
    /// the base training setup
    pub train: TrainConfig,
    /// the axes swept (cross product); empty means one run
    #[serde(default)]
    pub sweep: SweepSpec,
    /// analysis settings
    #[serde(default)]
    pub analysis: AnalysisSpec,
}

fn one() -> u32 {
    1
}

/// Values replacing `train.width`, `train.data` and `task.alpha`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// hidden widths (α_N)
    #[serde(default)]
    pub width: Vec<usize>,
    /// finite training-set sizes D (α_D)
    #[serde(default)]
    pub data: Vec<usize>,
    /// code Zipf exponents (exponent vs α)
    #[serde(default)]
    pub alpha: Vec<f64>,
}

/// How the study is analysed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSpec {
    /// fraction of the scale points (from the small end) the forecasts are fitted on
    #[serde(default = "default_fit_fraction")]
    pub forecast_fit_fraction: f64,
    /// bootstrap resamples for exponent intervals
    #[serde(default = "default_resamples")]
    pub bootstrap_resamples: usize,
    /// α_S is fitted on eval steps in [from, to]·steps (`docs/science/quanta.md` §2.2: 500–15 000
    /// of 1e5 steps)
    #[serde(default = "default_steps_window")]
    pub steps_window: [f64; 2],
}

fn default_fit_fraction() -> f64 {
    0.5
}
fn default_resamples() -> usize {
    1000
}
fn default_steps_window() -> [f64; 2] {
    [0.005, 0.15]
}

impl Default for AnalysisSpec {
    fn default() -> Self {
        Self {
            forecast_fit_fraction: default_fit_fraction(),
            bootstrap_resamples: default_resamples(),
            steps_window: default_steps_window(),
        }
    }
}

/// One training run of the study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPlan {
    /// the study's task seed
    pub task_seed: u64,
    /// task family of this point
    pub task: TaskConfig,
    /// training setup of this point
    pub train: TrainConfig,
    /// replicate number
    pub replicate: u32,
}

impl RunPlan {
    /// The canonical JSON hashed into the run id (field order is the struct's, fixed).
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl StudySpec {
    /// Checks every value of every sweep point; errors name the spec field.
    pub fn validate(&self) -> Result<()> {
        if self.replicates == 0 {
            return Err(invalid("replicates", "must be at least 1"));
        }
        let fraction = self.analysis.forecast_fit_fraction;
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(invalid(
                "analysis.forecast_fit_fraction",
                format!("{fraction} is not in (0, 1)"),
            ));
        }
        if self.analysis.bootstrap_resamples < 2 {
            return Err(invalid(
                "analysis.bootstrap_resamples",
                "must be at least 2",
            ));
        }
        let [from, to] = self.analysis.steps_window;
        if !(0.0 <= from && from < to && to <= 1.0) {
            return Err(invalid(
                "analysis.steps_window",
                format!("[{from}, {to}] must satisfy 0 ≤ from < to ≤ 1"),
            ));
        }
        for (field, empty) in [
            ("sweep.width", self.sweep.width.contains(&0)),
            ("sweep.data", self.sweep.data.contains(&0)),
        ] {
            if empty {
                return Err(invalid(field, "values must be at least 1"));
            }
        }
        for plan in self.runs() {
            let swept_alpha = !self.sweep.alpha.is_empty();
            plan.task.validate().map_err(|e| {
                if swept_alpha {
                    rename(e, "sweep.alpha", "task.alpha")
                } else {
                    e
                }
            })?;
            plan.train.validate()?;
        }
        Ok(())
    }

    /// The cross product alpha × width × data × replicate, in that order.
    pub fn runs(&self) -> Vec<RunPlan> {
        let alphas = if self.sweep.alpha.is_empty() {
            vec![self.task.alpha]
        } else {
            self.sweep.alpha.clone()
        };
        let widths = if self.sweep.width.is_empty() {
            vec![self.train.width]
        } else {
            self.sweep.width.clone()
        };
        let data: Vec<Option<usize>> = if self.sweep.data.is_empty() {
            vec![self.train.data]
        } else {
            self.sweep.data.iter().map(|&d| Some(d)).collect()
        };
        let mut plans = Vec::new();
        for &alpha in &alphas {
            for &width in &widths {
                for &size in &data {
                    for replicate in 0..self.replicates {
                        plans.push(RunPlan {
                            task_seed: self.seed,
                            task: TaskConfig {
                                alpha,
                                ..self.task.clone()
                            },
                            train: TrainConfig {
                                width,
                                data: size,
                                ..self.train.clone()
                            },
                            replicate,
                        });
                    }
                }
            }
        }
        plans
    }
}

fn rename(error: crate::Error, to: &'static str, from: &'static str) -> crate::Error {
    match error {
        crate::Error::Invalid { field, message } if field == from => {
            crate::Error::Invalid { field: to, message }
        }
        other => other,
    }
}
