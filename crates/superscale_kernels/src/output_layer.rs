//! The fused output layer of the tied toy model: y = ReLU(z), z = h·Wᵀ + b, and the
//! importance-weighted squared error Σ_b Σ_i I_i (y_bi − x_bi)² with its gradient.
//!
//! One pass over the B × n pre-activations adds the bias, applies the ReLU, accumulates
//! the loss and overwrites the buffer with G = ∂L/∂z (`docs/science/conventions.md` §3: no second B × n
//! buffer). The input x is sparse, so the pass first treats every x_bi as zero (a dense,
//! vectorisable loop) and then corrects the few active entries of each row.
//! Loss and model: Liu, Liu & Gore 2025, Eq. 1 and `docs/science/superposition.md` §1.2–1.3;
//! importance weights: Elhage et al. 2022 (`docs/science/tms.md` §2).

use crate::error::{check, Result};
use crate::matmul::{matmul, MatMut, MatRef};
use crate::nonzero::nonzero_positions;
use crate::simd::{dispatch, Arith, Simd};
use crate::sparse::{axpy, SparseRows};

const LANES: usize = 8;

/// What the fused pass measured on one batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowLoss {
    /// Σ_b Σ_i I_i (y_bi − x_bi)², accumulated in f64 per row
    pub weighted_sum: f64,
    /// number of non-zero entries of G (where z > 0): decides sparse or dense backward
    pub nonzero_gradients: usize,
}

#[inline(always)]
fn relu(z: f32) -> f32 {
    if z > 0.0 {
        z
    } else {
        0.0
    }
}

/// The dense part of one row: loss with x = 0, and G = scale·I·ReLU(z) written in place.
#[inline(always)]
fn dense_row<A: Arith, const WRITE: bool>(
    row: &mut [f32],
    bias: &[f32],
    importance: &[f32],
    scale: f32,
) -> (f64, usize) {
    let mut loss = [0.0f32; LANES];
    let mut count = [0u32; LANES];
    let mut row_chunks = row.chunks_exact_mut(LANES);
    let mut bias_chunks = bias.chunks_exact(LANES);
    let mut weight_chunks = importance.chunks_exact(LANES);
    for ((pre, b), w) in (&mut row_chunks)
        .zip(&mut bias_chunks)
        .zip(&mut weight_chunks)
    {
        for lane in 0..LANES {
            let y = relu(pre[lane] + b[lane]);
            loss[lane] = A::fmadd(w[lane] * y, y, loss[lane]);
            if WRITE {
                let gradient = scale * w[lane] * y;
                pre[lane] = gradient;
                count[lane] += u32::from(gradient != 0.0);
            }
        }
    }
    let mut total: f64 = loss.iter().map(|&v| f64::from(v)).sum();
    let mut nonzero: usize = count.iter().map(|&v| v as usize).sum();
    let tail = row_chunks.into_remainder();
    for ((pre, &b), &w) in tail
        .iter_mut()
        .zip(bias_chunks.remainder())
        .zip(weight_chunks.remainder())
    {
        let y = relu(*pre + b);
        total += f64::from(w * y * y);
        if WRITE {
            *pre = scale * w * y;
            nonzero += usize::from(*pre != 0.0);
        }
    }
    (total, nonzero)
}

#[inline(always)]
fn relu_loss_gradient_generic<A: Arith>(
    pre: &mut [f32],
    bias: &[f32],
    importance: &[f32],
    x: &SparseRows,
    first_row: usize,
    scale: f32,
    bias_grad: &mut [f32],
    active_pre: &mut Vec<f32>,
) -> RowLoss {
    let n = bias.len();
    if n == 0 {
        return RowLoss {
            weighted_sum: 0.0,
            nonzero_gradients: 0,
        };
    }
    let mut weighted_sum = 0.0f64;
    let mut nonzero_gradients = 0usize;
    for (b, row) in pre.chunks_exact_mut(n).enumerate() {
        let (columns, values) = x.row(first_row + b);
        // Remember z at the active entries before the row is overwritten by G.
        active_pre.clear();
        active_pre.extend(columns.iter().map(|&c| row[c as usize] + bias[c as usize]));
        let (row_loss, row_nonzero) = dense_row::<A, true>(row, bias, importance, scale);
        let mut correction = 0.0f64;
        for ((&column, &value), &z) in columns.iter().zip(values).zip(active_pre.iter()) {
            let column = column as usize;
            let (w, y) = (importance[column], relu(z));
            correction += f64::from(w) * (f64::from(y - value).powi(2) - f64::from(y).powi(2));
            if z > 0.0 {
                // The dense pass wrote scale·w·y; the true gradient is scale·w·(y − x).
                row[column] -= scale * w * value;
            }
        }
        weighted_sum += row_loss + correction;
        nonzero_gradients += row_nonzero;
        for (g, &r) in bias_grad.iter_mut().zip(row.iter()) {
            *g += r;
        }
    }
    RowLoss {
        weighted_sum,
        nonzero_gradients,
    }
}

