//! Training a grid: blocks of [`LANES`] models, each block trained from its first step to
//! its last on one thread (its parameters, Adam moments and batch stay in L1/L2 the whole
//! time), blocks spread over the current rayon pool. Blocks share nothing, so the bits of
//! every model are the same for any thread count, and the same in any block position.

use crate::grid::entry_lanes::EntryLanes;
use crate::grid::error::{Error, Result};
use crate::grid::kernel::{block_gradient, Workspace, MAX_FEATURES, MAX_HIDDEN};
use crate::grid::layout::{BlockParams, LANES};
use crate::grid::optimizer::{optimizer_step, AdamStep};
use crate::grid::sampler::LaneSampler;
use crate::train::{curve_steps, Outcome, Recording, Schedule, Status, SPARSE_BACKWARD_BELOW};
use crate::{EntryStream, Sampling, ToyModel};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use superscale_kernels::{AdamHyper, Simd};

/// One model of a grid: its initial parameters, its data and its stream of random numbers.
#[derive(Debug, Clone)]
pub struct Member {
    /// the initial parameters (all members share n and m)
    pub model: ToyModel,
    /// p_i = 1 − S_i, the probability that feature i is non-zero, per feature
    pub probabilities: Vec<f64>,
    /// I_i, the importance weight of feature i in the loss
    pub importance: Vec<f32>,
    /// λ of the decoupled weight decay on W and b (torch AdamW; 0.01 in the TMS notebook)
    pub weight_decay: f32,
    /// the stream the training batches are drawn from
    pub rng: Xoshiro256PlusPlus,
}

/// What every member of a grid shares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridConfig {
    /// number of steps
    pub steps: u64,
    /// samples per batch
    pub batch_size: usize,
    /// learning-rate schedule
    pub schedule: Schedule,
    /// Adam's β₁, β₂, ε
    pub adam: AdamHyper,
    /// what to record
    pub recording: Recording,
    /// active values are U(0, value_max) (1 for the Anthropic model)
    pub value_max: f32,
    /// how every member draws its batches (`crate::Sampling`): `Gaps` as
    /// `FeatureSampler`, `Entries` as `EntrySampler`, eight lanes per AVX2 register
    pub sampling: Sampling,
}

/// A trained member: its final parameters (those of the diverging step if it diverged) and
/// the same record the single-model trainer returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    /// final W and b
    pub model: ToyModel,
    /// status, loss curve, tail statistics
    pub outcome: Outcome,
}

/// Checks that the members fit one grid and the values are usable.
pub fn validate(members: &[Member], config: &GridConfig) -> Result<()> {
    let config_error = |field, message: String| Error::InvalidConfig { field, message };
    if config.batch_size == 0 {
        return Err(config_error("batch_size", "must be at least 1".into()));
    }
    if !(config.value_max.is_finite() && config.value_max > 0.0) {
        return Err(config_error(
            "value_max",
            format!("{}: must be finite and > 0", config.value_max),
        ));
    }
    let Some(first) = members.first() else {
        return Ok(());
    };
    let (n, m) = (first.model.n_features, first.model.width);
    if n > MAX_FEATURES || m > MAX_HIDDEN || m == 0 {
        return Err(config_error(
            "n_features",
            format!("{n}×{m}: a grid trains models of at most {MAX_FEATURES} features and 1 to {MAX_HIDDEN} hidden units"),
        ));
    }
    debug_assert!(n * crate::grid::kernel::CHUNK_ROWS < COUNT_LIMIT);
    for (index, member) in members.iter().enumerate() {
        let invalid = |field, message: String| Error::InvalidMember {
            member: index,
            field,
            message,
        };
        let model = &member.model;
        if model.n_features != n || model.width != m {
            return Err(invalid(
                "model",
                format!(
                    "shape {}×{} differs from the grid's {n}×{m}",
                    model.n_features, model.width
                ),
            ));
        }
        if model.weights.len() != n * m || model.bias.len() != n {
            return Err(invalid(
                "model",
                "parameters do not have the model's shape".into(),
            ));
        }
        if member.probabilities.len() != n || member.importance.len() != n {
            return Err(invalid(
                "probabilities",
                format!("need {n} probabilities and importances"),
            ));
        }
        if let Some(p) = member
            .probabilities
            .iter()
            .find(|p| !(0.0..=1.0).contains(*p))
        {
            return Err(invalid(
                "probabilities",
                format!("{p}: a probability must be in [0, 1]"),
            ));
        }
        if let Some(w) = member
            .importance
            .iter()
            .find(|w| !(w.is_finite() && **w >= 0.0))
        {
            return Err(invalid(
                "importance",
                format!("{w}: must be finite and ≥ 0"),
            ));
        }
        if !(member.weight_decay.is_finite() && member.weight_decay >= 0.0) {
            return Err(invalid(
                "weight_decay",
                format!("{}: must be finite and ≥ 0", member.weight_decay),
            ));
        }
    }
    Ok(())
}

/// The kernel counts a chunk's non-zero gradients in f32, exact below 2^24.
const COUNT_LIMIT: usize = 1 << 24;

/// The record of one lane while it trains.
struct LaneRecord {
    curve: Vec<(u64, f64)>,
    tail: Vec<f64>,
    sparse_backward_steps: u64,
    steps_done: u64,
    status: Status,
    /// the parameters at the diverging step
    frozen: Option<ToyModel>,
}

