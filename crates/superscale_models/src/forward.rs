//! Two ways to form the pre-activations z − b = x·W·Wᵀ of a block of rows, and the rule
//! that picks one per step.
//!
//! *Direct*: h·Wᵀ with h = x·W, one dense product per block, 2·B·n·m FLOP per batch.
//! *Gram*: K = W·Wᵀ once per step (2·n²·m FLOP), then z_b = Σ_{j: x_bj ≠ 0} x_bj·K_j, a
//! sparse combination of rows of K (2·nnz(x)·n FLOP). The superposition-scaling input has
//! E = Σ p_i ≈ 1 non-zero per sample (`superposition_scaling.md` §1.1), so at B = 2048 and
//! n = 1000 the Gram form does half the forward's arithmetic, in one large product instead
//! of B/64 small ones that each repack W. For dense inputs (the Anthropic model at low
//! sparsity) or n ≫ B the direct form wins; the rule below compares the two counts.

use crate::error::Result;
use rayon::prelude::*;
use superscale_kernels::{matmul, sparse_block_times_dense, MatMut, MatRef, Simd, SparseRows};

/// Rows of K = W·Wᵀ computed per task: fixed, so the bits of K do not depend on how
/// many threads compute it (each block is one single-threaded product).
const GRAM_ROW_BLOCK: usize = 128;

/// Largest n for which a step may hold K (n² f32: 64 MiB at this limit).
pub(crate) const GRAM_MAX_FEATURES: usize = 4096;

/// How a step forms its pre-activations.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Forward<'a> {
    /// h·Wᵀ per block of rows.
    Direct,
    /// Rows of K = W·Wᵀ (n × n, row-major) combined by the sparse input.
    Gram(&'a [f32]),
}

/// Which forward form steps use: the cheaper by FLOP count (the default), or one forced
/// (to test that both give the same gradient, and to measure each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardForm {
    /// The form with fewer FLOP for each batch (see [`gram_pays`]).
    #[default]
    Cheapest,
    /// Always h·Wᵀ per block of rows.
    Direct,
    /// Always rows of K = W·Wᵀ combined by the sparse input (K held even if it never pays).
    Gram,
}

/// Whether the Gram form does less arithmetic for this step:
/// 2·n²·m + 2·nnz·n < 2·B·n·m, i.e. n·m + nnz < B·m (divided by 2n).
pub(crate) fn gram_pays(n_features: usize, width: usize, batch: usize, entries: usize) -> bool {
    n_features <= GRAM_MAX_FEATURES && n_features * width + entries < batch * width
}

/// Whether a step of this shape could ever use the Gram form (whether to hold K).
pub(crate) fn gram_possible(n_features: usize, width: usize, batch: usize) -> bool {
    gram_pays(n_features, width, batch, 0)
}

/// K ← W·Wᵀ for row-major W (n × m), in fixed blocks of rows on the rayon pool.
pub(crate) fn gram_matrix(gram: &mut [f32], weights: &[f32], n: usize, m: usize) -> Result<()> {
    let transposed = MatRef::row_major(weights, n, m)?.transpose();
    gram.par_chunks_mut(GRAM_ROW_BLOCK * n)
        .zip(weights.par_chunks(GRAM_ROW_BLOCK * m))
        .try_for_each(|(block, rows)| {
            let count = rows.len() / m;
            matmul(
                MatMut::row_major(block, count, n)?,
                MatRef::row_major(rows, count, m)?,
                transposed,
                false,
            )
        })?;
    Ok(())
}

/// The pre-activations (without b) of `rows` rows starting at `first_row`, into `pre`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn block_pre_activations(
    forward: Forward<'_>,
    simd: Simd,
    pre: &mut [f32],
    x: &SparseRows,
    first_row: usize,
    hidden: &[f32],
    weights: &[f32],
    n: usize,
    m: usize,
) -> Result<()> {
    let rows = hidden.len() / m;
    let pre = &mut pre[..rows * n];
    match forward {
        Forward::Direct => matmul(
            MatMut::row_major(pre, rows, n)?,
            MatRef::row_major(hidden, rows, m)?,
            MatRef::row_major(weights, n, m)?.transpose(),
            false,
        )?,
        Forward::Gram(gram) => sparse_block_times_dense(simd, pre, x, first_row, gram, n)?,
    }
    Ok(())
}
