//! The training loop: sample, forward, backward, decay, Adam; record; stop on divergence.

use crate::train::error::{Error, Result};
use crate::train::schedule::Schedule;
use crate::{BatchSampler, Gradients, StepBuffers, ToyModel};
use rand::Rng;
use superscale_kernels::{
    decay_rows_signed, decay_uniform, AdamHyper, AdamState, Simd, SparseRows,
};

/// Below this fraction of non-zero output gradients the backward scans G sparsely instead
/// of running two dense products. Measured on the 2-core AMD EPYC of this project (1500
/// steps of the paper's model from initialisation, `examples/profile_step.rs`): at m = 10,
/// 4.49 ms/step all-dense vs 3.75 (threshold 0.12) and 3.90 (0.3); at m = 100, 20.1 vs
/// 14.6 and 14.8. The optimum is flat between 0.12 and 0.3.
pub const SPARSE_BACKWARD_BELOW: f32 = 0.2;

/// The weight decay applied before each Adam step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decay {
    /// The signed row decay γ of Liu, Liu & Gore 2025 (Eq. 2), on W only.
    SignedRows {
        /// γ: negative pulls row norms toward 1, positive shrinks them
        gamma: f32,
    },
    /// `torch.optim.AdamW`'s decoupled decay λ on W and b (the TMS notebook: 0.01).
    Decoupled {
        /// λ
        lambda: f32,
    },
}

/// How to train.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    /// number of steps
    pub steps: u64,
    /// samples per batch
    pub batch_size: usize,
    /// learning-rate schedule
    pub schedule: Schedule,
    /// weight decay
    pub decay: Decay,
    /// Adam's β₁, β₂, ε
    pub adam: AdamHyper,
}

/// What to record while training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recording {
    /// number of log-spaced steps at which the batch loss is kept
    pub curve_points: usize,
    /// the final training loss is the mean over this many last steps (100 in the paper)
    pub tail_steps: usize,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// All steps ran with finite loss and parameters.
    Finished,
    /// The loss or a parameter became NaN or infinite at this step; training stopped.
    Diverged {
        /// the step index at which it was detected
        step: u64,
    },
}

/// The record of one training run. Losses are in the paper's units: the sum over features,
/// mean over the batch, Σ_i I_i (y_i − x_i)² = n × (weighted) MSE.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// finished or diverged
    pub status: Status,
    /// (step index, batch loss) at log-spaced steps
    pub curve: Vec<(u64, f64)>,
    /// mean batch loss over the last `tail_steps` steps (or fewer if the run was shorter)
    pub tail_mean: f64,
    /// standard deviation of those batch losses
    pub tail_sd: f64,
    /// steps whose backward ran as a sparse scan
    pub sparse_backward_steps: u64,
    /// (t, the model after t steps) at the checkpoints asked of
    /// [`train_with_checkpoints`], in order; empty for [`train`]
    pub checkpoints: Vec<(u64, ToyModel)>,
}

/// The step indices 0 ≤ s < steps at which the curve is recorded: about `points`
/// log-spaced values, always including the first and the last step.
pub fn curve_steps(steps: u64, points: usize) -> Vec<u64> {
    if steps == 0 || points == 0 {
        return Vec::new();
    }
    let last = steps as f64;
    let mut out: Vec<u64> = (0..points)
        .map(|k| {
            let t = if points == 1 {
                1.0
            } else {
                k as f64 / (points - 1) as f64
            };
            (last.powf(t).round() as u64)
                .saturating_sub(1)
                .min(steps - 1)
        })
        .collect();
    out.dedup();
    out
}

/// Trains `model` in place. `on_step` is called after every step with its index.
#[allow(clippy::too_many_arguments)]
pub fn train<R: Rng, S: BatchSampler>(
    model: &mut ToyModel,
    sampler: &mut S,
    importance: &[f32],
    config: &TrainConfig,
    recording: &Recording,
    rng: &mut R,
    simd: Simd,
    on_step: &mut dyn FnMut(u64),
) -> Result<Outcome> {
    train_with_checkpoints(
        model,
        sampler,
        importance,
        config,
        recording,
        &[],
        rng,
        simd,
        on_step,
    )
}

/// The steps t at which [`train_with_checkpoints`] keeps "the model after t steps" for
/// `points` checkpoints of a `steps`-step run: about log-spaced in 0..=steps, always
/// including the start (t = 0) and the trained model (t = steps) when `points` ≥ 2.
pub fn checkpoint_steps(steps: u64, points: usize) -> Vec<u64> {
    if points == 1 {
        return vec![steps];
    }
    curve_steps(steps + 1, points)
}

