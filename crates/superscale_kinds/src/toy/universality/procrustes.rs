//! Rotation-invariant comparison of two toy models' feature matrices (`docs/alignment.md`,
//! "Rotation-invariant universality"). The loss of y = ReLU(W Wᵀ x + b) is unchanged by W → WQ for
//! any orthogonal Q, so the hidden basis is not privileged and two seeds' W (n × m, row i =
//! feature i's direction) can only be compared after removing that gauge:
//!
//! * orthogonal Procrustes (Schönemann 1966): R = argmin_{RᵀR = I} ‖W_B R − W_A‖_F is
//!   R = U Vᵀ for the SVD W_Bᵀ W_A = U Σ Vᵀ (exact SVD by faer, sequential);
//! * then per-feature cosines cos(a_i, (W_B R)_i) and the fraction above a threshold;
//! * the Gram matrices G = W Wᵀ (invariant under W → WQ) compared by their Frobenius
//!   cosine ⟨G_A, G_B⟩ / (‖G_A‖‖G_B‖), with or without the diagonal (the norms), using
//!   ⟨G_A, G_B⟩ = ‖W_Aᵀ W_B‖²_F so no n × n matrix is formed.

use super::{Error, Result};
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::svd::{svd, svd_scratch, ComputeSvdVectors};
use faer::{Mat, Par};

/// Bᵀ A for row-major n × m matrices, m × m row-major.
fn cross(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * m];
    for (row_a, row_b) in a.chunks_exact(m).zip(b.chunks_exact(m)) {
        for (p, &bp) in row_b.iter().enumerate() {
            for (q, &aq) in row_a.iter().enumerate() {
                out[p * m + q] += bp * aq;
            }
        }
    }
    out
}

/// The rotation R (m × m, row-major) minimising ‖B R − A‖_F over orthogonal R.
pub fn orthogonal_procrustes(a: &[f64], b: &[f64], m: usize) -> Result<Vec<f64>> {
    if m == 0 || a.len() != b.len() || !a.len().is_multiple_of(m) {
        return Err(Error::Numeric(format!(
            "Procrustes needs two n × m matrices of the same shape (lengths {} and {}, m = {m})",
            a.len(),
            b.len()
        )));
    }
    let product = cross(a, b, m);
    let matrix = Mat::<f64>::from_fn(m, m, |i, j| product[i * m + j]);
    let mut u = Mat::<f64>::zeros(m, m);
    let mut v = Mat::<f64>::zeros(m, m);
    let mut s = faer::diag::Diag::<f64>::zeros(m);
    // Sequential on purpose: the bits must not depend on a thread count.
    let par = Par::Seq;
    let mut buffer = MemBuffer::new(svd_scratch::<f64>(
        m,
        m,
        ComputeSvdVectors::Full,
        ComputeSvdVectors::Full,
        par,
        Default::default(),
    ));
    svd(
        matrix.as_ref(),
        s.as_mut(),
        Some(u.as_mut()),
        Some(v.as_mut()),
        par,
        MemStack::new(&mut buffer),
        Default::default(),
    )
    .map_err(|_| Error::Numeric("Procrustes: the SVD did not converge".into()))?;
    let mut rotation = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            rotation[i * m + j] = (0..m).map(|k| u[(i, k)] * v[(j, k)]).sum();
        }
    }
    Ok(rotation)
}

/// B R for row-major B (n × m) and R (m × m).
pub fn rotate(b: &[f64], rotation: &[f64], m: usize) -> Vec<f64> {
    let mut out = vec![0.0; b.len()];
    for (row, out_row) in b.chunks_exact(m).zip(out.chunks_exact_mut(m)) {
        for (k, &value) in row.iter().enumerate() {
            for (o, r) in out_row.iter_mut().zip(&rotation[k * m..(k + 1) * m]) {
                *o += value * r;
            }
        }
    }
    out
}

/// The outcome of aligning B to A.
#[derive(Debug, Clone, PartialEq)]
pub struct Procrustes {
    /// R, m × m row-major
    pub rotation: Vec<f64>,
    /// B R
    pub aligned: Vec<f64>,
    /// cos(a_i, (B R)_i) per feature (0 where either row is zero)
    pub cosines: Vec<f64>,
    /// ‖B R − A‖_F / ‖A‖_F
    pub relative_residual: f64,
}

fn cosine(x: &[f64], y: &[f64]) -> f64 {
    let (xx, yy): (f64, f64) = (x.iter().map(|v| v * v).sum(), y.iter().map(|v| v * v).sum());
    let denominator = (xx * yy).sqrt();
    if denominator > 0.0 {
        x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>() / denominator
    } else {
        0.0
    }
}

/// Per-row cosines of two row-major matrices of width m.
pub fn row_cosines(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    a.chunks_exact(m)
        .zip(b.chunks_exact(m))
        .map(|(x, y)| cosine(x, y))
        .collect()
}

