//! The block kernel for mid-size shapes (C9's n = 200, m = 20; up to n = 512, m = 64).
//!
//! It computes what `kernel.rs`'s tiny kernel computes (`docs/science/tms.md` §2, ReLU
//! output model; gradients as in `crate::toy_model`):
//! h = x·W; z = h·Wᵀ + b; y = ReLU(z); loss Σ_i I_i (y_i − x_i)²;
//! G_i = (2/(B·n))·I_i·(y_i − x_i)·1[z_i > 0]; ∂b = Σ_rows G; ∂W = Gᵀ·h + xᵀ·(G·W),
//! but a row's h and G no longer fit in registers, so the batch is cut into chunks of
//! [`CHUNK_ROWS`] rows and each product of the chunk runs as a lane-wise GEMM-like loop
//! with a register tile of accumulators (one register = one entry of eight models):
//!
//! 1. h = x·W and 4. dH = G·W: per block of features (its W rows in L1) and pair of rows,
//!    a tile of 2 × 6 h (or dH) entries stays in registers while the block's groups of x
//!    (or G) stream by (one row and a tile of 12 over the listed groups when sparse);
//! 2. z = h·Wᵀ: a tile of 3 rows × 4 features in registers, the chunk's h in L1, then the
//!    fused output pass (loss, G, the non-zero count) on the tile;
//! 5. ∂W += Gᵀ·h, then ∂W += xᵀ·dH: per pair of features, a tile of 2 × 6 ∂W entries in
//!    registers over the chunk's rows (per feature, 12 entries over the listed rows when
//!    sparse), one load and store of ∂W per term and chunk.
//!
//! In a chunk where under half the lane groups (one entry of eight models) of x or of G
//! are non-zero in some lane, the zero groups are skipped through lists: at C9's sparsest
//! level (p = 0.05) two thirds of x's groups are zero when the block's models share p.
//! Skipping changes no bit of any live lane: both paths add the same products in the same
//! order, an accumulator starts at +0 and adding 0·w (w finite) leaves it unchanged, and
//! a live lane's parameters are finite (the trainer freezes a lane at its first non-finite
//! parameter). Within a lane every sum runs in a fixed order (features, then rows of a
//! chunk, chunks in order), so the bits do not depend on the thread count either.
//!
//! Measured (`time_the_wide_kernel`, one thread, shared machine): 7.1–7.5 ms per block
//! step at C9's shape and batch 1024 for p = 1 to 0.1, 0.9 ms per model-step, 45 GFLOP/s of
//! the 10·B·n·m dense count (72 % of the 62.6 GFLOP/s 1-thread f32 GEMM peak); skipping
//! x's zero groups pays little (6.9 ms at p = 0.05, 6.4 at 0.02) because h·Wᵀ, G·W and
//! Gᵀ·h stay dense while G is (about half of a random model's outputs are on).

// Loops index W, h, G and x at lane-group offsets in lockstep; iterators would hide the
// i·m + k layout the comments refer to.
#![allow(clippy::needless_range_loop)]

use crate::grid::layout::{BlockParams, LANES};
use crate::grid::simd::{LaneArith, Vector};
use crate::grid::wide_hidden::{load_tile, next_tile, rows_times_weights};
use crate::grid::wide_occupancy::Occupancy;

/// Rows per chunk: the chunk's G and x (16 × n × 32 bytes each, 100 KB at n = 200) stay in
/// L2 with W and ∂W, its h and dH (16 × m × 32 bytes) in L1.
pub(crate) const CHUNK_ROWS: usize = 16;

/// The chunk workspace of the wide kernel, allocated once per block.
#[derive(Debug, Clone, Default)]
pub(crate) struct WideBuffers {
    /// h and dH of the chunk, [CHUNK_ROWS][m][LANES]
    hidden: Vec<f32>,
    grad_hidden: Vec<f32>,
    /// G of the chunk, [CHUNK_ROWS][n][LANES]
    grad_pre: Vec<f32>,
    /// the chunk's loss per row, [CHUNK_ROWS][LANES]
    row_loss: Vec<f32>,
    /// non-zero lane groups of x and of G by row and by feature
    x_groups: Occupancy,
    g_groups: Occupancy,
    /// per row, where its list's current feature block starts
    cursors: Vec<usize>,
}

