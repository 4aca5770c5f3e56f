//! SVCCA (Raghu et al. 2017; metrics.py L128–160, `docs/science/alignment.md` §1.7), made exact and
//! deterministic.
//!
//! The reference takes U of `torch.svd_lowrank(X, q)` (randomised) and runs sklearn's
//! iterative CCA (NIPALS) with 1e-10 jitter, so its score is not reproducible. Here:
//! 1. standardise each column: (x − mean)/(sd + 1e-8), sd with ddof = 1 (torch.std);
//! 2. U_A, U_B = the first `cca_dim` left singular vectors of an exact SVD (faer, run
//!    sequentially);
//! 3. the canonical correlations of U_A and U_B are the singular values of U_AᵀU_B,
//!    because the columns of each U are orthonormal and centred (they lie in the column
//!    space of a centred matrix), which is exactly what CCA computes;
//! 4. score = their mean.
//!
//! A permutation of the rows of B permutes the rows of U_B, so a permutation null only
//! recomputes the small product U_Aᵀ P U_B.

use crate::align::error::{Error, Result};
use crate::align::features::Features;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::svd::{svd, svd_scratch, ComputeSvdVectors};
use faer::{Mat, Par};

/// The leading left singular vectors of a standardised matrix, n × dim, row-major.
#[derive(Debug, Clone)]
pub struct SingularBasis {
    rows: usize,
    dim: usize,
    data: Vec<f64>,
}

/// U of the standardised `x`, truncated to `dim` columns.
pub fn singular_basis(x: &Features, dim: usize) -> Result<SingularBasis> {
    let (n, d) = (x.rows(), x.cols());
    if dim == 0 || dim > n.min(d) || n < 2 {
        return Err(Error::Invalid(format!(
            "SVCCA: cca_dim = {dim} must be between 1 and min(n, d) = {}",
            n.min(d)
        )));
    }
    let mut mean = vec![0.0; d];
    for i in 0..n {
        mean.iter_mut().zip(x.row(i)).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut sd = vec![0.0; d];
    for i in 0..n {
        for ((s, v), m) in sd.iter_mut().zip(x.row(i)).zip(&mean) {
            *s += (v - m) * (v - m);
        }
    }
    sd.iter_mut()
        .for_each(|s| *s = (*s / (n - 1) as f64).sqrt() + 1e-8);
    let standardised = Mat::<f64>::from_fn(n, d, |i, j| (x.row(i)[j] - mean[j]) / sd[j]);
    let size = n.min(d);
    let mut u = Mat::<f64>::zeros(n, size);
    let mut s = faer::diag::Diag::<f64>::zeros(size);
    // Sequential on purpose: the bits must not depend on a thread count.
    let par = Par::Seq;
    let mut buffer = MemBuffer::new(svd_scratch::<f64>(
        n,
        d,
        ComputeSvdVectors::Thin,
        ComputeSvdVectors::No,
        par,
        Default::default(),
    ));
    svd(
        standardised.as_ref(),
        s.as_mut(),
        Some(u.as_mut()),
        None,
        par,
        MemStack::new(&mut buffer),
        Default::default(),
    )
    .map_err(|_| Error::NoConvergence)?;
    let mut data = Vec::with_capacity(n * dim);
    for i in 0..n {
        data.extend((0..dim).map(|j| u[(i, j)]));
    }
    Ok(SingularBasis { rows: n, dim, data })
}

/// Mean canonical correlation of two bases, B's rows taken in `order` (identity if None).
pub fn mean_canonical_correlation(
    a: &SingularBasis,
    b: &SingularBasis,
    order: Option<&[u32]>,
) -> Result<f64> {
    if a.dim != b.dim || a.rows != b.rows {
        return Err(Error::Invalid(format!(
            "SVCCA: bases of {}×{} and {}×{}",
            a.rows, a.dim, b.rows, b.dim
        )));
    }
    let dim = a.dim;
    let mut cross = Mat::<f64>::zeros(dim, dim);
    for i in 0..a.rows {
        let row_b = order.map_or(i, |o| o[i] as usize);
        let (ra, rb) = (
            &a.data[i * dim..(i + 1) * dim],
            &b.data[row_b * dim..(row_b + 1) * dim],
        );
        for (p, &x) in ra.iter().enumerate() {
            for (q, &y) in rb.iter().enumerate() {
                cross[(p, q)] += x * y;
            }
        }
    }
    let mut s = faer::diag::Diag::<f64>::zeros(dim);
    let par = Par::Seq;
    let mut buffer = MemBuffer::new(svd_scratch::<f64>(
        dim,
        dim,
        ComputeSvdVectors::No,
        ComputeSvdVectors::No,
        par,
        Default::default(),
    ));
    svd(
        cross.as_ref(),
        s.as_mut(),
        None,
        None,
        par,
        MemStack::new(&mut buffer),
        Default::default(),
    )
    .map_err(|_| Error::NoConvergence)?;
    // Canonical correlations are cosines: clamp the rounding above 1.
    Ok((0..dim).map(|j| s[j].min(1.0)).sum::<f64>() / dim as f64)
}

/// SVCCA of A and B with `cca_dim` components.
pub fn svcca(a: &Features, b: &Features, cca_dim: usize) -> Result<f64> {
    mean_canonical_correlation(
        &singular_basis(a, cca_dim)?,
        &singular_basis(b, cca_dim)?,
        None,
    )
}
