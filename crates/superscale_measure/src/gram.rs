//! Blocks of a Gram matrix A·Bᵀ, computed by GEMM so memory stays O(block²).

use crate::error::Result;
use superscale_kernels::{matmul, MatMut, MatRef};

/// Rows per block: 512 × 512 f64 is 2 MiB, inside a typical L2 + L3 share.
pub(crate) const BLOCK: usize = 512;

/// Calls `visit(row_start, col_start, block, rows, cols)` for every block of A·Bᵀ, where A
/// and B are row-major with `width` columns, and the block is rows × cols row-major.
/// With `upper_only`, only blocks with col_start ≥ row_start are visited (A = B).
pub(crate) fn for_each_block(
    a: &[f64],
    b: &[f64],
    width: usize,
    upper_only: bool,
    mut visit: impl FnMut(usize, usize, &[f64], usize, usize),
) -> Result<()> {
    let (a_rows, b_rows) = (a.len() / width, b.len() / width);
    let mut block = vec![0.0; BLOCK * BLOCK];
    for row_start in (0..a_rows).step_by(BLOCK) {
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
    }
    Ok(())
}
