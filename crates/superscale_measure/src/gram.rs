//! Blocks of a Gram matrix A·Bᵀ, computed by GEMM so memory stays O(block²).

use crate::error::Result;
use rayon::prelude::*;
use superscale_kernels::{matmul, Element, MatMut, MatRef};

/// Rows per block: 512 × 512 f64 is 2 MiB, inside a typical L2 + L3 share.
pub(crate) const BLOCK: usize = 512;

/// Calls `visit(row_start, col_start, block, rows, cols)` for every block of A·Bᵀ, where A
/// and B are row-major with `width` columns, and the block is rows × cols row-major.
/// With `upper_only`, only blocks with col_start ≥ row_start are visited (A = B).
pub(crate) fn for_each_block<T: Element>(
    a: &[T],
    b: &[T],
    width: usize,
    upper_only: bool,
    mut visit: impl FnMut(usize, usize, &[T], usize, usize),
) -> Result<()> {
    let mut block = vec![T::default(); BLOCK * BLOCK];
    for row_start in (0..a.len() / width).step_by(BLOCK) {
        block_row(a, b, width, upper_only, row_start, &mut block, &mut visit)?;
    }
    Ok(())
}

/// The blocks of one block row of A·Bᵀ (rows `row_start..row_start + BLOCK` of A).
fn block_row<T: Element>(
    a: &[T],
    b: &[T],
    width: usize,
    upper_only: bool,
    row_start: usize,
    block: &mut [T],
    visit: &mut impl FnMut(usize, usize, &[T], usize, usize),
) -> Result<()> {
    let (a_rows, b_rows) = (a.len() / width, b.len() / width);
    let rows = BLOCK.min(a_rows - row_start);
    let a_block = MatRef::row_major(
        &a[row_start * width..(row_start + rows) * width],
        rows,
        width,
    )?;
    let first_col = if upper_only { row_start } else { 0 };
    for col_start in (first_col..b_rows).step_by(BLOCK) {
        let cols = BLOCK.min(b_rows - col_start);
        let b_block = MatRef::row_major(
            &b[col_start * width..(col_start + cols) * width],
            cols,
            width,
        )?;
        let out = &mut block[..rows * cols];
        matmul(
            MatMut::row_major(out, rows, cols)?,
            a_block,
            b_block.transpose(),
            false,
        )?;
        visit(row_start, col_start, out, rows, cols);
    }
    Ok(())
}

/// The block rows of A·Bᵀ in parallel (rayon): each block row folds its blocks into a fresh
/// accumulator from `init`, and the accumulators come back in block-row order, so a caller
/// that combines them in that order gets the same bits for any number of threads.
pub(crate) fn fold_block_rows<T, A>(
    a: &[T],
    b: &[T],
    width: usize,
    upper_only: bool,
    init: impl Fn() -> A + Sync,
    visit: impl Fn(&mut A, usize, usize, &[T], usize, usize) + Sync,
) -> Result<Vec<A>>
where
    T: Element + Send + Sync,
    A: Send,
{
    let starts: Vec<usize> = (0..a.len() / width).step_by(BLOCK).collect();
    starts
        .into_par_iter()
        .map(|row_start| {
            let mut accumulator = init();
            // One block buffer per block row, reused across its blocks (not per block).
            let mut block = vec![T::default(); BLOCK * BLOCK];
            block_row(
                a,
                b,
                width,
                upper_only,
                row_start,
                &mut block,
                &mut |r, c, values: &[T], rows, cols| {
                    visit(&mut accumulator, r, c, values, rows, cols);
                },
            )?;
            Ok(accumulator)
        })
        .collect()
}
