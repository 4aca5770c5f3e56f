//! Mutual k-NN and unbiased linear CKA at n = 10 000 items, d = 1 024 (issue 8's benchmark
//! size; `SUPERSCALE_ALIGN_BENCH_N` overrides n). The comparison with the reference approach
//! (dense n × n matrices in torch/numpy) is `bench/run_align.sh`.
//!
//!     CARGO_TARGET_DIR=target-align cargo bench -p superscale_measure

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;
use superscale_measure::align::{score, Features, Metric, MetricParams, Preprocess};

fn features(n: usize, d: usize, seed: u64) -> Features {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let data: Vec<f64> = (0..n * d)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect();
    let normalise = Preprocess {
        normalize: true,
        ..Preprocess::none()
    };
    Features::new("A", data, d)
        .unwrap()
        .preprocessed(&normalise)
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("SUPERSCALE_ALIGN_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let d = 1024;
    let (a, b) = (features(n, d, 1), features(n, d, 2));
    let params = MetricParams::default();
    let mut group = c.benchmark_group("align");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    // Multiply-adds: two n × n × d similarity products for k-NN; A^T B, A^T A, B^T B for
    // linear CKA in feature space.
    group.throughput(Throughput::Elements((2 * n * n * d) as u64));
    group.bench_function(format!("mutual_knn n={n} d={d}"), |bench| {
        bench.iter(|| score(&a, &b, Metric::MutualKnn, &params).unwrap())
    });
    group.throughput(Throughput::Elements((3 * n * d * d) as u64));
    group.bench_function(format!("unbiased_cka n={n} d={d}"), |bench| {
        bench.iter(|| score(&a, &b, Metric::UnbiasedCka, &params).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
