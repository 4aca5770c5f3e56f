//! The sums over kernel matrices K (of A) and L (of B) that biased and unbiased HSIC need,
//! computed without holding an n × n matrix (`docs/science/alignment.md` §1.5).
//!
//! With r_K = K·1 (row sums), both estimators depend only on Σ_ij K_ij L_ij, the diagonals
//! and the row sums (K and L are symmetric):
//!
//! * HSIC_b(K, L) = tr(KHLH) = Σ_ij K_ij L_ij − (2/n) r_K·r_L + (1ᵀr_K)(1ᵀr_L)/n²;
//! * HSIC_u(K, L) (Song et al. 2012, eq. 5) with K̃, L̃ the zero-diagonal kernels and
//!   r̃ = r − diag: [ Σ_{i≠j} K_ij L_ij + (1ᵀr̃_K)(1ᵀr̃_L)/((n−1)(n−2)) − (2/(n−2)) r̃_K·r̃_L ]
//!   / (n(n−3)).
//!
//! For linear kernels K = AAᵀ the sums come from feature space: Σ_ij K_ij L_ij = ‖AᵀB‖²_F,
//! K_ii = ‖a_i‖², r_K,i = a_i·Σ_j a_j, at O(n·d_A·d_B) instead of O(n²·d). When d exceeds
//! n, and for RBF kernels, kernel rows are computed in blocks through GEMM instead.

use crate::align::error::Result;
use crate::align::features::Features;
use crate::align::knn::block_rows;
use rayon::prelude::*;
use superscale_kernels::{matmul, MatMut, MatRef};

/// A kernel on rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kernel {
    /// k(x, y) = ⟨x, y⟩ (`kernel_metric='ip'`)
    Linear,
    /// k(x, y) = exp(−‖x − y‖²/(2σ²)) (`kernel_metric='rbf'`)
    Rbf {
        /// the bandwidth σ (reference default 1.0)
        sigma: f64,
    },
}

/// The sums of one kernel matrix and of its product with another.
#[derive(Debug, Clone, Default)]
pub(crate) struct KernelSums {
    pub n: usize,
    /// Σ_ij K_ij L_ij, Σ_ij K_ij², Σ_ij L_ij²
    pub kl: f64,
    pub kk: f64,
    pub ll: f64,
    /// diagonals
    pub diag_k: Vec<f64>,
    pub diag_l: Vec<f64>,
    /// row sums (diagonal included)
    pub rows_k: Vec<f64>,
    pub rows_l: Vec<f64>,
}

/// Which pair of kernels an HSIC is taken of.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pair {
    KL,
    KK,
    LL,
}

impl KernelSums {
    fn parts(&self, pair: Pair) -> (f64, &[f64], &[f64], &[f64], &[f64]) {
        match pair {
            Pair::KL => (
                self.kl,
                &self.diag_k,
                &self.diag_l,
                &self.rows_k,
                &self.rows_l,
            ),
            Pair::KK => (
                self.kk,
                &self.diag_k,
                &self.diag_k,
                &self.rows_k,
                &self.rows_k,
            ),
            Pair::LL => (
                self.ll,
                &self.diag_l,
                &self.diag_l,
                &self.rows_l,
                &self.rows_l,
            ),
        }
    }

    /// tr(KHLH), the biased estimator (no 1/(n−1)² factor: it cancels in CKA).
    pub fn biased(&self, pair: Pair) -> f64 {
        let n = self.n as f64;
        let (product, _, _, rows_x, rows_y) = self.parts(pair);
        let dot: f64 = rows_x.iter().zip(rows_y).map(|(x, y)| x * y).sum();
        let (sum_x, sum_y): (f64, f64) = (rows_x.iter().sum(), rows_y.iter().sum());
        product - 2.0 * dot / n + sum_x * sum_y / (n * n)
    }

    /// HSIC_u of Song et al. (2012), eq. 5.
    pub fn unbiased(&self, pair: Pair) -> f64 {
        let n = self.n as f64;
        let (product, diag_x, diag_y, rows_x, rows_y) = self.parts(pair);
        let off_diagonal = product - diag_x.iter().zip(diag_y).map(|(x, y)| x * y).sum::<f64>();
        let mut dot = 0.0;
        let (mut sum_x, mut sum_y) = (0.0, 0.0);
        for i in 0..self.n {
            let (x, y) = (rows_x[i] - diag_x[i], rows_y[i] - diag_y[i]);
            dot += x * y;
            sum_x += x;
            sum_y += y;
        }
        (off_diagonal + sum_x * sum_y / ((n - 1.0) * (n - 2.0)) - 2.0 * dot / (n - 2.0))
            / (n * (n - 3.0))
    }
}

/// ‖XᵀY‖²_F, by blocks of rows of XᵀY computed in parallel and summed in block order.
fn cross_frobenius_sq(x: &Features, y: &Features) -> Result<f64> {
    let (n, dx, dy) = (x.rows(), x.cols(), y.cols());
    let mut transposed = vec![0.0; dx * n];
    for i in 0..n {
        for (j, v) in x.row(i).iter().enumerate() {
            transposed[j * n + i] = *v;
        }
    }
    const ROWS: usize = 64;
    let y_view = MatRef::row_major(y.data(), n, dy)?;
    let partial: Vec<f64> = transposed
        .par_chunks(ROWS * n)
        .map(|block| {
            let rows = block.len() / n;
            let mut out = vec![0.0; rows * dy];
            matmul(
                MatMut::row_major(&mut out, rows, dy)?,
                MatRef::row_major(block, rows, n)?,
                y_view,
                false,
            )?;
            Ok(out.iter().map(|v| v * v).sum())
        })
        .collect::<Result<_>>()?;
    Ok(partial.iter().sum())
}

