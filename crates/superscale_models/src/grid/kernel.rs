//! The fused forward and backward pass of a block of [`LANES`] tied toy models over one batch.
//!
//! For every sample, entirely in registers and L1 for tiny n, m (`docs/science/tms.md`
//! §2, ReLU output model; gradients as in `crate::toy_model`):
//! h = x·W; z = h·Wᵀ + b; y = ReLU(z); loss Σ_i I_i (y_i − x_i)²;
//! G_i = (2/(B·n))·I_i·(y_i − x_i)·1[z_i > 0]; ∂b += G; dH = G·W; ∂W += Gᵀ·h; and after the
//! batch ∂W += xᵀ·dH (W sits on both sides of the tied model).
//!
//! The order of every sum is the order of the single-model trainer's sparse path
//! (`sparse_times_dense`, `output_gradient_sparse`, rows summed in chunks of
//! `crate::CHUNK_ROWS` = 512 added in chunk order, then
//! `sparse_transpose_times_dense_add` over the rows), so where that trainer scans G sparsely
//! the gradients agree bit for bit; where it calls GEMM they agree to rounding.

// Loops over i and k index W, h, G and x in lockstep at lane-group offsets; iterators
// would hide the i·m + k layout the comments refer to.
#![allow(clippy::needless_range_loop)]

use crate::grid::layout::{BlockParams, LANES};
use crate::grid::simd::{LaneArith, Vector};
use crate::grid::wide_kernel::{block_gradient_wide, WideBuffers};
use superscale_kernels::dispatch;

/// Rows per partial sum: the single-model trainer's chunk (`crate::CHUNK_ROWS`).
pub(crate) const CHUNK_ROWS: usize = 512;

/// Every intermediate of a block's step, allocated once.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    pub batch: usize,
    /// x, [batch][n][LANES], dense
    pub x: Vec<f32>,
    /// dH = G·W per row, [batch][m][LANES]
    grad_hidden: Vec<f32>,
    /// ∂W and ∂b of the whole batch
    pub grad_weights: Vec<f32>,
    pub grad_bias: Vec<f32>,
    /// the current chunk's partial ∂W and ∂b
    chunk_weights: Vec<f32>,
    chunk_bias: Vec<f32>,
    /// Σ_b Σ_i I_i (y − x)² per lane
    pub loss: [f64; LANES],
    /// number of non-zero output gradients per lane (decides the trainer's sparse count)
    pub nonzero: [u64; LANES],
    /// the chunk workspace of the wide kernel (empty for tiny shapes)
    wide: WideBuffers,
}

impl Workspace {
    pub(crate) fn new(n: usize, m: usize, batch: usize) -> Self {
        Self::for_kernels(n, m, batch, uses_wide_kernel(n, m))
    }

    /// Buffers for both kernels, to compare them on one shape (tests).
    #[cfg(test)]
    pub(crate) fn for_both_kernels(n: usize, m: usize, batch: usize) -> Self {
        let mut work = Self::for_kernels(n, m, batch, false);
        work.wide = WideBuffers::new(n, m);
        work
    }

    fn for_kernels(n: usize, m: usize, batch: usize, wide_kernel: bool) -> Self {
        // Each kernel allocates only its own intermediates (the tiny kernel's dH of the
        // whole batch is 655 KB at C9's shape).
        let (tiny, wide) = if wide_kernel {
            (0, WideBuffers::new(n, m))
        } else {
            (1, WideBuffers::default())
        };
        Self {
            batch,
            x: vec![0.0; batch * n * LANES],
            grad_hidden: vec![0.0; tiny * batch * m * LANES],
            grad_weights: vec![0.0; n * m * LANES],
            grad_bias: vec![0.0; n * LANES],
            chunk_weights: vec![0.0; tiny * n * m * LANES],
            chunk_bias: vec![0.0; tiny * n * LANES],
            loss: [0.0; LANES],
            nonzero: [0; LANES],
            wide,
        }
    }
}

/// Lane group `index` of a lane-interleaved array.
#[inline(always)]
fn group(slice: &[f32], index: usize) -> &[f32] {
    &slice[index * LANES..(index + 1) * LANES]
}

#[inline(always)]
fn group_mut(slice: &mut [f32], index: usize) -> &mut [f32] {
    &mut slice[index * LANES..(index + 1) * LANES]
}

