//! One run: build the model and data from its spec, train, evaluate, measure.

use super::error::{Error, Result};
use super::llc::{dataset, estimate_checkpoints, LlcPoint};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::time::Instant;
use superscale_kernels::{AdamHyper, Simd};
use superscale_measure::{measure, Geometry};
use superscale_models::train::{
    checkpoint_steps, evaluate, train_with_checkpoints, Decay, Outcome, Recording, Schedule,
    Status, TrainConfig,
};
use superscale_models::{
    power_law_probabilities, FeatureSampler, Init, Sampler, Sampling, ToyModel,
};
use superscale_spec::{ModelSpec, RunPoint, RunSpec, SamplerKind, ScheduleSpec};

/// How a run ended, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// every step ran
    Done,
    /// the loss or a parameter became non-finite at this step; no final numbers exist
    Diverged {
        /// step index at which it was detected
        step: u64,
    },
}

/// Everything a run produced. Losses are in the paper's units, L = n × MSE (the sum over
/// features of the squared error, mean over samples; importance-weighted for the
/// Anthropic variant).
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// the run's sweep point and replicate
    pub point: RunPoint,
    /// done or diverged
    pub status: RunStatus,
    /// mean batch loss over the last `record.tail_steps` steps
    pub loss_train_tail: f64,
    /// standard deviation of those batch losses
    pub loss_train_tail_sd: f64,
    /// loss on `record.heldout_batches` fresh batches (NaN if diverged)
    pub loss_heldout: f64,
    /// (step, batch loss) at log-spaced steps
    pub curve: Vec<(u64, f64)>,
    /// measurements of W (None if diverged)
    pub geometry: Option<Geometry>,
    /// fraction of steps whose backward ran as a sparse scan
    pub sparse_backward_fraction: f64,
    /// wall-clock seconds (not part of the result's identity)
    pub seconds: f64,
    /// final parameters: W (n × m row-major) then b
    pub weights: Vec<f32>,
    /// final bias
    pub bias: Vec<f32>,
    /// λ̂ at the checkpoints of an `[llc]` table, in order (empty without one)
    pub llc: Vec<LlcPoint>,
}

struct Setup {
    model: ToyModel,
    /// draws the training batches
    sampler: Sampler,
    /// draws the held-out batches: always by gaps, so a run's held-out set does not depend
    /// on how its training batches are drawn
    heldout_sampler: FeatureSampler,
    importance: Vec<f32>,
    config: TrainConfig,
}

/// The learning-rate schedule a spec declares (shared with the grid path).
pub(crate) fn schedule(spec: &RunSpec) -> Schedule {
    match spec.train.schedule {
        ScheduleSpec::Constant { lr } => Schedule::Constant { lr },
        ScheduleSpec::WarmupCosine {
            peak_lr,
            warmup_steps,
            min_lr_ratio,
        } => Schedule::WarmupCosine {
            peak: peak_lr,
            warmup: warmup_steps,
            total: spec.train.steps,
            min_ratio: min_lr_ratio,
        },
    }
}

/// A run's three independent random streams, from its seed by xoshiro jumps:
/// (initialisation, training data, held-out data). The grid path uses the same three, so a
/// run gives the same model on either path.
pub(crate) fn streams(seed: u64) -> [Xoshiro256PlusPlus; 3] {
    let init = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut data = init.clone();
    data.jump();
    let mut heldout = data.clone();
    heldout.jump();
    [init, data, heldout]
}

/// How a run draws its training batches (the Anthropic spec's `sampler`; always gaps for
/// the superposition-scaling model). Shared with the grid path.
pub(crate) fn sampling(spec: &RunSpec) -> Sampling {
    match &spec.model {
        ModelSpec::Anthropic(model) if model.sampler == SamplerKind::Entries => Sampling::Entries,
        _ => Sampling::Gaps,
    }
}

fn setup(spec: &RunSpec, rng: &mut Xoshiro256PlusPlus) -> superscale_models::Result<Setup> {
    let schedule = schedule(spec);
    let (model, heldout_sampler, importance, decay) = match &spec.model {
        ModelSpec::SuperpositionScaling(s) => {
            let model = ToyModel::new(s.n_features, s.n_hidden, Init::SuperpositionScaling, rng)?;
            let probabilities =
                power_law_probabilities(s.n_features, s.alpha, s.activation_density)?;
            let sampler = FeatureSampler::new(probabilities, 2.0)?;
            (
                model,
                sampler,
                vec![1.0; s.n_features],
                Decay::SignedRows {
                    gamma: s.weight_decay as f32,
                },
            )
        }
        ModelSpec::Anthropic(s) => {
            let model = ToyModel::new(s.n_features, s.n_hidden, Init::XavierNormal, rng)?;
            // Per-feature values (identical to the former r^i and 1 − S when the spec has
            // no `importance` list or `extra_feature`).
            let sampler = FeatureSampler::new(s.probabilities(), 1.0)?;
            let importance = s.importances();
            (
                model,
                sampler,
                importance,
                Decay::Decoupled {
                    lambda: s.weight_decay as f32,
                },
            )
        }
    };
    let sampler = Sampler::new(
        sampling(spec),
        heldout_sampler.probabilities().to_vec(),
        heldout_sampler.value_max(),
    )?;
    let config = TrainConfig {
        steps: spec.train.steps,
        batch_size: spec.train.batch_size,
        schedule,
        decay,
        adam: AdamHyper::default(),
    };
    Ok(Setup {
        model,
        sampler,
        heldout_sampler,
        importance,
        config,
    })
}

