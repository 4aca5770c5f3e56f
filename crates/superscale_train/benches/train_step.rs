//! One training step of the superposition-scaling model (n = 1000, B = 2048) at the
//! widths of BENCHMARKS.md, at initialisation (ReLU gradient dense) and after 3000 warm
//! steps at γ = −0.5556 (gradient sparse, as for most of a run). Throughput is reported
//! in the dense FLOP count of the step, 6·B·n·m (issue 6), so a rate above the GEMM peak
//! means sparsity paid off.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_kernels::{AdamHyper, Simd};
use superscale_models::{power_law_probabilities, FeatureSampler, Init, ToyModel};
use superscale_train::{train, Decay, Recording, Schedule, TrainConfig};

const N: usize = 1000;
const BATCH: usize = 2048;

fn config(steps: u64) -> TrainConfig {
    TrainConfig {
        steps,
        batch_size: BATCH,
        schedule: Schedule::Constant { lr: 5e-3 },
        decay: Decay::SignedRows { gamma: -0.5556 },
        adam: AdamHyper::default(),
    }
}

fn step(c: &mut Criterion) {
    let simd = Simd::detect();
    let record = Recording {
        curve_points: 0,
        tail_steps: 1,
    };
    let ones = vec![1.0f32; N];
    let mut group = c.benchmark_group("train_step");
    group.sample_size(20);
    for width in [10usize, 25, 100] {
        for warm_steps in [0u64, 3000] {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(width as u64);
            let mut model = ToyModel::new(N, width, Init::SuperpositionScaling, &mut rng).unwrap();
            let mut sampler =
                FeatureSampler::new(power_law_probabilities(N, 1.0, 1.0).unwrap(), 2.0).unwrap();
            if warm_steps > 0 {
                train(
                    &mut model,
                    &mut sampler,
                    &ones,
                    &config(warm_steps),
                    &record,
                    &mut rng,
                    simd,
                    &mut |_| {},
                )
                .unwrap();
            }
            group.throughput(Throughput::Elements((6 * BATCH * N * width) as u64));
            let label = if warm_steps == 0 { "init" } else { "trained" };
            group.bench_function(BenchmarkId::new(label, width), |b| {
                b.iter_custom(|iterations| {
                    // Each iteration is one full step (sample, forward, backward, update);
                    // the per-run buffers are allocated once per measured batch of steps.
                    let mut trained = model.clone();
                    let start = std::time::Instant::now();
                    train(
                        &mut trained,
                        &mut sampler,
                        &ones,
                        &config(iterations),
                        &record,
                        &mut rng,
                        simd,
                        &mut |_| {},
                    )
                    .unwrap();
                    start.elapsed()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, step);
criterion_main!(benches);