/// One sample: forward, loss, output gradient, its backward into the chunk's partial sums
/// and this row's dH. Returns the row's loss per lane; adds the non-zero indicator of the
/// output gradient to `nonzero`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn sample_step<A: LaneArith, const MAX_N: usize, const MAX_M: usize>(
    (n, m): (usize, usize),
    params: &BlockParams,
    x_row: &[f32],
    grad_hidden_row: &mut [f32],
    chunk_weights: &mut [f32],
    chunk_bias: &mut [f32],
    scale: A::V,
    nonzero: &mut A::V,
) -> A::V {
    let w = &params.weights;
    // Local arrays, not slices: with n and m constant (the specialised shapes) they live in
    // registers.
    let mut hidden = [A::V::zero(); MAX_M];
    let mut grad_pre = [A::V::zero(); MAX_N];
    // h_k = Σ_i x_i W_ik, features in order from 0 (as sparse_times_dense).
    for (k, hk) in hidden.iter_mut().enumerate().take(m) {
        let mut h = A::V::zero();
        for i in 0..n {
            h = A::V::load(group(x_row, i)).fmadd(A::V::load(group(w, i * m + k)), h);
        }
        *hk = h;
    }
    let mut row_loss = A::V::zero();
    for i in 0..n {
        // z_i = (Σ_k h_k W_ik) + b_i.
        let mut z = A::V::zero();
        for k in 0..m {
            z = hidden[k].fmadd(A::V::load(group(w, i * m + k)), z);
        }
        let z = z.add(A::V::load(group(&params.bias, i)));
        let x = A::V::load(group(x_row, i));
        let y = z.relu();
        let d = y.sub(x);
        let weight = A::V::load(group(&params.importance, i));
        row_loss = weight.mul(d).fmadd(d, row_loss);
        // The single-model pass writes scale·I·y, then subtracts scale·I·x where z > 0.
        let weighted = scale.mul(weight);
        let dense = weighted.mul(y);
        *nonzero = nonzero.add(dense.nonzero_indicator());
        let g = z.where_positive(dense.sub(weighted.mul(x)));
        grad_pre[i] = g;
        A::V::load(group(chunk_bias, i))
            .add(g)
            .store(group_mut(chunk_bias, i));
    }
    // dH_k = Σ_i G_i W_ik and ∂W_ik += G_i h_k (as output_gradient_sparse, i in order).
    for k in 0..m {
        let h = hidden[k];
        let mut dh = A::V::zero();
        for (i, &g) in grad_pre.iter().enumerate().take(n) {
            dh = g.fmadd(A::V::load(group(w, i * m + k)), dh);
            let slot = group_mut(chunk_weights, i * m + k);
            g.fmadd(h, A::V::load(slot)).store(slot);
        }
        dh.store(group_mut(grad_hidden_row, k));
    }
    row_loss
}

/// The largest model a grid trains (the wide kernel's tested range; its lists index
/// features with u16).
pub const MAX_FEATURES: usize = 512;
/// See [`MAX_FEATURES`].
pub const MAX_HIDDEN: usize = 64;

/// The largest shape of the tiny kernel, which keeps a row's h and G in local arrays.
const TINY_FEATURES: usize = 64;
const TINY_HIDDEN: usize = 16;

/// Which kernel trains an n × m block. The tiny kernel keeps its TMS shapes (those with
/// their own instantiation below: 2 × 1, 3 × 2, 5 × 2, 20 × 5, n ≤ 16 with m ≤ 4) and
/// m ≤ 3; the wide kernel takes the rest. Measured per block at batch 1024, p = 0.3
/// (`time_tiny_against_wide`, shared machine), tiny against wide: 5 × 2 0.03 / 0.11 ms,
/// 20 × 5 0.33 / 0.45, 16 × 4 0.25 / 0.27, 64 × 2 0.88 / 1.41; but 32 × 4 0.67 / 0.54,
/// 40 × 5 1.04 / 0.90, 24 × 8 0.97 / 0.54, 64 × 16 7.0 / 2.9.
pub(crate) fn uses_wide_kernel(n: usize, m: usize) -> bool {
    let tiny_specialised =
        matches!((n, m), (2, 1) | (3, 2) | (5, 2) | (20, 5)) || (n <= 16 && m <= 4);
    n > TINY_FEATURES || m > TINY_HIDDEN || (m >= 4 && !tiny_specialised)
}

