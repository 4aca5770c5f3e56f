//! Training the MLP of `docs/science/quanta.md` §1 on multitask sparse parity with AdamW and
//! cross-entropy, and logging per-task test loss (bits), accuracy and Brier score on a
//! log-spaced step grid.

use super::error::{invalid, Result};
use super::task::{derive_seed, test_sizes, Batch, MultitaskParity};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use std::f64::consts::LN_2;
use superscale_models::mlp::{
    evaluate, loss_and_gradient, AdamW, Input, Mlp, RowOutcome, Targets, Workspace,
};

/// How one network is trained (the `[train]` table of an experiment spec). Defaults are
/// the paper's (§1: AdamW lr 1e-3, no decay, depth 2, 1000 fresh samples per task).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// hidden width w
    pub width: usize,
    /// number of Linear layers (2: Linear → ReLU → Linear)
    #[serde(default = "default_depth")]
    pub depth: usize,
    /// optimiser steps
    pub steps: u64,
    /// samples per step
    pub batch_size: usize,
    /// AdamW learning rate
    #[serde(default = "default_learning_rate")]
    pub learning_rate: f64,
    /// AdamW decoupled weight decay
    #[serde(default)]
    pub weight_decay: f64,
    /// finite training-set size D; absent means fresh samples every step (D = −1)
    #[serde(default)]
    pub data: Option<usize>,
    /// number of log-spaced evaluation steps (step 0 is always evaluated too)
    #[serde(default = "default_eval_points")]
    pub eval_points: usize,
    /// size of the frequency-weighted test set, int(p_t·test_points) rows of task t
    #[serde(default = "default_test_points")]
    pub test_points: usize,
    /// fresh samples per task for the per-task test losses
    #[serde(default = "default_test_points_per_task")]
    pub test_points_per_task: usize,
}

fn default_depth() -> usize {
    2
}
fn default_learning_rate() -> f64 {
    1e-3
}
fn default_eval_points() -> usize {
    60
}
fn default_test_points() -> usize {
    30_000
}
fn default_test_points_per_task() -> usize {
    1000
}

impl TrainConfig {
    /// Refuses values training cannot use; errors name the spec field.
    pub fn validate(&self) -> Result<()> {
        let positive = [
            ("train.width", self.width),
            ("train.batch_size", self.batch_size),
            ("train.eval_points", self.eval_points),
            ("train.test_points_per_task", self.test_points_per_task),
        ];
        for (field, value) in positive {
            if value == 0 {
                return Err(invalid(field, "must be at least 1"));
            }
        }
        if self.steps == 0 {
            return Err(invalid("train.steps", "must be at least 1"));
        }
        if self.depth < 2 {
            return Err(invalid(
                "train.depth",
                format!("{} < 2: need at least one hidden layer", self.depth),
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(invalid(
                "train.learning_rate",
                format!("{} must be positive", self.learning_rate),
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(invalid(
                "train.weight_decay",
                format!("{} must be ≥ 0", self.weight_decay),
            ));
        }
        if self.data == Some(0) {
            return Err(invalid(
                "train.data",
                "a finite training set needs at least 1 sample",
            ));
        }
        Ok(())
    }

    /// The MLP of §1: [n_tasks + n, w, …, w, 2].
    pub fn mlp(&self, task: &MultitaskParity) -> Result<Mlp> {
        let mut sizes = vec![task.input_dim()];
        sizes.extend(std::iter::repeat_n(self.width, self.depth - 1));
        sizes.push(2);
        Ok(Mlp::new(&sizes)?)
    }
}

/// Step 0 and `points` steps log-spaced in [1, steps], rounded and deduplicated (the
/// quanta notebooks log every steps/1000; a log grid resolves learning times to a fixed
/// ratio, 10^(log10(steps)/points), at a fraction of the cost).
pub fn eval_steps(steps: u64, points: usize) -> Vec<u64> {
    let mut grid = vec![0u64];
    let top = (steps as f64).log10();
    for index in 0..points {
        let fraction = if points == 1 {
            1.0
        } else {
            index as f64 / (points - 1) as f64
        };
        let step = (10f64.powf(top * fraction).round() as u64).clamp(1, steps);
        if *grid.last().unwrap_or(&0) != step {
            grid.push(step);
        }
    }
    grid
}

/// The two fixed test sets of a study, shared by all its runs so per-task curves compare.
#[derive(Debug, Clone)]
pub struct TestSets {
    /// int(p_t·test_points) rows of each task t (aggregate test loss, §1 L242)
    pub weighted: Batch,
    /// test_points_per_task fresh rows of every task (per-task losses)
    pub per_task: Batch,
}

impl TestSets {
    /// Draws both sets from `seed` (streams 2 and 3).
    pub fn new(task: &MultitaskParity, test_points: usize, per_task: usize, seed: u64) -> Self {
        let mut weighted = task.new_batch();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(seed, 2));
        task.push_counts(
            &test_sizes(task.frequencies(), test_points),
            &mut rng,
            &mut weighted,
        );
        let mut each = task.new_batch();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(seed, 3));
        task.push_counts(&vec![per_task; task.config().n_tasks], &mut rng, &mut each);
        Self {
            weighted,
            per_task: each,
        }
    }
}

/// Everything one run logs (kept in the store through `output.rs`, bit for bit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// parameter count P
    pub n_params: usize,
    /// the steps at which the network was evaluated (after that many updates)
    pub eval_steps: Vec<u64>,
    /// mean cross-entropy of the weighted test set, bits
    pub test_loss_bits: Vec<f64>,
    /// `[eval][task]` mean cross-entropy of the per-task set, bits
    pub task_loss_bits: Vec<Vec<f64>>,
    /// `[eval][task]` arg-max accuracy
    pub task_accuracy: Vec<Vec<f64>>,
    /// `[eval][task]` mean Brier score
    pub task_brier: Vec<Vec<f64>>,
    /// the first step whose training loss was not finite, if any (training stopped there)
    pub diverged_at: Option<u64>,
}

impl RunResult {
    /// Last logged weighted test loss, bits.
    pub fn final_test_loss_bits(&self) -> f64 {
        *self.test_loss_bits.last().unwrap_or(&f64::NAN)
    }

