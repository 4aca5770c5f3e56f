//! Two ways to form the pre-activations z − b = x·W·Wᵀ of a block of rows, and the rule
//! that picks one per step.
//!
//! *Direct*: h·Wᵀ with h = x·W, one dense product per block, 2·B·n·m FLOP per batch.
//! *Gram*: the rows K_j = W_j·Wᵀ of K = W·Wᵀ for the features j active somewhere in the
//! batch (2·a·n·m FLOP for a active features), then z_b = Σ_{j: x_bj ≠ 0} x_bj·K_j, a sparse
//! combination of those rows (2·nnz(x)·n FLOP). The superposition-scaling input has
//! E = Σ p_i ≈ 1 non-zero per sample (`docs/science/superposition.md` §1.1), and a batch of
//! B = 2048 touches a ≈ 506 of n = 1000 features at α = 1 (Σ_i 1 − (1 − p_i)^B), 61 at α = 2;
//! so the Gram form does a quarter of the direct forward's arithmetic at α = 1, in a few
//! large products instead of B/64 small ones that each repack W. For dense inputs (the
//! Anthropic model at low sparsity) or n ≫ B the direct form wins; the rule below compares
//! the two counts.

use crate::error::Result;
use rayon::prelude::*;
use superscale_kernels::{matmul, sparse_block_times_dense, MatMut, MatRef, Simd, SparseRows};

/// Rows of a product computed per task (the active rows of K here, P·W in `backward.rs`):
/// fixed, so the bits do not depend on how many threads compute them.
pub(crate) const PRODUCT_ROWS: usize = 128;

/// Largest n for which a step may hold K (n² f32: 64 MiB at this limit).
pub(crate) const GRAM_MAX_FEATURES: usize = 4096;

/// How a step forms its pre-activations.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Forward<'a> {
    /// h·Wᵀ per block of rows.
    Direct,
    /// Rows K_j of the active features (a × n, row-major) combined by the input whose
    /// columns were renumbered to those rows.
    Gram {
        rows: &'a [f32],
        input: &'a SparseRows,
        /// whether dense-gradient blocks go through P = xᵀ·G (`backward.rs`)
        project: bool,
    },
}

/// The scratch of the Gram form, allocated once for a shape.
#[derive(Debug, Clone, Default)]
pub(crate) struct GramScratch {
    /// K_j for the active features, a × n
    rows: Vec<f32>,
    /// W_j for the active features, a × m
    active_weights: Vec<f32>,
    /// feature → its row in `rows`, or u32::MAX when inactive
    slot: Vec<u32>,
    /// the batch with each column j replaced by slot[j]
    input: SparseRows,
    /// the number of active features of the last batch numbered
    active: usize,
    /// P·W for the projected backward (`backward.rs`), a × m
    projected: Vec<f32>,
}

impl GramScratch {
    pub(crate) fn new(n_features: usize, width: usize) -> Self {
        Self {
            rows: vec![0.0; n_features * n_features],
            active_weights: vec![0.0; n_features * width],
            slot: vec![u32::MAX; n_features],
            input: SparseRows::default(),
            active: 0,
            projected: vec![0.0; n_features * width],
        }
    }

    /// The number of active features of the last batch numbered.
    pub(crate) fn active(&self) -> usize {
        self.active
    }

    /// W_j of the active features (a × m), as gathered by [`Self::prepare`].
    pub(crate) fn active_weights(&self, m: usize) -> &[f32] {
        &self.active_weights[..self.active * m]
    }

    /// Scratch for P·W (a × m) and the feature → slot map.
    pub(crate) fn projected_and_slots(&mut self, active: usize, m: usize) -> (&mut [f32], &[u32]) {
        (&mut self.projected[..active * m], &self.slot)
    }

    /// Whether this scratch was allocated (it is empty for shapes that never use it).
    pub(crate) fn is_allocated(&self) -> bool {
        !self.slot.is_empty()
    }

    /// Numbers the features active in batch `x` in increasing order (so the numbering,
    /// and every bit of the result, depends only on the batch) and returns their count.
    pub(crate) fn number_active(&mut self, x: &SparseRows) -> usize {
        self.slot.fill(u32::MAX);
        for &column in &x.columns {
            self.slot[column as usize] = 0;
        }
        let mut active = 0;
        for slot in self.slot.iter_mut().filter(|slot| **slot == 0) {
            *slot = active as u32;
            active += 1;
        }
        self.active = active;
        active
    }