/// Trains up to [`LANES`] members as one block on the calling thread. `on_step` is called
/// after every step with its index.
pub fn train_block(
    members: Vec<Member>,
    config: &GridConfig,
    simd: Simd,
    on_step: &mut dyn FnMut(u64),
) -> Result<Vec<Trained>> {
    validate(&members, config)?;
    if members.len() > LANES {
        return Err(Error::InvalidConfig {
            field: "members",
            message: format!("{} members; a block holds at most {LANES}", members.len()),
        });
    }
    let Some(first) = members.first() else {
        return Ok(Vec::new());
    };
    let (n, m, batch) = (first.model.n_features, first.model.width, config.batch_size);
    let live = members.len();
    let mut params = BlockParams::zeros(n, m);
    let entry_lanes = (config.sampling == Sampling::Entries).then(|| {
        let probabilities: Vec<&[f64]> = members
            .iter()
            .map(|member| &member.probabilities[..])
            .collect();
        EntryLanes::new(n, &probabilities, config.value_max)
    });
    let mut samplers = Vec::with_capacity(LANES);
    let mut rngs = Vec::with_capacity(live);
    for (lane, member) in members.into_iter().enumerate() {
        params.set_lane(lane, &member.model, &member.importance, member.weight_decay);
        samplers.push(LaneSampler::new(&member.probabilities, config.value_max));
        rngs.push(member.rng);
    }
    samplers.resize(LANES, LaneSampler::silent(n));
    let mut streams = [EntryStream { state: [0; 4] }; LANES];
    let mut work = Workspace::new(n, m, batch);
    let record_at = curve_steps(config.steps, config.recording.curve_points);
    let mut next_record = 0;
    let tail_len = config.recording.tail_steps.max(1);
    let mut records: Vec<LaneRecord> = (0..live)
        .map(|_| LaneRecord {
            curve: Vec::with_capacity(record_at.len()),
            tail: vec![0.0; tail_len],
            sparse_backward_steps: 0,
            steps_done: 0,
            status: Status::Finished,
            frozen: None,
        })
        .collect();
    let sparse_limit = SPARSE_BACKWARD_BELOW * (batch * n) as f32;
    let mut running = live;
    for step in 0..config.steps {
        let lr = config.schedule.lr(step) as f32;
        if let Some(entry_lanes) = &entry_lanes {
            // Every lane draws (a frozen lane's batch is never used); silent lanes keep a
            // zero state and are gated off.
            for (stream, rng) in streams.iter_mut().zip(rngs.iter_mut()) {
                *stream = EntryStream::from_rng(rng);
            }
            entry_lanes.sample(simd, &streams, batch, &mut work.x);
        } else {
            work.x.fill(0.0);
            for (lane, rng) in rngs.iter_mut().enumerate() {
                if records[lane].frozen.is_none() {
                    samplers[lane].sample(rng, batch, &mut work.x, lane);
                }
            }
        }
        block_gradient(simd, &params, &mut work);
        optimizer_step(
            simd,
            &mut params,
            &work.grad_weights,
            &work.grad_bias,
            AdamStep::new(step + 1, lr, config.adam),
        );
        let record_now = record_at.get(next_record) == Some(&step);
        if record_now {
            next_record += 1;
        }
        let finite = params.finite_lanes();
        for (lane, record) in records.iter_mut().enumerate() {
            if record.frozen.is_some() {
                continue;
            }
            // As the single-model trainer: record, then stop on a non-finite loss or
            // parameter (ReLU maps NaN pre-activations to 0, so check both).
            let batch_loss = work.loss[lane] / batch as f64;
            if (work.nonzero[lane] as f32) < sparse_limit {
                record.sparse_backward_steps += 1;
            }
            record.tail[(step % tail_len as u64) as usize] = batch_loss;
            if record_now {
                record.curve.push((step, batch_loss));
            }
            record.steps_done = step + 1;
            if !batch_loss.is_finite() || !finite[lane] {
                record.status = Status::Diverged { step };
                record.frozen = Some(params.lane_model(lane));
                running -= 1;
            }
        }
        on_step(step);
        if running == 0 {
            break;
        }
    }
    Ok(records
        .into_iter()
        .enumerate()
        .map(|(lane, record)| {
            let kept = (record.steps_done as usize).min(tail_len);
            let tail = &record.tail[..kept];
            let tail_mean = tail.iter().sum::<f64>() / kept.max(1) as f64;
            let tail_sd = if kept > 1 {
                (tail.iter().map(|v| (v - tail_mean).powi(2)).sum::<f64>() / (kept - 1) as f64)
                    .sqrt()
            } else {
                0.0
            };
            Trained {
                model: record.frozen.unwrap_or_else(|| params.lane_model(lane)),
                outcome: Outcome {
                    status: record.status,
                    curve: record.curve,
                    tail_mean,
                    tail_sd,
                    sparse_backward_steps: record.sparse_backward_steps,
                    checkpoints: Vec::new(),
                },
            }
        })
        .collect())
}

/// Trains every member: blocks of [`LANES`] consecutive members in parallel on the current
/// rayon pool, results in the members' order. `on_step(block, step)` is called after every
/// step of every block (block b holds members LANES·b ..).
pub fn train_grid(
    members: Vec<Member>,
    config: &GridConfig,
    simd: Simd,
    on_step: &(dyn Fn(usize, u64) + Sync),
) -> Result<Vec<Trained>> {
    validate(&members, config)?;
    let mut blocks: Vec<Vec<Member>> = Vec::with_capacity(members.len().div_ceil(LANES));
    let mut members = members.into_iter().peekable();
    while members.peek().is_some() {
        blocks.push(members.by_ref().take(LANES).collect());
    }
    let trained = blocks
        .into_par_iter()
        .enumerate()
        .map(|(index, block)| train_block(block, config, simd, &mut |step| on_step(index, step)))
        .collect::<Result<Vec<_>>>()?;
    Ok(trained.into_iter().flatten().collect())
}