impl WideBuffers {
    pub(crate) fn new(n: usize, m: usize) -> Self {
        Self {
            hidden: vec![0.0; CHUNK_ROWS * m * LANES],
            grad_hidden: vec![0.0; CHUNK_ROWS * m * LANES],
            grad_pre: vec![0.0; CHUNK_ROWS * n * LANES],
            row_loss: vec![0.0; CHUNK_ROWS * LANES],
            x_groups: Occupancy::new(n),
            g_groups: Occupancy::new(n),
            cursors: vec![0; CHUNK_ROWS],
        }
    }
}

/// What the output pass of product 2 reads besides z.
struct OutputPass<'a, V> {
    x: &'a [f32],
    bias: &'a [f32],
    importance: &'a [f32],
    scale: V,
}

/// The register tile of product 2: TILE_ROWS × TILE_FEATURES accumulators.
const TILE_ROWS: usize = 3;
const TILE_FEATURES: usize = 4;

/// Product 2 on a tile of R rows × F features: z = h·Wᵀ + b (k in order), then per entry
/// y = ReLU(z), the weighted squared error into the row's loss, G (written as the
/// single-model pass writes it: scale·I·y, minus scale·I·x where z > 0) and the non-zero
/// count of scale·I·y (the trainer's sparse-backward statistic).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn output_tile<A: LaneArith, const R: usize, const F: usize>(
    (n, m, r0, i0): (usize, usize, usize, usize),
    (hidden, weights, pass): (&[f32], &[f32], &OutputPass<A::V>),
    grad_pre: &mut [f32],
    row_loss: &mut [f32],
    nonzero: &mut A::V,
) {
    let mut acc = [[A::V::zero(); F]; R];
    let h = &hidden[r0 * m * LANES..(r0 + R) * m * LANES];
    let w = &weights[i0 * m * LANES..(i0 + F) * m * LANES];
    for k in 0..m {
        let mut hk = [A::V::zero(); R];
        for r in 0..R {
            hk[r] = A::V::load(&h[(r * m + k) * LANES..]);
        }
        for f in 0..F {
            let wk = A::V::load(&w[(f * m + k) * LANES..]);
            for r in 0..R {
                acc[r][f] = hk[r].fmadd(wk, acc[r][f]);
            }
        }
    }
    for r in 0..R {
        let row = r0 + r;
        let mut loss = A::V::load(&row_loss[row * LANES..]);
        for f in 0..F {
            let i = i0 + f;
            let at = (row * n + i) * LANES;
            let z = acc[r][f].add(A::V::load(&pass.bias[i * LANES..]));
            let x = A::V::load(&pass.x[at..]);
            let y = z.relu();
            let d = y.sub(x);
            let weight = A::V::load(&pass.importance[i * LANES..]);
            loss = weight.mul(d).fmadd(d, loss);
            let weighted = pass.scale.mul(weight);
            let dense = weighted.mul(y);
            *nonzero = nonzero.add(dense.nonzero_indicator());
            let g = z.where_positive(dense.sub(weighted.mul(x)));
            g.store(&mut grad_pre[at..]);
        }
        loss.store(&mut row_loss[row * LANES..]);
    }
}

/// Product 2 over the chunk, feature tiles outermost so a tile's W rows stay in L1 while
/// the chunk's h (in L1) streams by; G's occupancy lists come out in increasing order.
#[inline(always)]
fn output_pass<A: LaneArith>(
    (n, m, rows): (usize, usize, usize),
    weights: &[f32],
    pass: &OutputPass<A::V>,
    buffers: &mut WideBuffers,
    nonzero: &mut A::V,
) {
    let (hidden, grad_pre, row_loss) = (
        &buffers.hidden,
        &mut buffers.grad_pre,
        &mut buffers.row_loss,
    );
    let mut i0 = 0;
    while i0 < n {
        let full_features = n - i0 >= TILE_FEATURES;
        let mut r0 = 0;
        while r0 < rows {
            let full_rows = rows - r0 >= TILE_ROWS;
            let at = (n, m, r0, i0);
            let args = (hidden.as_slice(), weights, pass);
            match (full_rows, full_features) {
                (true, true) => output_tile::<A, TILE_ROWS, TILE_FEATURES>(
                    at, args, grad_pre, row_loss, nonzero,
                ),
                (false, true) => {
                    output_tile::<A, 1, TILE_FEATURES>(at, args, grad_pre, row_loss, nonzero)
                }
                (true, false) => {
                    output_tile::<A, TILE_ROWS, 1>(at, args, grad_pre, row_loss, nonzero)
                }
                (false, false) => output_tile::<A, 1, 1>(at, args, grad_pre, row_loss, nonzero),
            }
            r0 += if full_rows { TILE_ROWS } else { 1 };
        }
        i0 += if full_features { TILE_FEATURES } else { 1 };
    }
}

