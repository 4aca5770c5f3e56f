//! The output layer's backward through the batch's active features, for blocks whose
//! gradient G is too dense for the sparse scan.
//!
//! With h = x·W, the two terms of ∂L/∂W that involve G (`toy_model.rs`) factor through
//! P = xᵀ·G, which has a row only for each of the a features active in the batch:
//!   Gᵀ·h = Gᵀ·x·W = Pᵀ·W_a   (n × a)·(a × m)
//!   xᵀ·(G·W) = P·W           (a × n)·(n × m), scattered to the active rows of ∂L/∂W.
//! P costs 2·nnz(x)·n to accumulate block by block, and the two products 4·a·n·m per step,
//! instead of 4·B·n·m for G·W and Gᵀ·h: 4× less at n = 1000, B = 2048, α = 1 (a ≈ 506), and
//! as large products they run near the GEMM peak. This is what makes the first few hundred
//! steps of a run, when b ~ N(0, 1) leaves half the outputs on, cheap.

use crate::error::Result;
use crate::forward::{product_by_row_blocks, GramScratch, PRODUCT_ROWS};
use rayon::prelude::*;
use superscale_kernels::{matmul, MatMut, MatRef};

/// Largest P buffer (f32 values) a step may hold over all its chunks: 256 MiB.
pub(crate) const PROJECTION_BUDGET: usize = 64 << 20;

/// ∂L/∂W += Pᵀ·W_a + scatter(P·W), for P (a × n) summed over the chunks in order.
pub(crate) fn add_projected_gradient(
    projection: &[f32],
    gram: &mut GramScratch,
    weights: &[f32],
    grad_weights: &mut [f32],
    n: usize,
    m: usize,
) -> Result<()> {
    let active = gram.active();
    let projection = &projection[..active * n];
    // Pᵀ·W_a into ∂L/∂W, in blocks of its rows: rows r0..r1 of Pᵀ are columns r0..r1 of P.
    let active_weights = gram.active_weights(m);
    let p_view = MatRef::row_major(projection, active, n)?;
    grad_weights
        .par_chunks_mut(PRODUCT_ROWS * m)
        .enumerate()
        .try_for_each(|(block, out)| {
            let first = block * PRODUCT_ROWS;
            let rows = out.len() / m;
            matmul(
                MatMut::row_major(out, rows, m)?,
                p_view.columns(first, first + rows)?.transpose(),
                MatRef::row_major(active_weights, active, m)?,
                true,
            )
        })?;
    // P·W, then each active feature's row added to its row of ∂L/∂W.
    let (projected, slots) = gram.projected_and_slots(active, m);
    product_by_row_blocks(projected, projection, MatRef::row_major(weights, n, m)?)?;
    for (feature, &slot) in slots.iter().enumerate() {
        if slot != u32::MAX {
            let slot = slot as usize;
            grad_weights[feature * m..(feature + 1) * m]
                .iter_mut()
                .zip(&projected[slot * m..(slot + 1) * m])
                .for_each(|(g, p)| *g += p);
        }
    }
    Ok(())
}