    /// Smallest logged weighted test loss, bits (the α_D protocol: `min(losses)`, §2.2).
    pub fn min_test_loss_bits(&self) -> f64 {
        self.test_loss_bits
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
    }
}

fn task_means(
    outcomes: &[RowOutcome],
    batch: &Batch,
    n_tasks: usize,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut sums = vec![[0.0f64; 4]; n_tasks];
    for (outcome, &task) in outcomes.iter().zip(&batch.tasks) {
        let entry = &mut sums[task as usize];
        entry[0] += outcome.loss / LN_2;
        entry[1] += f64::from(u8::from(outcome.correct));
        entry[2] += outcome.brier;
        entry[3] += 1.0;
    }
    let mean = |index: usize| sums.iter().map(|s| s[index] / s[3].max(1.0)).collect();
    (mean(0), mean(1), mean(2))
}

/// The training stream of a run: fresh batches, or epochs over a fixed set of D samples.
enum Stream {
    Fresh {
        counts: Vec<usize>,
    },
    Finite {
        data: Batch,
        order: Vec<usize>,
        cursor: usize,
    },
}

impl Stream {
    fn next(
        &mut self,
        task: &MultitaskParity,
        batch_size: usize,
        rng: &mut Xoshiro256PlusPlus,
        batch: &mut Batch,
    ) {
        match self {
            Stream::Fresh { counts } => task.fill_batch(rng, batch_size, counts, batch),
            Stream::Finite {
                data,
                order,
                cursor,
            } => {
                // Minibatches of min(D, B) from a shuffled permutation; a new shuffle
                // when fewer than that remain in the epoch (the remainder is dropped).
                let size = batch_size.min(order.len());
                if *cursor + size > order.len() {
                    order.shuffle(rng);
                    *cursor = 0;
                }
                batch.clear();
                for &row in &order[*cursor..*cursor + size] {
                    batch.push_row_of(data, row);
                }
                *cursor += size;
            }
        }
    }
}

/// Trains one network from `seed` (init, batches and a finite set derive from it) and
/// evaluates it on `tests` at [`eval_steps`].
pub fn train_run(
    task: &MultitaskParity,
    config: &TrainConfig,
    tests: &TestSets,
    seed: u64,
) -> Result<RunResult> {
    Ok(train_network(task, config, tests, seed, &mut |_| {})?.result)
}

/// A trained network: what it logged and its final parameters.
#[derive(Debug, Clone)]
pub struct Trained {
    /// the network's shape (and the layout of `params`)
    pub mlp: Mlp,
    /// the parameters after the last step (or at the step that diverged)
    pub params: Vec<f32>,
    /// what the run logged
    pub result: RunResult,
}

/// [`train_run`], also returning the final parameters and calling `on_step` with the
/// number of steps done after every step.
pub fn train_network(
    task: &MultitaskParity,
    config: &TrainConfig,
    tests: &TestSets,
    seed: u64,
    on_step: &mut dyn FnMut(u64),
) -> Result<Trained> {
    config.validate()?;
    let mlp = config.mlp(task)?;
    let n_tasks = task.config().n_tasks;
    let mut params: Vec<f32> = mlp.init_params(derive_seed(seed, 4));
    let mut gradient = vec![0.0f32; mlp.n_params()];
    let mut workspace = Workspace::new(&mlp);
    let mut optimizer = AdamW::new(
        mlp.n_params(),
        config.learning_rate as f32,
        config.weight_decay as f32,
    );
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(seed, 1));
    let mut stream = match config.data {
        None => Stream::Fresh { counts: Vec::new() },
        Some(size) => {
            let mut data = task.new_batch();
            let mut data_rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(seed, 5));
            let mut counts = Vec::new();
            task.fill_batch(&mut data_rng, size, &mut counts, &mut data);
            let mut order: Vec<usize> = (0..size).collect();
            order.shuffle(&mut rng);
            Stream::Finite {
                data,
                order,
                cursor: 0,
            }
        }
    };
    let grid = eval_steps(config.steps, config.eval_points);
    let mut result = RunResult {
        n_params: mlp.n_params(),
        eval_steps: Vec::with_capacity(grid.len()),
        test_loss_bits: Vec::with_capacity(grid.len()),
        task_loss_bits: Vec::with_capacity(grid.len()),
        task_accuracy: Vec::with_capacity(grid.len()),
        task_brier: Vec::with_capacity(grid.len()),
        diverged_at: None,
    };
    let mut weighted_outcomes = vec![RowOutcome::default(); tests.weighted.len()];
    let mut task_outcomes = vec![RowOutcome::default(); tests.per_task.len()];
    let mut batch = task.new_batch();
    let mut step = 0u64;
    for &eval_step in &grid {
        while step < eval_step {
            stream.next(task, config.batch_size, &mut rng, &mut batch);
            let loss = loss_and_gradient(
                &mlp,
                &params,
                Input::OneHotBits(&batch.input),
                Targets::Labels(&batch.labels),
                &mut gradient,
                &mut workspace,
            )?;
            if !loss.is_finite() {
                result.diverged_at = Some(step);
                return Ok(Trained {
                    mlp,
                    params,
                    result,
                });
            }
            optimizer.step(&mut params, &gradient)?;
            step += 1;
            on_step(step);
        }
        evaluate(
            &mlp,
            &params,
            Input::OneHotBits(&tests.weighted.input),
            &tests.weighted.labels,
            &mut weighted_outcomes,
            &mut workspace,
        )?;
        evaluate(
            &mlp,
            &params,
            Input::OneHotBits(&tests.per_task.input),
            &tests.per_task.labels,
            &mut task_outcomes,
            &mut workspace,
        )?;
        let weighted = weighted_outcomes.iter().map(|o| o.loss).sum::<f64>()
            / weighted_outcomes.len().max(1) as f64
            / LN_2;
        let (loss, accuracy, brier) = task_means(&task_outcomes, &tests.per_task, n_tasks);
        result.eval_steps.push(eval_step);
        result.test_loss_bits.push(weighted);
        result.task_loss_bits.push(loss);
        result.task_accuracy.push(accuracy);
        result.task_brier.push(brier);
    }
    Ok(Trained {
        mlp,
        params,
        result,
    })
}
