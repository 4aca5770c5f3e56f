//! Runs of small Anthropic models trained eight at a time through `superscale_models::grid`.
//!
//! The rule: a run goes through the grid when its model is the Anthropic variant with at
//! most [`GRID_MAX_FEATURES`] features and [`GRID_MAX_HIDDEN`] hidden units, and either
//! n·m ≤ [`GRID_MAX_PARAMETERS`] or it draws its batches by entries (`sampler = "entries"`).
//! Mid-size models drawn by gaps stay alone: the grid cannot skip a zero unless all eight
//! lanes have it, so at C9's sparse levels (p ≤ 0.1) a gaps-drawn grid was slower than the
//! single-model trainer, while entry-drawn grids were 1–3.6× faster per model at every p
//! (`superscale_models/examples/wide_benchmark.rs`, docs/tms.md). Such runs that share shape,
//! sampler, training and record settings
//! are trained in blocks of `superscale_models::grid::LANES`, whatever else differs (importances,
//! probabilities, weight decay, seed). The rule looks at one run only, so a run always
//! takes the same path (resumed, sharded or extended), and a lane's bits do not depend on
//! its neighbours, so neither do the run's results. Each run keeps its own seed streams
//! (init, data, held-out, as `execute`), is evaluated on held-out data and measured exactly
//! as `execute` does, and is reported with its own events: a block's runs start together
//! and are committed together when the block ends.

use super::error::{Error, Result};
use super::execute::{finish_run, sampling, schedule, streams, Heldout, RunResult};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::time::Instant;
use superscale_kernels::{AdamHyper, Simd};
use superscale_models::grid::{train_block, GridConfig, Member, Trained};
use superscale_models::train::Recording;
use superscale_models::{FeatureSampler, Init, Sampling, ToyModel};
use superscale_spec::{ModelSpec, RunPoint, RunSpec};

/// Largest n of a grid run (the grid kernel's limit).
pub const GRID_MAX_FEATURES: usize = superscale_models::grid::MAX_FEATURES;
/// Largest m of a grid run (the grid kernel's limit).
pub const GRID_MAX_HIDDEN: usize = superscale_models::grid::MAX_HIDDEN;
/// Largest n·m of a gaps-drawn grid run: beyond it one model's sparse GEMM-based step is
/// as fast on its own.
pub const GRID_MAX_PARAMETERS: usize = 256;

/// The key of the grid a run belongs to (runs with equal keys share blocks), or None when
/// the run trains alone.
pub(crate) fn grid_key(spec: &RunSpec) -> Option<String> {
    let ModelSpec::Anthropic(model) = &spec.model else {
        return None;
    };
    // λ̂ at checkpoints needs the one-model trainer's copies of the model.
    if spec.llc.is_some() {
        return None;
    }
    let (n, m) = (model.n_features, model.n_hidden);
    let entries = sampling(spec) == Sampling::Entries;
    if n > GRID_MAX_FEATURES || m > GRID_MAX_HIDDEN || (n * m > GRID_MAX_PARAMETERS && !entries) {
        return None;
    }
    // Serialising a spec cannot fail (see RunSpec::canonical_json).
    let shared = serde_json::to_string(&(n, m, model.sampler, &spec.train, &spec.record)).ok()?;
    Some(shared)
}

/// A run's member and its held-out stream: the three xoshiro streams of `execute`.
fn member(point: &RunPoint) -> Result<(Member, Xoshiro256PlusPlus)> {
    let ModelSpec::Anthropic(spec) = &point.spec.model else {
        unreachable!("grid_key admits only the Anthropic variant")
    };
    let [mut init_rng, data_rng, heldout_rng] = streams(point.seed);
    let model = ToyModel::new(
        spec.n_features,
        spec.n_hidden,
        Init::XavierNormal,
        &mut init_rng,
    )
    .map_err(|source| Error::Model {
        run_id: point.run_id.clone(),
        source,
    })?;
    Ok((
        Member {
            model,
            probabilities: spec.probabilities(),
            importance: spec.importances(),
            weight_decay: spec.weight_decay as f32,
            rng: data_rng,
        },
        heldout_rng,
    ))
}

