//! Times a grid of 1024 Anthropic models of n = 5, m = 2 (issue 6's target: batch 1024,
//! 10 000 steps in under a minute) and prints the achieved FLOP rate of `step_cost`.
//!
//! cargo run --release -p superscale_models --example grid_benchmark -- [steps] [dense|grid] [threads] [gaps|entries]
//!
//! `dense`: every feature active (p = 1), the costliest data; `grid`: 32 × 32 over
//! importance decay r ∈ [0.5, 1] (I_i = r^i) × feature probability p ∈ [0.01, 1]
//! log-spaced, the phase-diagram grid of issue 6. `gaps` (default) draws batches as
//! `FeatureSampler`, `entries` as `EntrySampler` (eight lanes per AVX2 register). The
//! PyTorch peer is bench/torch_grid.py.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::time::Instant;
use superscale_kernels::{AdamHyper, Simd};
use superscale_models::grid::{step_cost, train_grid, GridConfig, Member};
use superscale_models::train::{Recording, Schedule};
use superscale_models::{Init, Sampling, ToyModel};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let steps: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let kind = args.get(2).map_or("grid", String::as_str);
    let threads: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2);
    let sampling = match args.get(4).map_or("gaps", String::as_str) {
        "entries" => Sampling::Entries,
        _ => Sampling::Gaps,
    };
    let (n, m, batch) = (5, 2, 1024);
    let members: Vec<Member> = (0..1024)
        .map(|k| {
            let (row, column) = (k / 32, k % 32);
            let decay = 0.5 + 0.5 * row as f64 / 31.0;
            let probability = if kind == "dense" {
                1.0
            } else {
                0.01f64.powf(column as f64 / 31.0)
            };
            let mut init = Xoshiro256PlusPlus::seed_from_u64(k as u64);
            let model = ToyModel::new(n, m, Init::XavierNormal, &mut init).expect("valid shape");
            let mut rng = init.clone();
            rng.jump();
            Member {
                model,
                probabilities: vec![probability; n],
                importance: (0..n).map(|i| decay.powi(i as i32) as f32).collect(),
                weight_decay: 0.01,
                rng,
            }
        })
        .collect();
    let config = GridConfig {
        steps,
        batch_size: batch,
        schedule: Schedule::Constant { lr: 1e-3 },
        adam: AdamHyper::default(),
        recording: Recording {
            curve_points: 60,
            tail_steps: 100,
        },
        value_max: 1.0,
        sampling,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let started = Instant::now();
    let trained = pool
        .install(|| train_grid(members, &config, Simd::detect(), &|_, _| {}))
        .expect("a valid grid");
    let seconds = started.elapsed().as_secs_f64();
    let cost = step_cost(n, m, batch);
    let model_steps = 1024.0 * steps as f64;
    let mean_loss = trained.iter().map(|t| t.outcome.tail_mean).sum::<f64>() / trained.len() as f64;
    println!(
        "{kind} ({sampling:?}): 1024 models n={n} m={m} batch {batch}, {steps} steps, {threads} threads, {:?}: {seconds:.2} s, \
         {:.3} ms/step, {:.2} GFLOP/s, {:.1} GB/s (cache), mean tail loss {mean_loss:.5}",
        Simd::detect(),
        1e3 * seconds / steps as f64,
        cost.flops * model_steps / seconds / 1e9,
        cost.bytes * model_steps / seconds / 1e9,
    );
}
