//! The quantization model's training step at the full-C4 shape (500 tasks, n = 100 bits,
//! batch 20 000, `experiments/quanta_c4_full.toml`): loss, gradient and AdamW of the
//! depth-2 MLP at widths 9, 50 and 300, through the fused one-hot ⊕ bits path
//! (`Input::OneHotBits`) and through the generic sparse path (`Input::Sparse`, the path
//! before it). Throughput is counted in the sparse-input FLOP,
//! 2 · 2·B·(1 + n/2)·w for the first layer's forward and weight gradient.
//!
//! `cargo bench -p superscale_models --bench quanta_step`
//!
//! The batch is drawn here (tasks in runs, fair bits, random labels), not by the quanta
//! kind's generator: the step's cost depends only on the shape and the number of set bits.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use superscale_models::mlp::{
    loss_and_gradient, AdamW, Input, Mlp, OneHotBits, Targets, Workspace,
};

const TASKS: usize = 500;
const BITS: usize = 100;
const BATCH: usize = 20_000;

/// xorshift64: a fixed batch without an RNG dependency.
fn batch() -> (OneHotBits, Vec<u32>) {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut binary = OneHotBits::new(TASKS, BITS);
    let mut labels = Vec::with_capacity(BATCH);
    for row in 0..BATCH {
        // Tasks in increasing runs, as the quanta batches come (grouped by task).
        let task = (row * TASKS / BATCH) as u32;
        binary.push_row(task, &[next(), next() & ((1 << (BITS - 64)) - 1)]);
        labels.push((next() & 1) as u32);
    }
    (binary, labels)
}

fn step(c: &mut Criterion) {
    let (binary, labels) = batch();
    let sparse = binary.to_sparse();
    let mut group = c.benchmark_group("quanta_step");
    group.sample_size(10);
    for width in [9usize, 50, 300] {
        let mlp = Mlp::new(&[TASKS + BITS, width, 2]).unwrap();
        let sparse_flop = 2 * 2 * BATCH * (1 + BITS / 2) * width;
        group.throughput(Throughput::Elements(sparse_flop as u64));
        for (form, input) in [
            ("fused", Input::OneHotBits(&binary)),
            ("sparse_rows", Input::Sparse(&sparse)),
        ] {
            let mut params: Vec<f32> = mlp.init_params(0);
            let mut gradient = vec![0.0f32; mlp.n_params()];
            let mut workspace = Workspace::new(&mlp);
            let mut optimizer = AdamW::new(mlp.n_params(), 1e-3, 0.0);
            group.bench_function(BenchmarkId::new(form, width), |b| {
                b.iter(|| {
                    let loss = loss_and_gradient(
                        &mlp,
                        &params,
                        input,
                        Targets::Labels(&labels),
                        &mut gradient,
                        &mut workspace,
                    )
                    .unwrap();
                    optimizer.step(&mut params, &gradient).unwrap();
                    loss
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, step);
criterion_main!(benches);
