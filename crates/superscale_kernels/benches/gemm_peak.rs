//! This machine's f32 GEMM peak with the `gemm` crate, single-threaded and on 2 threads:
//! the yardstick for every kernel's "fraction of peak" in BENCHMARKS.md (issue 6). Square
//! 1024³ products (2·1024³ FLOP each) are large enough to reach the microkernel's steady
//! state; 2048 × 1000 × 100 is the shape of the forward product of a training step.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn product(c: &mut Criterion) {
    let mut group = c.benchmark_group("gemm_f32");
    group.sample_size(20);
    for (rows, cols, depth) in [
        (1024usize, 1024usize, 1024usize),
        (2048, 1000, 100),
        (64, 1000, 100),
        (64, 1000, 10),
    ] {
        let lhs: Vec<f32> = (0..rows * depth).map(|v| (v % 17) as f32 * 0.01).collect();
        let rhs: Vec<f32> = (0..depth * cols).map(|v| (v % 13) as f32 * 0.01).collect();
        let mut out = vec![0.0f32; rows * cols];
        group.throughput(Throughput::Elements((2 * rows * cols * depth) as u64));
        for (label, parallelism) in [
            ("1-thread", gemm::Parallelism::None),
            ("2-threads", gemm::Parallelism::Rayon(2)),
        ] {
            group.bench_function(
                BenchmarkId::new(label, format!("{rows}x{cols}x{depth}")),
                |b| {
                    b.iter(|| {
                        // SAFETY: row-major buffers of exactly rows×depth, depth×cols, rows×cols.
                        #[allow(unsafe_code)]
                        unsafe {
                            gemm::gemm(
                                rows,
                                cols,
                                depth,
                                out.as_mut_ptr(),
                                1,
                                cols as isize,
                                false,
                                lhs.as_ptr(),
                                1,
                                depth as isize,
                                rhs.as_ptr(),
                                1,
                                cols as isize,
                                0.0,
                                1.0,
                                false,
                                false,
                                false,
                                parallelism,
                            );
                        }
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, product);
criterion_main!(benches);