/// One term of product 5 (Gᵀ·h or xᵀ·dH) for feature i and ∂W entries k0..k0+T over the
/// chunk's rows whose group of `scalars` is listed, in increasing order; the tile is held
/// in registers over the rows.
#[inline(always)]
fn weight_gradient_tile<A: LaneArith, const T: usize>(
    (n, m, i, k0): (usize, usize, usize, usize),
    (scalars, vectors): (&[f32], &[f32]),
    rows_present: &[u16],
    grad_weights: &mut [f32],
) {
    let start = (i * m + k0) * LANES;
    let out = &mut grad_weights[start..start + T * LANES];
    let mut acc = load_tile::<A, T>(out);
    for &r in rows_present {
        let r = usize::from(r);
        let scalar = A::V::load(&scalars[(r * n + i) * LANES..]);
        let start = (r * m + k0) * LANES;
        let vector = &vectors[start..start + T * LANES];
        for t in 0..T {
            acc[t] = scalar.fmadd(A::V::load(&vector[t * LANES..]), acc[t]);
        }
    }
    for t in 0..T {
        acc[t].store(&mut out[t * LANES..]);
    }
}

/// Product 5 and ∂b over the chunk: ∂b, then ∂W += Gᵀ·h, then ∂W += xᵀ·dH. Each term
/// runs over the listed groups of its left factor, or over every group with two features
/// sharing each load of h (or dH) when all are listed (8 loads per 12 FMAs instead of
/// 13). Either way an entry of ∂W adds its rows in increasing order, so the bits agree.
#[inline(always)]
fn weight_gradient<A: LaneArith>(
    (n, m, rows): (usize, usize, usize),
    x: &[f32],
    buffers: &WideBuffers,
    grad_weights: &mut [f32],
    grad_bias: &mut [f32],
) {
    for i in 0..n {
        let mut bias = A::V::load(&grad_bias[i * LANES..]);
        for &r in buffers.g_groups.feature(i) {
            let at = (usize::from(r) * n + i) * LANES;
            bias = bias.add(A::V::load(&buffers.grad_pre[at..]));
        }
        bias.store(&mut grad_bias[i * LANES..]);
    }
    let terms = [
        (
            &buffers.g_groups,
            (&buffers.grad_pre[..], &buffers.hidden[..]),
        ),
        (&buffers.x_groups, (x, &buffers.grad_hidden[..])),
    ];
    for (groups, factors) in terms {
        if groups.complete_rows == rows {
            weight_gradient_pairs::<A>((n, m, rows), factors, grad_weights);
            continue;
        }
        for i in 0..n {
            let rows_present = groups.feature(i);
            let mut k0 = 0;
            while k0 < m {
                let tile = next_tile(m - k0);
                let at = (n, m, i, k0);
                match tile {
                    12 => weight_gradient_tile::<A, 12>(at, factors, rows_present, grad_weights),
                    8 => weight_gradient_tile::<A, 8>(at, factors, rows_present, grad_weights),
                    4 => weight_gradient_tile::<A, 4>(at, factors, rows_present, grad_weights),
                    _ => weight_gradient_tile::<A, 1>(at, factors, rows_present, grad_weights),
                }
                k0 += tile;
            }
        }
    }
}

/// One term of product 5 over every row, features in pairs.
#[inline(always)]
fn weight_gradient_pairs<A: LaneArith>(
    (n, m, rows): (usize, usize, usize),
    factors: (&[f32], &[f32]),
    grad_weights: &mut [f32],
) {
    let mut i = 0;
    while i < n {
        let pair = usize::from(n - i >= 2) + 1;
        let mut k0 = 0;
        while k0 < m {
            let tile = match m - k0 {
                6.. => 6,
                4.. => 4,
                2.. => 2,
                _ => 1,
            };
            let at = (n, m, rows, i, k0);
            match (pair, tile) {
                (2, 6) => weight_pair_tile::<A, 2, 6>(at, factors, grad_weights),
                (2, 4) => weight_pair_tile::<A, 2, 4>(at, factors, grad_weights),
                (2, 2) => weight_pair_tile::<A, 2, 2>(at, factors, grad_weights),
                (2, _) => weight_pair_tile::<A, 2, 1>(at, factors, grad_weights),
                (_, 6) => weight_pair_tile::<A, 1, 6>(at, factors, grad_weights),
                (_, 4) => weight_pair_tile::<A, 1, 4>(at, factors, grad_weights),
                (_, 2) => weight_pair_tile::<A, 1, 2>(at, factors, grad_weights),
                (_, _) => weight_pair_tile::<A, 1, 1>(at, factors, grad_weights),
            }
            k0 += tile;
        }
        i += pair;
    }
}