    /// The active rows of K for batch `x` (numbered by [`Self::number_active`], which
    /// returned `active`) and the Gram forward that combines them.
    pub(crate) fn prepare<'a>(
        &'a mut self,
        x: &SparseRows,
        weights: &[f32],
        n: usize,
        m: usize,
        active: usize,
        project: bool,
    ) -> Result<Forward<'a>> {
        for (feature, &slot) in self.slot.iter().enumerate() {
            if slot != u32::MAX {
                let slot = slot as usize;
                self.active_weights[slot * m..(slot + 1) * m]
                    .copy_from_slice(&weights[feature * m..(feature + 1) * m]);
            }
        }
        self.input.row_offsets.clone_from(&x.row_offsets);
        self.input.values.clone_from(&x.values);
        self.input.columns.clear();
        let slot = &self.slot;
        self.input
            .columns
            .extend(x.columns.iter().map(|&column| slot[column as usize]));
        self.input.cols = active;
        let rows = &mut self.rows[..active * n];
        let transposed = MatRef::row_major(weights, n, m)?.transpose();
        product_by_row_blocks(rows, &self.active_weights[..active * m], transposed)?;
        Ok(Forward::Gram {
            rows,
            input: &self.input,
            project,
        })
    }
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

/// What one value streamed through memory by an axpy over a row of n (a row of K, or of P
/// in `backward.rs`) costs, in FLOP of a GEMM on the same core: the Gram forms trade GEMM
/// work for such streaming, which only pays when m is large enough. Calibrated on the
/// project's machine (BENCHMARKS.md): at n = 1000, B = 2048, α = 1 the Gram forward is slower
/// than h·Wᵀ at m = 10 and faster at m = 25, which puts this between 8 and 30.
const STREAMED_VALUE_FLOP: usize = 16;

/// Whether the Gram forward is cheaper for a batch with `active` active features and
/// `entries` non-zeros: 2·a·n·m + c·nnz·n < 2·B·n·m (divided by n), c = [`STREAMED_VALUE_FLOP`].
pub fn gram_pays(width: usize, batch: usize, active: usize, entries: usize) -> bool {
    2 * active * width + STREAMED_VALUE_FLOP * entries < 2 * batch * width
}

/// Whether the projected backward beats two dense products for the dense-gradient blocks:
/// 4·a·n·m + c·(nnz + a·chunks)·n < 4·B·n·m, counting P's accumulation and its zeroing in
/// each of `chunks` chunks as streamed values.
pub fn projection_pays(
    width: usize,
    batch: usize,
    active: usize,
    entries: usize,
    chunks: usize,
) -> bool {
    4 * active * width + STREAMED_VALUE_FLOP * (entries + active * chunks) < 4 * batch * width
}

/// Whether a step of this shape could ever use the Gram form (whether to hold its scratch).
pub(crate) fn gram_possible(n_features: usize, width: usize, batch: usize) -> bool {
    n_features <= GRAM_MAX_FEATURES && width > 0 && batch > 1
}

/// out ← lhs·rhs for row-major lhs (r × k) and out (r × c), rhs (k × c) any view, in fixed
/// blocks of [`PRODUCT_ROWS`] rows on the rayon pool (each block one single-threaded
/// product, so the bits do not depend on the thread count).
pub(crate) fn product_by_row_blocks(out: &mut [f32], lhs: &[f32], rhs: MatRef<'_>) -> Result<()> {
    let (k, c) = (rhs.rows(), rhs.cols());
    out.par_chunks_mut(PRODUCT_ROWS * c)
        .zip(lhs.par_chunks(PRODUCT_ROWS * k))
        .try_for_each(|(block, rows)| {
            let count = rows.len() / k;
            matmul(
                MatMut::row_major(block, count, c)?,
                MatRef::row_major(rows, count, k)?,
                rhs,
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
        Forward::Gram { rows, input, .. } => {
            sparse_block_times_dense(simd, pre, input, first_row, rows, n)?
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cost_rules_cross_between_m_10_and_25_at_the_paper_shape() {
        // n = 1000, B = 2048, α = 1: ≈ 2048 non-zeros on ≈ 506 active features, 4 chunks.
        assert!(!gram_pays(10, 2048, 506, 2048));
        assert!(gram_pays(25, 2048, 506, 2048));
        assert!(!projection_pays(10, 2048, 506, 2048, 4));
        assert!(projection_pays(25, 2048, 506, 2048, 4));
        // A dense input (the Anthropic model at S = 0) never pays.
        assert!(!gram_pays(5, 1024, 20, 20 * 1024));
    }
}