/// [`train`], keeping a copy of the model after t steps for each t of `checkpoints`
/// (ascending, each ≤ `config.steps`; see [`checkpoint_steps`]) in [`Outcome::checkpoints`].
/// A run that diverges keeps the checkpoints it reached.
#[allow(clippy::too_many_arguments)]
pub fn train_with_checkpoints<R: Rng, S: BatchSampler>(
    model: &mut ToyModel,
    sampler: &mut S,
    importance: &[f32],
    config: &TrainConfig,
    recording: &Recording,
    checkpoints: &[u64],
    rng: &mut R,
    simd: Simd,
    on_step: &mut dyn FnMut(u64),
) -> Result<Outcome> {
    let mut next_checkpoint = checkpoints.iter().peekable();
    let mut kept = Vec::with_capacity(checkpoints.len());
    validate(model, sampler, importance, config)?;
    let (n, m, batch) = (model.n_features, model.width, config.batch_size);
    let mut buffers = StepBuffers::new(n, m, batch);
    let mut grads = Gradients::zeros(n, m);
    let mut x = SparseRows::default();
    let mut adam_weights = AdamState::new(n * m);
    let mut adam_bias = AdamState::new(n);
    let record_at = curve_steps(config.steps, recording.curve_points);
    let mut next_record = record_at.iter().peekable();
    let mut curve = Vec::with_capacity(record_at.len());
    let tail_len = recording.tail_steps.max(1);
    let mut tail = vec![0.0f64; tail_len];
    let mut sparse_backward_steps = 0;
    let mut status = Status::Finished;
    let mut steps_done = 0u64;
    for step in 0..config.steps {
        if next_checkpoint.peek() == Some(&&step) {
            next_checkpoint.next();
            kept.push((step, model.clone()));
        }
        let lr = config.schedule.lr(step) as f32;
        sampler.draw(rng, batch, &mut x);
        let loss = model.loss_and_gradient(
            simd,
            &x,
            importance,
            &mut buffers,
            &mut grads,
            SPARSE_BACKWARD_BELOW,
        )?;
        let batch_loss = loss.weighted_sum / batch as f64;
        if (loss.nonzero_gradients as f32) < SPARSE_BACKWARD_BELOW * (batch * n) as f32 {
            sparse_backward_steps += 1;
        }
        match config.decay {
            Decay::SignedRows { gamma } => decay_rows_signed(&mut model.weights, m, gamma, lr),
            Decay::Decoupled { lambda } => {
                decay_uniform(&mut model.weights, lr, lambda);
                decay_uniform(&mut model.bias, lr, lambda);
            }
        }
        adam_weights.update(&mut model.weights, &grads.weights, lr, config.adam);
        adam_bias.update(&mut model.bias, &grads.bias, lr, config.adam);
        tail[(step % tail_len as u64) as usize] = batch_loss;
        if next_record.peek() == Some(&&step) {
            next_record.next();
            curve.push((step, batch_loss));
        }
        steps_done = step + 1;
        on_step(step);
        // ReLU maps NaN pre-activations to 0, so a NaN can hide from the loss: check both.
        if !batch_loss.is_finite() || !model.is_finite() {
            status = Status::Diverged { step };
            break;
        }
    }
    if status == Status::Finished && next_checkpoint.peek() == Some(&&config.steps) {
        kept.push((config.steps, model.clone()));
    }
    let tail_kept = (steps_done as usize).min(tail_len);
    let tail = &tail[..tail_kept];
    let tail_mean = tail.iter().sum::<f64>() / tail_kept.max(1) as f64;
    let tail_sd = if tail_kept > 1 {
        (tail.iter().map(|v| (v - tail_mean).powi(2)).sum::<f64>() / (tail_kept - 1) as f64).sqrt()
    } else {
        0.0
    };
    Ok(Outcome {
        status,
        curve,
        tail_mean,
        tail_sd,
        sparse_backward_steps,
        checkpoints: kept,
    })
}

/// The loss of `model` on `batches` fresh batches of `batch_size` samples, in the paper's
/// units (mean over samples of Σ_i I_i (y_i − x_i)²): the held-out "final test loss"
/// (App. B.2: "newly sampled data with a size being 100 times the batch size").
#[allow(clippy::too_many_arguments)]
pub fn evaluate<R: Rng, S: BatchSampler>(
    model: &ToyModel,
    sampler: &mut S,
    importance: &[f32],
    batch_size: usize,
    batches: usize,
    rng: &mut R,
    simd: Simd,
) -> Result<f64> {
    let mut buffers = StepBuffers::new(model.n_features, model.width, batch_size);
    let mut x = SparseRows::default();
    let mut total = 0.0;
    for _ in 0..batches {
        sampler.draw(rng, batch_size, &mut x);
        total += model.loss_sum(simd, &x, importance, &mut buffers)?;
    }
    Ok(total / (batches * batch_size).max(1) as f64)
}

fn invalid(field: &'static str, value: impl ToString, reason: &str) -> Error {
    Error::InvalidConfig {
        field,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

fn validate(
    model: &ToyModel,
    sampler: &impl BatchSampler,
    importance: &[f32],
    config: &TrainConfig,
) -> Result<()> {
    if config.batch_size == 0 {
        return Err(invalid(
            "batch_size",
            config.batch_size,
            "must be at least 1",
        ));
    }
    if sampler.n_features() != model.n_features || importance.len() != model.n_features {
        return Err(invalid(
            "n_features",
            model.n_features,
            "model, data and importance disagree",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "trainer_tests.rs"]
mod tests;