/// Held-out loss and geometry of a trained member, as `execute` computes them.
fn finish(
    point: &RunPoint,
    member: &Member,
    trained: Trained,
    heldout_rng: &mut Xoshiro256PlusPlus,
    simd: Simd,
    seconds: f64,
) -> Result<RunResult> {
    let Trained { model, outcome } = trained;
    let mut sampler =
        FeatureSampler::new(member.probabilities.clone(), 1.0).map_err(|source| Error::Model {
            run_id: point.run_id.clone(),
            source,
        })?;
    let heldout = Heldout {
        sampler: &mut sampler,
        importance: &member.importance,
        rng: heldout_rng,
    };
    finish_run(point, model, outcome, heldout, simd, &|| seconds)
}

/// Trains one block of grid runs (at most `superscale_models::grid::LANES`, one grid key) on the
/// calling thread, reporting every run's steps. Returns one result per run, in order.
pub(crate) fn execute_block(
    points: &[&RunPoint],
    simd: Simd,
    on_step: &(dyn Fn(&RunPoint, u64) + Sync),
) -> Vec<Result<RunResult>> {
    let started = Instant::now();
    let mut members = Vec::with_capacity(points.len());
    let mut heldout = Vec::with_capacity(points.len());
    let mut failed: Vec<Option<Error>> = Vec::with_capacity(points.len());
    for point in points {
        match member(point) {
            Ok((m, h)) => {
                members.push(m);
                heldout.push(h);
                failed.push(None);
            }
            Err(err) => failed.push(Some(err)),
        }
    }
    let trainable: Vec<&RunPoint> = points
        .iter()
        .zip(&failed)
        .filter(|(_, f)| f.is_none())
        .map(|(p, _)| *p)
        .collect();
    let Some(first) = trainable.first() else {
        return finish_failures(points, failed);
    };
    let config = GridConfig {
        steps: first.spec.train.steps,
        batch_size: first.spec.train.batch_size,
        schedule: schedule(&first.spec),
        adam: AdamHyper::default(),
        recording: Recording {
            curve_points: first.spec.record.curve_points,
            tail_steps: first.spec.record.tail_steps,
        },
        value_max: 1.0,
        sampling: sampling(&first.spec),
    };
    let steps = config.steps;
    let trained = train_block(members.clone(), &config, simd, &mut |step| {
        if step % 100 == 99 || step + 1 == steps {
            for point in &trainable {
                on_step(point, step + 1);
            }
        }
    });
    let trained = match trained {
        Ok(trained) => trained,
        Err(source) => {
            let failed = points
                .iter()
                .map(|p| {
                    Some(Error::Grid {
                        run_id: p.run_id.clone(),
                        message: source.to_string(),
                    })
                })
                .collect();
            return finish_failures(points, failed);
        }
    };
    // Each run is charged its share of the block's wall time.
    let seconds = started.elapsed().as_secs_f64() / trainable.len() as f64;
    let mut trained = trained
        .into_iter()
        .zip(members.iter())
        .zip(heldout.iter_mut());
    let mut results = Vec::with_capacity(points.len());
    for (point, failure) in points.iter().zip(failed) {
        let result = match failure {
            Some(err) => Err(err),
            None => {
                let ((t, member), heldout_rng) = trained
                    .next()
                    .expect("one trained member per trainable run");
                finish(point, member, t, heldout_rng, simd, seconds)
            }
        };
        results.push(result);
    }
    results
}

fn finish_failures(points: &[&RunPoint], failed: Vec<Option<Error>>) -> Vec<Result<RunResult>> {
    points
        .iter()
        .zip(failed)
        .map(|(point, failure)| {
            Err(failure.unwrap_or_else(|| Error::Grid {
                run_id: point.run_id.clone(),
                message: "another run of its block could not be built".into(),
            }))
        })
        .collect()
}
