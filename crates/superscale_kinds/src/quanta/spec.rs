//! The experiment file of a quanta study (`kind = "quanta"`, `experiments/quanta_*.toml`):
//! the point tables `[task]` (the task family) and `[train]` (one network's training), swept
//! by dotted paths such as `"task.alpha"`, `"train.width"` and `"train.data"`, and the study
//! table `[analysis]`. The common `seed` seeds the task subsets, the test sets and the
//! bootstrap.

use super::error::Error;
use super::task::TaskConfig;
use super::train::TrainConfig;
use serde::{Deserialize, Serialize};
use superscale_spec::{
    canonical_json, replicate_seed, run_id, violation, KindSpec, PlannedRun, Violation,
};

/// The point tables of a quanta experiment: one task family and one training setup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantaSpec {
    /// the task family
    pub task: TaskConfig,
    /// how each network is trained
    pub train: TrainConfig,
}

/// The study tables of a quanta experiment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantaSettings {
    /// how the study is analysed
    #[serde(default)]
    pub analysis: AnalysisSpec,
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

impl AnalysisSpec {
    /// Checks every value; the violation names the dotted field.
    pub fn validate(&self) -> Result<(), Violation> {
        let fraction = self.forecast_fit_fraction;
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(violation(
                "analysis.forecast_fit_fraction",
                format!("{fraction} is not in (0, 1)"),
            ));
        }
        if self.bootstrap_resamples < 2 {
            return Err(violation(
                "analysis.bootstrap_resamples",
                "must be at least 2",
            ));
        }
        let [from, to] = self.steps_window;
        if !(0.0 <= from && from < to && to <= 1.0) {
            return Err(violation(
                "analysis.steps_window",
                format!("[{from}, {to}] must satisfy 0 ≤ from < to ≤ 1"),
            ));
        }
        Ok(())
    }
}

/// One training run of the study: its canonical JSON is hashed into the run id.
///
/// The replicate is part of the identity (unlike the toy kind, where replicates share an
/// id): the quanta studies have always been identified this way, and their published
/// tables name runs by these ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPlan {
    /// the study's seed (task subsets and test sets)
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
        canonical_json(self)
    }
}

/// A configuration error of the generator or trainer as a violation of its spec field.
pub(crate) fn as_violation(error: Error) -> Violation {
    match error {
        Error::Invalid { field, message } => violation(field, message),
        other => violation("task", other.to_string()),
    }
}

impl KindSpec for QuantaSpec {
    const KIND: &'static str = "quanta";
    const POINT_TABLES: &'static [&'static str] = &["task", "train"];
    const STUDY_TABLES: &'static [&'static str] = &["analysis"];
    type Run = RunPlan;

    fn validate(&self) -> Result<(), Violation> {
        self.task.validate().map_err(as_violation)?;
        self.train.validate().map_err(as_violation)
    }

    /// One run per replicate, each with its own id: run_id(canonical JSON of the
    /// [`RunPlan`]) and seed replicate_seed(id, replicate).
    fn runs(&self, seed: u64, replicates: u32) -> Result<Vec<PlannedRun<RunPlan>>, Violation> {
        Ok((0..replicates)
            .map(|replicate| {
                let plan = RunPlan {
                    task_seed: seed,
                    task: self.task.clone(),
                    train: self.train.clone(),
                    replicate,
                };
                let id = run_id(&plan.canonical_json());
                PlannedRun {
                    seed: replicate_seed(&id, replicate),
                    run_id: id,
                    replicate,
                    spec: plan,
                    labels: Vec::new(),
                }
            })
            .collect())
    }
}
