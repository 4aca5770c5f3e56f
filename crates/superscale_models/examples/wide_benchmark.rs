//! CPU time per model-step of a mid-size Anthropic model (C9's n = 200, m = 20, batch 1024)
//! trained in a grid block (the wide kernel) against the same models trained alone by
//! `superscale_models::train::train`.
//!
//! cargo run --release -p superscale_models --example wide_benchmark -- [n] [m] [p] [steps] [threads] [grid|alone] [gaps|entries]
//!
//! Both train the same 8·threads models: `grid` as one block per thread, `alone` one model
//! after another on each thread, both drawing batches with the sampler named last (`gaps`,
//! the default, or `entries`; `superscale_models::Sampling`). All features share the
//! probability p and importance 1 (C9's setting, `docs/science/superposition.md` §4 C9). Measure on one thread (`RAYON_NUM_THREADS` is not
//! read: pass threads = 1) and under `perf stat -e task-clock` when the machine is shared.
//! FLOPs: the five n·m products of a step, 10·B·n·m per model-step, counted dense.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use std::time::Instant;
use superscale_kernels::{AdamHyper, Simd};
use superscale_models::grid::{train_grid, GridConfig, Member};
use superscale_models::train::{train, Decay, Recording, Schedule, TrainConfig};
use superscale_models::{Init, Sampler, Sampling, ToyModel};

fn member(n: usize, m: usize, probability: f64, seed: u64) -> Member {
    let mut init = Xoshiro256PlusPlus::seed_from_u64(seed);
    let model = ToyModel::new(n, m, Init::XavierNormal, &mut init).expect("valid shape");
    let mut rng = init.clone();
    rng.jump();
    Member {
        model,
        probabilities: vec![probability; n],
        importance: vec![1.0; n],
        weight_decay: 0.01,
        rng,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |index: usize, default: &str| args.get(index).cloned().unwrap_or(default.into());
    let n: usize = arg(1, "200").parse().expect("n");
    let m: usize = arg(2, "20").parse().expect("m");
    let probability: f64 = arg(3, "1").parse().expect("p");
    let steps: u64 = arg(4, "200").parse().expect("steps");
    let threads: usize = arg(5, "1").parse().expect("threads");
    let mode = arg(6, "grid");
    let sampling = match arg(7, "gaps").as_str() {
        "entries" => Sampling::Entries,
        _ => Sampling::Gaps,
    };
    let batch = 1024;
    let config = GridConfig {
        steps,
        batch_size: batch,
        schedule: Schedule::Constant { lr: 1e-3 },
        adam: AdamHyper::default(),
        recording: Recording {
            curve_points: 30,
            tail_steps: 100.min(steps as usize),
        },
        value_max: 1.0,
        sampling,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let simd = Simd::detect();
    let models = 8 * threads;
    let members: Vec<Member> = (0..models as u64)
        .map(|k| member(n, m, probability, k))
        .collect();
    let started = Instant::now();
    let tail_losses: Vec<f64> = if mode == "alone" {
        pool.install(|| {
            members
                .par_iter()
                .map(|member| {
                    let mut model = member.model.clone();
                    let mut sampler =
                        Sampler::new(sampling, member.probabilities.clone(), 1.0).expect("valid p");
                    let mut rng = member.rng.clone();
                    let train_config = TrainConfig {
                        steps,
                        batch_size: batch,
                        schedule: config.schedule,
                        decay: Decay::Decoupled { lambda: 0.01 },
                        adam: config.adam,
                    };
                    let importance = member.importance.clone();
                    train(
                        &mut model,
                        &mut sampler,
                        &importance,
                        &train_config,
                        &config.recording,
                        &mut rng,
                        simd,
                        &mut |_| {},
                    )
                    .expect("valid run")
                    .tail_mean
                })
                .collect()
        })
    } else {
        pool.install(|| train_grid(members, &config, simd, &|_, _| {}))
            .expect("a valid grid")
            .iter()
            .map(|t| t.outcome.tail_mean)
            .collect()
    };
    let seconds = started.elapsed().as_secs_f64();
    let model_steps = (models as u64 * steps) as f64;
    let per_model_step = seconds * threads as f64 / model_steps;
    let flops = 10.0 * (batch * n * m) as f64;
    let mean_loss = tail_losses.iter().sum::<f64>() / tail_losses.len() as f64;
    println!(
        "{mode} ({sampling:?}): {models} models n={n} m={m} p={probability} batch {batch}, {steps} steps, \
         {threads} threads, {simd:?}: {seconds:.3} s wall, {:.3} ms CPU per model-step, \
         {:.1} GFLOP/s per thread (10·B·n·m), mean tail loss {mean_loss:.6}",
        1e3 * per_model_step,
        flops / per_model_step / 1e9,
    );
}
