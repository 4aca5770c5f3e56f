//! Trains one superposition-scaling model (n = 1000, B = 2048) for profiling:
//! `cargo run --release --example profile_step -- WIDTH STEPS` under `perf record`.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_kernels::{AdamHyper, Simd};
use superscale_models::train::{train, Decay, Recording, Schedule, TrainConfig};
use superscale_models::{power_law_probabilities, FeatureSampler, Init, ToyModel};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("WIDTH STEPS"))
        .collect();
    let (width, steps) = (
        args.first().copied().unwrap_or(10),
        args.get(1).copied().unwrap_or(2000) as u64,
    );
    let n = 1000;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut model = ToyModel::new(n, width, Init::SuperpositionScaling, &mut rng).expect("model");
    let mut sampler = FeatureSampler::new(power_law_probabilities(n, 1.0, 1.0).expect("p"), 2.0)
        .expect("sampler");
    let config = TrainConfig {
        steps,
        batch_size: 2048,
        schedule: Schedule::WarmupCosine {
            peak: 1e-2,
            warmup: steps / 10,
            total: steps,
            min_ratio: 0.05,
        },
        decay: Decay::SignedRows { gamma: -0.5556 },
        adam: AdamHyper::default(),
    };
    let start = std::time::Instant::now();
    let outcome = train(
        &mut model,
        &mut sampler,
        &vec![1.0; n],
        &config,
        &Recording {
            curve_points: 10,
            tail_steps: 100,
        },
        &mut rng,
        Simd::detect(),
        &mut |_| {},
    )
    .expect("train");
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "m = {width}: {steps} steps in {seconds:.2} s ({:.3} ms/step), final loss {:.4}, sparse backward on {:.0} % of steps",
        1e3 * seconds / steps as f64,
        outcome.tail_mean,
        100.0 * outcome.sparse_backward_steps as f64 / steps as f64
    );
}