/// Trains and measures one run. Three independent random streams come from the seed by
/// xoshiro jumps: initialisation, training data, held-out data.
pub fn execute(point: &RunPoint, simd: Simd, on_step: &mut dyn FnMut(u64)) -> Result<RunResult> {
    let started = Instant::now();
    let run_id = point.run_id.clone();
    let [mut init_rng, mut data_rng, mut heldout_rng] = streams(point.seed);
    let Setup {
        mut model,
        mut sampler,
        mut heldout_sampler,
        importance,
        config,
    } = setup(&point.spec, &mut init_rng).map_err(|source| Error::Model {
        run_id: run_id.clone(),
        source,
    })?;
    let record = Recording {
        curve_points: point.spec.record.curve_points,
        tail_steps: point.spec.record.tail_steps,
    };
    // λ̂'s dataset comes from the stream after the held-out one, drawn before that one is
    // used (`llc.rs`).
    let llc = point.spec.llc.as_ref();
    let llc_data = llc.map(|spec| dataset(&heldout_sampler, &heldout_rng, spec.n));
    let checkpoints = llc.map_or_else(Vec::new, |spec| {
        checkpoint_steps(point.spec.train.steps, spec.checkpoints)
    });
    let mut outcome = train_with_checkpoints(
        &mut model,
        &mut sampler,
        &importance,
        &config,
        &record,
        &checkpoints,
        &mut data_rng,
        simd,
        on_step,
    )
    .map_err(|source| Error::Train {
        run_id: run_id.clone(),
        source,
    })?;
    let kept = std::mem::take(&mut outcome.checkpoints);
    let seconds = || started.elapsed().as_secs_f64();
    let heldout = Heldout {
        sampler: &mut heldout_sampler,
        importance: &importance,
        rng: &mut heldout_rng,
    };
    let mut result = finish_run(point, model, outcome, heldout, simd, &|| 0.0)?;
    if let (Some(spec), Some(data)) = (llc, llc_data) {
        let estimates =
            estimate_checkpoints(spec, &kept, data, &importance, simd, point.seed, &|_| {})
                .map_err(|source| Error::Llc {
                    run_id: run_id.clone(),
                    source,
                })?;
        result.llc = estimates.iter().map(LlcPoint::from).collect();
    }
    result.seconds = seconds();
    Ok(result)
}

/// What the held-out evaluation of a finished run draws from.
pub(crate) struct Heldout<'a> {
    pub(crate) sampler: &'a mut FeatureSampler,
    pub(crate) importance: &'a [f32],
    pub(crate) rng: &'a mut Xoshiro256PlusPlus,
}

/// The result of a trained run: held-out loss and geometry when it finished, NaN and no
/// geometry when it diverged. Shared by the one-model path and the grid (`grid_runs.rs`).
pub(crate) fn finish_run(
    point: &RunPoint,
    model: ToyModel,
    outcome: Outcome,
    heldout: Heldout<'_>,
    simd: Simd,
    seconds: &dyn Fn() -> f64,
) -> Result<RunResult> {
    let run_id = point.run_id.clone();
    let steps_run = match outcome.status {
        Status::Finished => point.spec.train.steps,
        Status::Diverged { step } => step + 1,
    };
    let (status, loss_heldout, geometry) = match outcome.status {
        Status::Diverged { step } => (RunStatus::Diverged { step }, f64::NAN, None),
        Status::Finished => {
            let loss = evaluate(
                &model,
                heldout.sampler,
                heldout.importance,
                point.spec.train.batch_size,
                point.spec.record.heldout_batches,
                heldout.rng,
                simd,
            )
            .map_err(|source| Error::Train {
                run_id: run_id.clone(),
                source,
            })?;
            let geometry =
                measure(&model.weights, model.width).map_err(|source| Error::Measure {
                    run_id: run_id.clone(),
                    source,
                })?;
            (RunStatus::Done, loss, Some(geometry))
        }
    };
    let diverged = matches!(status, RunStatus::Diverged { .. });
    Ok(RunResult {
        point: point.clone(),
        status,
        loss_train_tail: if diverged {
            f64::NAN
        } else {
            outcome.tail_mean
        },
        loss_train_tail_sd: if diverged { f64::NAN } else { outcome.tail_sd },
        loss_heldout,
        curve: outcome.curve,
        geometry,
        sparse_backward_fraction: outcome.sparse_backward_steps as f64 / steps_run.max(1) as f64,
        seconds: seconds(),
        weights: model.weights,
        bias: model.bias,
        llc: Vec::new(),
    })
}