dispatch!(fn relu_loss_gradient_kernel(
    pre: &mut [f32], bias: &[f32], importance: &[f32], x: &SparseRows, first_row: usize, scale: f32,
    bias_grad: &mut [f32], active_pre: &mut Vec<f32>,
) -> RowLoss => relu_loss_gradient_generic);

/// Fused forward, loss and output gradient over a block of rows of a batch.
///
/// On entry `pre` holds h·Wᵀ for rows `first_row..first_row + rows` of the batch `x`
/// (rows × n, row-major, bias not yet added); on exit it holds
/// G = scale · I_i · (ReLU(z) − x)·1[z > 0], and Σ_b G_b has been added to `bias_grad`. With
/// scale = 2/(B·n) this is the gradient of the mean squared error. `active_pre` is
/// scratch (its capacity is kept between calls, so steady-state steps do not allocate).
pub fn relu_loss_gradient(
    simd: Simd,
    pre: &mut [f32],
    bias: &[f32],
    importance: &[f32],
    x: &SparseRows,
    first_row: usize,
    scale: f32,
    bias_grad: &mut [f32],
    active_pre: &mut Vec<f32>,
) -> Result<RowLoss> {
    let n = bias.len();
    check(
        "relu_loss_gradient",
        importance.len() == n
            && bias_grad.len() == n
            && x.cols == n
            && fits(pre.len(), n, first_row, x.rows()),
        || {
            (
                format!(
                    "pre (rows ≤ {} − {first_row})×{n}, bias/importance/bias_grad {n}",
                    x.rows()
                ),
                format!("pre {} values", pre.len()),
            )
        },
    )?;
    Ok(relu_loss_gradient_kernel(
        simd, pre, bias, importance, x, first_row, scale, bias_grad, active_pre,
    ))
}

#[inline(always)]
fn relu_loss_forward_generic<A: Arith>(
    pre: &mut [f32],
    bias: &[f32],
    importance: &[f32],
    x: &SparseRows,
    first_row: usize,
) -> f64 {
    let n = bias.len();
    let mut total = 0.0f64;
    if n == 0 {
        return total;
    }
    for (b, row) in pre.chunks_exact_mut(n).enumerate() {
        let (columns, values) = x.row(first_row + b);
        for (&column, &value) in columns.iter().zip(values) {
            let column = column as usize;
            let y = relu(row[column] + bias[column]);
            total += f64::from(importance[column])
                * (f64::from(y - value).powi(2) - f64::from(y).powi(2));
        }
        total += dense_row::<A, false>(row, bias, importance, 0.0).0;
    }
    total
}

dispatch!(fn relu_loss_forward_kernel(pre: &mut [f32], bias: &[f32], importance: &[f32], x: &SparseRows, first_row: usize) -> f64 => relu_loss_forward_generic);

/// Σ_b Σ_i I_i (ReLU(z_bi) − x_bi)² over rows `first_row..` of `x` without the gradient
/// (held-out evaluation); `pre` holds h·Wᵀ for those rows and is left unchanged.
pub fn relu_loss_forward(
    simd: Simd,
    pre: &mut [f32],
    bias: &[f32],
    importance: &[f32],
    x: &SparseRows,
    first_row: usize,
) -> Result<f64> {
    let n = bias.len();
    check(
        "relu_loss_forward",
        importance.len() == n && x.cols == n && fits(pre.len(), n, first_row, x.rows()),
        || {
            (
                format!("pre (rows ≤ {} − {first_row})×{n}", x.rows()),
                format!("pre {} values", pre.len()),
            )
        },
    )?;
    Ok(relu_loss_forward_kernel(
        simd, pre, bias, importance, x, first_row,
    ))
}

/// Whether a block of `len` values is whole rows of width n within rows first_row.. of x.
fn fits(len: usize, n: usize, first_row: usize, rows: usize) -> bool {
    n == 0 || (len.is_multiple_of(n) && first_row + len / n <= rows)
}

