//! Criterion benchmark of grid training: 1024 Anthropic models of n = 5, m = 2 (the
//! issue-6 grid) at batch 1024, a few steps per iteration, with the FLOP count of
//! `step_cost` as throughput. The full 10 000-step timing is `examples/grid_benchmark.rs`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_kernels::{AdamHyper, Simd};
use superscale_models::grid::{step_cost, train_grid, GridConfig, Member};
use superscale_models::train::{Recording, Schedule};
use superscale_models::{Init, ToyModel};

fn members(count: usize, n: usize, m: usize, probability: f64) -> Vec<Member> {
    (0..count)
        .map(|k| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(k as u64);
            let model = ToyModel::new(n, m, Init::XavierNormal, &mut rng).expect("valid shape");
            Member {
                model,
                probabilities: vec![probability; n],
                importance: (0..n).map(|i| 0.9f32.powi(i as i32)).collect(),
                weight_decay: 0.01,
                rng,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let (n, m, batch, steps, count) = (5, 2, 1024, 5u64, 1024);
    let config = GridConfig {
        steps,
        batch_size: batch,
        schedule: Schedule::Constant { lr: 1e-3 },
        adam: AdamHyper::default(),
        recording: Recording {
            curve_points: 10,
            tail_steps: 5,
        },
        value_max: 1.0,
        sampling: superscale_models::Sampling::Gaps,
    };
    let mut group = c.benchmark_group("grid_n5_m2_b1024_x1024");
    group.sample_size(10);
    let cost = step_cost(n, m, batch);
    group.throughput(Throughput::Elements(
        (cost.flops * (count as u64 * steps) as f64) as u64,
    ));
    for probability in [1.0, 0.1] {
        group.bench_function(format!("p={probability}, {steps} steps"), |bencher| {
            bencher.iter(|| {
                train_grid(
                    members(count, n, m, probability),
                    &config,
                    Simd::detect(),
                    &|_, _| {},
                )
                .expect("valid grid")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