/// ∂W[i..i+F][k0..k0+T] += Σ_rows a[r][i..i+F]·v[r][k0..k0+T] (a, v = G, h or x, dH).
#[inline(always)]
fn weight_pair_tile<A: LaneArith, const F: usize, const T: usize>(
    (n, m, rows, i, k0): (usize, usize, usize, usize, usize),
    (scalars, vectors): (&[f32], &[f32]),
    grad_weights: &mut [f32],
) {
    let mut acc = [[A::V::zero(); T]; F];
    for f in 0..F {
        acc[f] = load_tile::<A, T>(&grad_weights[((i + f) * m + k0) * LANES..]);
    }
    for r in 0..rows {
        let mut s = [A::V::zero(); F];
        for f in 0..F {
            s[f] = A::V::load(&scalars[(r * n + i + f) * LANES..]);
        }
        let start = (r * m + k0) * LANES;
        let v = &vectors[start..start + T * LANES];
        for t in 0..T {
            let vt = A::V::load(&v[t * LANES..]);
            for f in 0..F {
                acc[f][t] = s[f].fmadd(vt, acc[f][t]);
            }
        }
    }
    for f in 0..F {
        for t in 0..T {
            acc[f][t].store(&mut grad_weights[((i + f) * m + k0 + t) * LANES..]);
        }
    }
}

/// The loss, ∂W, ∂b and non-zero count of the batch `x` ([batch][n][LANES]) for every lane
/// of `params`, into the outputs of `work` (see `kernel::Workspace`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn block_gradient_wide<A: LaneArith>(
    params: &BlockParams,
    x: &[f32],
    batch: usize,
    buffers: &mut WideBuffers,
    grad_weights: &mut [f32],
    grad_bias: &mut [f32],
    loss: &mut [f64; LANES],
    nonzero_total: &mut [u64; LANES],
) {
    let (n, m) = (params.n, params.m);
    grad_weights.fill(0.0);
    grad_bias.fill(0.0);
    *loss = [0.0; LANES];
    *nonzero_total = [0; LANES];
    let scale = A::V::splat(2.0 / (batch * n) as f32);
    let mut lanes = [0.0f32; LANES];
    for first in (0..batch).step_by(CHUNK_ROWS) {
        let rows = CHUNK_ROWS.min(batch - first);
        let x_chunk = &x[first * n * LANES..(first + rows) * n * LANES];
        buffers.x_groups.build::<A>(x_chunk, n, rows);
        let shape = (n, m, rows);
        let weights = &params.weights;
        rows_times_weights::<A>(
            shape,
            x_chunk,
            &buffers.x_groups,
            weights,
            &mut buffers.hidden,
            &mut buffers.cursors,
        );
        buffers.row_loss.fill(0.0);
        // Counted in f32: exact, a chunk has at most CHUNK_ROWS·n ≤ 2^24 entries per lane.
        let mut nonzero = A::V::zero();
        let pass = OutputPass {
            x: x_chunk,
            bias: &params.bias,
            importance: &params.importance,
            scale,
        };
        output_pass::<A>(shape, weights, &pass, buffers, &mut nonzero);
        buffers.g_groups.build::<A>(&buffers.grad_pre, n, rows);
        rows_times_weights::<A>(
            shape,
            &buffers.grad_pre,
            &buffers.g_groups,
            weights,
            &mut buffers.grad_hidden,
            &mut buffers.cursors,
        );
        weight_gradient::<A>(shape, x_chunk, buffers, grad_weights, grad_bias);
        for r in 0..rows {
            A::V::load(&buffers.row_loss[r * LANES..]).add_to_f64(loss);
        }
        nonzero.store(&mut lanes);
        for lane in 0..LANES {
            nonzero_total[lane] += lanes[lane] as u64;
        }
    }
}

#[cfg(test)]
#[path = "wide_kernel_tests.rs"]
mod tests;