fn squared_norms(x: &Features) -> Vec<f64> {
    (0..x.rows())
        .map(|i| x.row(i).iter().map(|v| v * v).sum())
        .collect()
}

fn linear_in_feature_space(a: &Features, b: &Features) -> Result<KernelSums> {
    let row_sums = |x: &Features| {
        let mut total = vec![0.0; x.cols()];
        for i in 0..x.rows() {
            total.iter_mut().zip(x.row(i)).for_each(|(t, v)| *t += v);
        }
        (0..x.rows())
            .map(|i| x.row(i).iter().zip(&total).map(|(v, t)| v * t).sum())
            .collect::<Vec<f64>>()
    };
    Ok(KernelSums {
        n: a.rows(),
        kl: cross_frobenius_sq(a, b)?,
        kk: cross_frobenius_sq(a, a)?,
        ll: cross_frobenius_sq(b, b)?,
        diag_k: squared_norms(a),
        diag_l: squared_norms(b),
        rows_k: row_sums(a),
        rows_l: row_sums(b),
    })
}

/// Rows [start, start + rows) of the kernel matrix of `x`, into `out` (rows × n).
fn kernel_rows(
    x: &Features,
    norms: &[f64],
    kernel: Kernel,
    start: usize,
    rows: usize,
    out: &mut [f64],
) -> Result<()> {
    let (n, d) = (x.rows(), x.cols());
    matmul(
        MatMut::row_major(out, rows, n)?,
        MatRef::row_major(&x.data()[start * d..(start + rows) * d], rows, d)?,
        MatRef::row_major(x.data(), n, d)?.transpose(),
        false,
    )?;
    if let Kernel::Rbf { sigma } = kernel {
        let scale = 1.0 / (2.0 * sigma * sigma);
        for r in 0..rows {
            let i = start + r;
            for (j, v) in out[r * n..(r + 1) * n].iter_mut().enumerate() {
                // ‖x_i − x_j‖² = ‖x_i‖² + ‖x_j‖² − 2⟨x_i, x_j⟩, exactly 0 on the diagonal.
                let distance = if j == i {
                    0.0
                } else {
                    (norms[i] + norms[j] - 2.0 * *v).max(0.0)
                };
                *v = (-distance * scale).exp();
            }
        }
    }
    Ok(())
}

fn in_kernel_space(a: &Features, b: &Features, kernel: Kernel) -> Result<KernelSums> {
    let n = a.rows();
    let (norms_a, norms_b) = (squared_norms(a), squared_norms(b));
    let rows_per_block = block_rows(n);
    let starts: Vec<usize> = (0..n).step_by(rows_per_block).collect();
    // Per block: (kl, kk, ll, row sums and diagonals of its rows); reduced in block order.
    type Block = (f64, f64, f64, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);
    let blocks: Vec<Block> = starts
        .par_iter()
        .map(|&start| {
            let rows = rows_per_block.min(n - start);
            let (mut k, mut l) = (vec![0.0; rows * n], vec![0.0; rows * n]);
            kernel_rows(a, &norms_a, kernel, start, rows, &mut k)?;
            kernel_rows(b, &norms_b, kernel, start, rows, &mut l)?;
            let (mut kl, mut kk, mut ll) = (0.0, 0.0, 0.0);
            for (x, y) in k.iter().zip(&l) {
                kl += x * y;
                kk += x * x;
                ll += y * y;
            }
            let sums = |m: &[f64]| m.chunks_exact(n).map(|r| r.iter().sum()).collect();
            let diag = |m: &[f64]| (0..rows).map(|r| m[r * n + start + r]).collect();
            Ok((kl, kk, ll, sums(&k), sums(&l), diag(&k), diag(&l)))
        })
        .collect::<Result<_>>()?;
    let mut total = KernelSums {
        n,
        ..KernelSums::default()
    };
    for (kl, kk, ll, rows_k, rows_l, diag_k, diag_l) in blocks {
        total.kl += kl;
        total.kk += kk;
        total.ll += ll;
        total.rows_k.extend(rows_k);
        total.rows_l.extend(rows_l);
        total.diag_k.extend(diag_k);
        total.diag_l.extend(diag_l);
    }
    Ok(total)
}

/// How the sums of linear kernels are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// The forced routes exist for the test that both give the same sums.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) enum Route {
    /// whichever costs fewer multiply-adds
    Auto,
    /// d × d cross-products
    Features,
    /// n × n kernel rows in blocks
    Kernel,
}

/// The kernel sums of A and B (rows paired).
pub(crate) fn kernel_sums(
    a: &Features,
    b: &Features,
    kernel: Kernel,
    route: Route,
) -> Result<KernelSums> {
    let (n, da, db) = (a.rows() as f64, a.cols() as f64, b.cols() as f64);
    let features_cheaper = da * da + db * db + da * db <= n * (da + db);
    match (kernel, route) {
        (Kernel::Linear, Route::Features) => linear_in_feature_space(a, b),
        (Kernel::Linear, Route::Auto) if features_cheaper => linear_in_feature_space(a, b),
        _ => in_kernel_space(a, b, kernel),
    }
}