/// The loss and gradient of the batch in `work.x` for every lane of `params`.
#[inline(always)]
fn block_gradient_generic<A: LaneArith>(params: &BlockParams, work: &mut Workspace) {
    block_gradient_with_generic::<A>(params, work, uses_wide_kernel(params.n, params.m));
}

/// As [`block_gradient_generic`] with the kernel chosen by the caller (`wide`); the
/// workspace must hold that kernel's buffers.
#[inline(always)]
fn block_gradient_with_generic<A: LaneArith>(
    params: &BlockParams,
    work: &mut Workspace,
    wide: bool,
) {
    if wide {
        return block_gradient_wide::<A>(
            params,
            &work.x,
            work.batch,
            &mut work.wide,
            &mut work.grad_weights,
            &mut work.grad_bias,
            &mut work.loss,
            &mut work.nonzero,
        );
    }
    // The TMS shapes get their own instantiation with n and m constant (loops unrolled,
    // h and G in registers; measured 2× faster at n = 5, m = 2); others share one.
    match (params.n, params.m) {
        (2, 1) => block_gradient_shape::<A, 2, 1>((2, 1), params, work),
        (3, 2) => block_gradient_shape::<A, 3, 2>((3, 2), params, work),
        (5, 2) => block_gradient_shape::<A, 5, 2>((5, 2), params, work),
        (20, 5) => block_gradient_shape::<A, 20, 5>((20, 5), params, work),
        (n, m) if n <= 16 && m <= 4 => block_gradient_shape::<A, 16, 4>((n, m), params, work),
        (n, m) => block_gradient_shape::<A, TINY_FEATURES, TINY_HIDDEN>((n, m), params, work),
    }
}

#[inline(always)]
fn block_gradient_shape<A: LaneArith, const MAX_N: usize, const MAX_M: usize>(
    (n, m): (usize, usize),
    params: &BlockParams,
    work: &mut Workspace,
) {
    let batch = work.batch;
    let scale = A::V::splat(2.0 / (batch * n) as f32);
    work.grad_weights.fill(0.0);
    work.grad_bias.fill(0.0);
    work.loss = [0.0; LANES];
    work.nonzero = [0; LANES];
    let (row_x, row_dh) = (n * LANES, m * LANES);
    let mut lanes = [0.0f32; LANES];
    for first in (0..batch).step_by(CHUNK_ROWS) {
        let rows = CHUNK_ROWS.min(batch - first);
        work.chunk_weights.fill(0.0);
        work.chunk_bias.fill(0.0);
        // Counted in f32: exact below 2^24 = 512 rows × 32768 features (checked by validate).
        let mut nonzero = A::V::zero();
        for row in first..first + rows {
            let row_loss = sample_step::<A, MAX_N, MAX_M>(
                (n, m),
                params,
                &work.x[row * row_x..(row + 1) * row_x],
                &mut work.grad_hidden[row * row_dh..(row + 1) * row_dh],
                &mut work.chunk_weights,
                &mut work.chunk_bias,
                scale,
                &mut nonzero,
            );
            row_loss.add_to_f64(&mut work.loss);
        }
        nonzero.store(&mut lanes);
        for lane in 0..LANES {
            work.nonzero[lane] += lanes[lane] as u64;
        }
        for (total, &part) in work.grad_weights.iter_mut().zip(&work.chunk_weights) {
            *total += part;
        }
        for (total, &part) in work.grad_bias.iter_mut().zip(&work.chunk_bias) {
            *total += part;
        }
    }
    // ∂W_ik += Σ_rows x_i dH_k (as sparse_transpose_times_dense_add: rows in order).
    for row in 0..batch {
        let x_row = &work.x[row * row_x..(row + 1) * row_x];
        let dh_row = &work.grad_hidden[row * row_dh..(row + 1) * row_dh];
        for i in 0..n {
            let x = A::V::load(group(x_row, i));
            for k in 0..m {
                let slot = group_mut(&mut work.grad_weights, i * m + k);
                x.fmadd(A::V::load(group(dh_row, k)), A::V::load(slot))
                    .store(slot);
            }
        }
    }
}

dispatch!(pub(crate) fn block_gradient(params: &BlockParams, work: &mut Workspace) => block_gradient_generic);
#[cfg(test)]
dispatch!(pub(crate) fn block_gradient_with(params: &BlockParams, work: &mut Workspace, wide: bool) => block_gradient_with_generic);

#[cfg(test)]
#[path = "kernel_tests.rs"]
mod tests;