/// Aligns B to A by orthogonal Procrustes and compares them feature by feature.
pub fn procrustes(a: &[f64], b: &[f64], m: usize) -> Result<Procrustes> {
    let rotation = orthogonal_procrustes(a, b, m)?;
    let aligned = rotate(b, &rotation, m);
    let cosines = row_cosines(a, &aligned, m);
    let residual: f64 = a.iter().zip(&aligned).map(|(x, y)| (x - y).powi(2)).sum();
    let norm: f64 = a.iter().map(|x| x * x).sum();
    Ok(Procrustes {
        rotation,
        aligned,
        cosines,
        relative_residual: (residual / norm).sqrt(),
    })
}

/// ⟨G_A, G_B⟩_F / (‖G_A‖_F ‖G_B‖_F) for G = W Wᵀ; `off_diagonal` leaves out G_ii (the
/// squared norms) so only the interference pattern between features is compared.
pub fn gram_cosine(a: &[f64], b: &[f64], m: usize, off_diagonal: bool) -> f64 {
    let squared = |x: &[f64]| x.iter().map(|v| v * v).sum::<f64>();
    let frobenius = |p: &[f64], q: &[f64]| squared(&cross(p, q, m));
    let (mut ab, mut aa, mut bb) = (frobenius(a, b), frobenius(a, a), frobenius(b, b));
    if off_diagonal {
        for (x, y) in a.chunks_exact(m).zip(b.chunks_exact(m)) {
            let (nx, ny) = (squared(x), squared(y));
            ab -= nx * ny;
            aa -= nx * nx;
            bb -= ny * ny;
        }
    }
    let denominator = (aa * bb).sqrt();
    if denominator > 0.0 {
        ab / denominator
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::StandardNormal;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn gaussian(count: usize, seed: u64) -> Vec<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..count).map(|_| rng.sample(StandardNormal)).collect()
    }

    /// A random orthogonal m × m matrix: the Q of Gram–Schmidt on a Gaussian matrix.
    fn random_rotation(m: usize, seed: u64) -> Vec<f64> {
        let mut q = gaussian(m * m, seed);
        for i in 0..m {
            for j in 0..i {
                let dot: f64 = (0..m).map(|k| q[i * m + k] * q[j * m + k]).sum();
                for k in 0..m {
                    q[i * m + k] -= dot * q[j * m + k];
                }
            }
            let norm = (0..m).map(|k| q[i * m + k].powi(2)).sum::<f64>().sqrt();
            (0..m).for_each(|k| q[i * m + k] /= norm);
        }
        q
    }

    #[test]
    fn recovers_a_known_rotation_exactly() {
        let (n, m) = (200, 12);
        let a = gaussian(n * m, 1);
        let q = random_rotation(m, 2);
        // B = A Q, so the best R is Qᵀ and B R = A.
        let b = rotate(&a, &q, m);
        let result = procrustes(&a, &b, m).unwrap();
        for i in 0..m {
            for j in 0..m {
                assert!((result.rotation[i * m + j] - q[j * m + i]).abs() < 1e-10);
            }
        }
        assert!(result.relative_residual < 1e-12);
        assert!(result.cosines.iter().all(|c| (c - 1.0).abs() < 1e-12));
        // The Gram matrices of A and A Q are the same.
        assert!((gram_cosine(&a, &b, m, false) - 1.0).abs() < 1e-12);
        assert!((gram_cosine(&a, &b, m, true) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_rotation_is_orthogonal_and_no_worse_than_the_identity() {
        let (n, m) = (100, 6);
        let (a, b) = (gaussian(n * m, 3), gaussian(n * m, 4));
        let result = procrustes(&a, &b, m).unwrap();
        let r = &result.rotation;
        for i in 0..m {
            for j in 0..m {
                let dot: f64 = (0..m).map(|k| r[k * m + i] * r[k * m + j]).sum();
                assert!((dot - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        let identity: f64 = a.iter().zip(&b).map(|(x, y)| (x - y).powi(2)).sum();
        let aligned: f64 = a
            .iter()
            .zip(&result.aligned)
            .map(|(x, y)| (x - y).powi(2))
            .sum();
        assert!(aligned <= identity);
        // Unrelated Gaussian matrices: the Gram cosine is far from 1 without its diagonal.
        assert!(gram_cosine(&a, &b, m, true).abs() < 0.3);
    }

    #[test]
    fn gram_cosine_matches_the_dense_computation() {
        let (n, m) = (15, 4);
        let (a, b) = (gaussian(n * m, 5), gaussian(n * m, 6));
        let gram = |w: &[f64]| -> Vec<f64> {
            (0..n * n)
                .map(|ij| (0..m).map(|k| w[ij / n * m + k] * w[ij % n * m + k]).sum())
                .collect()
        };
        let (ga, gb) = (gram(&a), gram(&b));
        for off in [false, true] {
            let keep = |ij: usize| !off || ij / n != ij % n;
            let dot: f64 = (0..n * n)
                .filter(|&ij| keep(ij))
                .map(|ij| ga[ij] * gb[ij])
                .sum();
            let na: f64 = (0..n * n)
                .filter(|&ij| keep(ij))
                .map(|ij| ga[ij] * ga[ij])
                .sum();
            let nb: f64 = (0..n * n)
                .filter(|&ij| keep(ij))
                .map(|ij| gb[ij] * gb[ij])
                .sum();
            let dense = dot / (na * nb).sqrt();
            assert!((gram_cosine(&a, &b, m, off) - dense).abs() < 1e-12);
        }
    }
}
