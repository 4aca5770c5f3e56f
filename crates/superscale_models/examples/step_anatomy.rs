//! What one training step executes at each roofline shape (`benches/common/cases.rs`):
//! the measured densities (non-zeros of x, active features, non-zeros of the output
//! gradient G) and from them the FLOP each kernel performs and the bytes the step must
//! move at least, one JSON object per line for `bench/roofline.py`:
//! `cargo run --release -p superscale_models --example step_anatomy`.
//!
//! Counts (a multiply-add is 2 FLOP; `forward.rs` and `toy_model.rs` for the kernels):
//! - x·W and xᵀ·dH on nnz(x) entries: 4·nnz(x)·m
//! - forward, Gram form: 2·a·n·m (active rows of W·Wᵀ) + 2·nnz(x)·n; direct form: 2·B·n·m
//!   (whichever `gram_pays` chose)
//! - fused ReLU–loss–gradient pass: ≈ 6·B·n (add bias, ReLU, square-accumulate, scale)
//! - output backward: sparse 4·nnz(G)·m when nnz(G) < 0.2·B·n, else projected
//!   4·a·n·m + 2·nnz(x)·n (when `projection_pays`) or dense 4·B·n·m
//! - AdamW and decay: ≈ 16·(n·m + n)
//!   Bytes: the parameters, their gradient and Adam's two moments are read and written once
//!   (≥ 6 passes over 4·(n·m + n) bytes), plus the sparse batch (8 bytes an entry); the
//!   B × n pre-activations live in 64-row blocks in L2 and never reach memory.

use superscale_kernels::{Simd, SparseRows};
use superscale_models::train::SPARSE_BACKWARD_BELOW;
use superscale_models::{gram_pays, projection_pays, Gradients, StepBuffers};

#[path = "../benches/common/cases.rs"]
#[allow(dead_code)]
mod cases;

fn main() {
    let samples = 50;
    for case in cases::cases() {
        let (model, mut sampler, importance, mut rng) = cases::warmed(&case);
        let (n, m, batch) = (case.n_features, case.width, case.batch);
        let mut buffers = StepBuffers::new(n, m, batch);
        let mut grads = Gradients::zeros(n, m);
        let mut x = SparseRows::default();
        let (mut entries, mut active, mut nonzero_g, mut sparse_steps) = (0.0, 0.0, 0.0, 0.0);
        let mut executed = 0.0;
        for _ in 0..samples {
            sampler.sample(&mut rng, batch, &mut x);
            let loss = model
                .loss_and_gradient(
                    Simd::detect(),
                    &x,
                    &importance,
                    &mut buffers,
                    &mut grads,
                    SPARSE_BACKWARD_BELOW,
                )
                .expect("step");
            let nnz = x.entries() as f64;
            let mut seen = vec![false; n];
            x.columns.iter().for_each(|&c| seen[c as usize] = true);
            let a = seen.iter().filter(|s| **s).count() as f64;
            let (nf, mf, bf) = (n as f64, m as f64, batch as f64);
            // The forms the step chose by its cost rules (`superscale_models::forward`).
            let chunks = batch.div_ceil(superscale_models::CHUNK_ROWS);
            let (entries_now, active_now) = (x.entries(), a as usize);
            let gram = gram_pays(m, batch, active_now, entries_now);
            let project = gram && projection_pays(m, batch, active_now, entries_now, chunks);
            let forward = if gram {
                2.0 * a * nf * mf + 2.0 * nnz * nf
            } else {
                2.0 * bf * nf * mf
            };
            let g = loss.nonzero_gradients as f64;
            let sparse = g < f64::from(SPARSE_BACKWARD_BELOW) * bf * nf;
            let backward = if sparse {
                4.0 * g * mf
            } else if project {
                4.0 * a * nf * mf + 2.0 * nnz * nf
            } else {
                4.0 * bf * nf * mf
            };
            executed += 4.0 * nnz * mf + forward + 6.0 * bf * nf + backward + 16.0 * (nf * mf + nf);
            entries += nnz;
            active += a;
            nonzero_g += g;
            sparse_steps += f64::from(u8::from(sparse));
        }
        let per = |v: f64| v / samples as f64;
        let parameters = (n * m + n) as f64;
        let bytes = 6.0 * 4.0 * parameters + 8.0 * per(entries);
        println!(
            "{{\"label\": \"{}\", \"n\": {n}, \"m\": {m}, \"batch\": {batch}, \
             \"dense_flop\": {}, \"executed_flop\": {:.0}, \"min_bytes\": {:.0}, \
             \"x_entries\": {:.1}, \"active_features\": {:.1}, \"g_density\": {:.4}, \
             \"sparse_backward_fraction\": {:.2}}}",
            case.label,
            6 * batch * n * m,
            per(executed),
            bytes,
            per(entries),
            per(active),
            per(nonzero_g) / (batch * n) as f64,
            per(sparse_steps)
        );
    }
}
