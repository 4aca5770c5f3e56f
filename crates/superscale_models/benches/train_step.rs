//! One training step of both toy-model variants at the shapes of issue 6's roofline
//! (`common/cases.rs`). Throughput is reported in the dense FLOP count of the step, 6·B·n·m
//! (issue 6), so a rate above the GEMM peak means sparsity paid off.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use superscale_kernels::Simd;
use superscale_models::train::{train, Recording};

#[path = "common/cases.rs"]
mod cases;

fn step(c: &mut Criterion) {
    let simd = Simd::detect();
    let record = Recording {
        curve_points: 0,
        tail_steps: 1,
    };
    let mut group = c.benchmark_group("train_step");
    group.sample_size(20);
    for case in cases::cases() {
        let (model, mut sampler, importance, mut rng) = cases::warmed(&case);
        let dense_flop = 6 * case.batch * case.n_features * case.width;
        group.throughput(Throughput::Elements(dense_flop as u64));
        group.bench_function(BenchmarkId::new(case.label, case.width), |b| {
            b.iter_custom(|iterations| {
                // Each iteration is one full step (sample, forward, backward, update);
                // the per-run buffers are allocated once per measured batch of steps.
                let mut trained = model.clone();
                let config = case.config(iterations);
                let start = std::time::Instant::now();
                train(
                    &mut trained,
                    &mut sampler,
                    &importance,
                    &config,
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
    group.finish();
}

criterion_group!(benches, step);
criterion_main!(benches);
