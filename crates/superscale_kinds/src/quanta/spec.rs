//! The experiment file of a quanta study (`kind = "quanta"`, `experiments/quanta_*.toml`):
//! the point tables `[task]` (the task family) and `[train]` (one network's training), swept
//! by dotted paths such as `"task.alpha"`, `"train.width"` and `"train.data"`, and the study
//! table `[analysis]`. The common `seed` seeds the task subsets, the test sets and the
//! bootstrap.

use super::error::Error;
use super::task::TaskConfig;
use super::train::TrainConfig;
use serde::{Deserialize, Serialize};
use superscale_spec::limits::{check_memory, MemoryPart};
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

/// The product of `factors`, saturating at u64::MAX (a mistyped size is refused, not
/// wrapped around).
fn product(factors: &[usize]) -> u64 {
    factors
        .iter()
        .fold(1u64, |total, &f| total.saturating_mul(f as u64))
}

/// Chunk scratch of the batched MLP (`superscale_models::mlp::Workspace`): this many chunks
/// in flight, each with its own gradient, of this many rows.
const SLOTS: usize = superscale_models::mlp::DEFAULT_SLOTS;
const CHUNK_ROWS: usize = superscale_models::mlp::DEFAULT_CHUNK_ROWS;

impl QuantaSpec {
    /// One run's memory, part by part, from the spec alone (`docs/reliability.md`,
    /// "Specs"): the network with its optimizer and chunk scratch, a training batch, the
    /// finite training set, the two test sets with one outcome per row, the logged
    /// per-task curves and the task subsets. Sizes are those of the types that hold them
    /// (f32 parameters, a one-hot index and 64-bit words of bits per row).
    pub fn memory_parts(&self) -> Vec<MemoryPart> {
        let (task, train) = (&self.task, &self.train);
        let input = task.n_tasks.saturating_add(task.n_bits);
        let width = train.width;
        // [input, width × (depth − 1), 2]: weights and biases of every layer
        let parameters = product(&[input.saturating_add(1), width])
            .saturating_add(product(&[train.depth - 2, width.saturating_add(1), width]))
            .saturating_add(product(&[width.saturating_add(1), 2]));
        // parameters, gradient, AdamW's two moments and one gradient per chunk slot, f32
        let network = parameters.saturating_mul(4 * (4 + SLOTS as u64));
        let widest = width.max(2);
        let scratch = product(&[
            SLOTS,
            CHUNK_ROWS,
            width
                .saturating_mul(train.depth - 1)
                .saturating_add(widest.saturating_mul(2))
                .saturating_add(2),
            4,
        ]);
        // a row: its task index, its bits in 64-bit words, its label and its task
        let row = (4 + 8 * task.n_bits.div_ceil(64) + 4 + 4) as u64;
        // an evaluated row's outcome (loss, correct, probability, Brier)
        let outcome = 32u64;
        let per_task_rows = product(&[task.n_tasks, train.test_points_per_task]);
        let evaluations = train.eval_points.saturating_add(1);
        let mut parts = vec![
            MemoryPart {
                field: "train.width",
                what: format!(
                    "network of {parameters} parameters (width {width}, depth {}, input {input}) with optimizer and scratch",
                    train.depth
                ),
                bytes: network.saturating_add(scratch),
            },
            MemoryPart {
                field: "train.batch_size",
                what: format!("batch of {} rows", train.batch_size),
                bytes: product(&[train.batch_size]).saturating_mul(row),
            },
            MemoryPart {
                field: "train.test_points",
                what: format!("weighted test set of {} rows", train.test_points),
                bytes: product(&[train.test_points]).saturating_mul(row + outcome),
            },
            MemoryPart {
                field: "train.test_points_per_task",
                what: format!(
                    "per-task test set of {} tasks × {} rows",
                    task.n_tasks, train.test_points_per_task
                ),
                bytes: per_task_rows.saturating_mul(row + outcome),
            },
            MemoryPart {
                field: "train.eval_points",
                what: format!(
                    "per-task curves at {evaluations} evaluations × {} tasks",
                    task.n_tasks
                ),
                // loss, accuracy and Brier score per task and evaluation, f64
                bytes: product(&[evaluations, task.n_tasks, 3, 8]),
            },
            MemoryPart {
                field: "task.n_tasks",
                what: format!("{} task subsets of {} bits", task.n_tasks, task.k),
                bytes: product(&[task.n_tasks, task.k.saturating_mul(4).saturating_add(32)]),
            },
        ];
        if let Some(size) = train.data {
            parts.push(MemoryPart {
                field: "train.data",
                what: format!("training set of {size} rows"),
                // the rows and their shuffled order
                bytes: product(&[size]).saturating_mul(row + 8),
            });
        }
        parts
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
        self.train.validate().map_err(as_violation)?;
        // Before anything is drawn or allocated: a mistyped width or test set must be
        // refused here, not abort on allocation with the run marked running.
        check_memory(&self.memory_parts())
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