#[inline(always)]
fn output_gradient_sparse_generic<A: Arith>(
    grad_pre: &[f32],
    weights: &[f32],
    hidden: &[f32],
    grad_hidden: &mut [f32],
    grad_weights: &mut [f32],
    width: usize,
    avx2: bool,
    positions: &mut Vec<u32>,
) {
    let n = weights.len() / width;
    for ((g_row, h_row), dh_row) in grad_pre
        .chunks_exact(n)
        .zip(hidden.chunks_exact(width))
        .zip(grad_hidden.chunks_exact_mut(width))
    {
        dh_row.fill(0.0);
        positions.clear();
        nonzero_positions(avx2, g_row, positions);
        for &i in positions.iter() {
            let i = i as usize;
            let g = g_row[i];
            let range = i * width..(i + 1) * width;
            axpy::<A>(g, &weights[range.clone()], dh_row);
            axpy::<A>(g, h_row, &mut grad_weights[range]);
        }
    }
}

dispatch!(fn output_gradient_sparse_kernel(
    grad_pre: &[f32], weights: &[f32], hidden: &[f32], grad_hidden: &mut [f32],
    grad_weights: &mut [f32], width: usize, avx2: bool, positions: &mut Vec<u32>,
) => output_gradient_sparse_generic);

fn check_gradient_shapes(
    op: &'static str,
    grad_pre: &[f32],
    weights: &[f32],
    hidden: &[f32],
    grad_hidden: &[f32],
    grad_weights: &[f32],
    width: usize,
) -> Result<()> {
    let n = weights.len().checked_div(width).unwrap_or(0);
    let batch = grad_pre.len().checked_div(n).unwrap_or(0);
    check(
        op,
        width > 0
            && weights.len() == n * width
            && grad_weights.len() == n * width
            && grad_pre.len() == batch * n
            && hidden.len() == batch * width
            && grad_hidden.len() == batch * width,
        || {
            (
                format!("G B×n, W n×m, H and dH B×m, dW n×m with m = {width}"),
                format!(
                    "G {}, W {}, H {}, dH {}, dW {} values",
                    grad_pre.len(),
                    weights.len(),
                    hidden.len(),
                    grad_hidden.len(),
                    grad_weights.len()
                ),
            )
        },
    )
}

/// dH ← G·W and dW ← dW + Gᵀ·H, skipping the zeros of G (worth it when ReLU has switched
/// most outputs off, as in trained models; cost 2·nnz(G)·m instead of 2·B·n·m).
/// `positions` is scratch for the non-zero positions of a row (capacity kept).
pub fn output_gradient_sparse(
    simd: Simd,
    grad_pre: &[f32],
    weights: &[f32],
    hidden: &[f32],
    grad_hidden: &mut [f32],
    grad_weights: &mut [f32],
    width: usize,
    positions: &mut Vec<u32>,
) -> Result<()> {
    check_gradient_shapes(
        "output_gradient_sparse",
        grad_pre,
        weights,
        hidden,
        grad_hidden,
        grad_weights,
        width,
    )?;
    // `Simd::Avx2Fma` is honoured only on a CPU that has it (checked again in dispatch).
    let avx2 = simd == Simd::Avx2Fma && Simd::detect() == Simd::Avx2Fma;
    output_gradient_sparse_kernel(
        simd,
        grad_pre,
        weights,
        hidden,
        grad_hidden,
        grad_weights,
        width,
        avx2,
        positions,
    );
    Ok(())
}

/// dH ← G·W and dW ← dW + Gᵀ·H as two dense products (better when G is dense, early in training).
pub fn output_gradient_dense(
    grad_pre: &[f32],
    weights: &[f32],
    hidden: &[f32],
    grad_hidden: &mut [f32],
    grad_weights: &mut [f32],
    width: usize,
) -> Result<()> {
    check_gradient_shapes(
        "output_gradient_dense",
        grad_pre,
        weights,
        hidden,
        grad_hidden,
        grad_weights,
        width,
    )?;
    let n = weights.len() / width;
    let batch = grad_pre.len() / n;
    let g = MatRef::row_major(grad_pre, batch, n)?;
    matmul(
        MatMut::row_major(grad_hidden, batch, width)?,
        g,
        MatRef::row_major(weights, n, width)?,
        false,
    )?;
    matmul(
        MatMut::row_major(grad_weights, n, width)?,
        g.transpose(),
        MatRef::row_major(hidden, batch, width)?,
        true,
    )
}

#[cfg(test)]
#[path = "output_layer_tests.rs"]
mod tests;
