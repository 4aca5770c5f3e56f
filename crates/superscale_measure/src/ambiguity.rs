//! The ambiguity ‖WWᵀ − P‖₂ of `docs/science/superposition.md` §2.3 (App. D.5): how far the
//! features are from the ideal weak-superposition arrangement, in which the first m
//! features hold orthonormal directions and the rest are absent.
//!
//! P is n × n, zero but for I_m in its top-left block (I_n when n < m). A = WWᵀ − P is
//! symmetric, so ‖A‖₂ = max |λ(A)|. We never form A: symmetric Lanczos with full
//! reorthogonalisation needs only products A·v = W(Wᵀv) − Pv, costing 2nm each, and keeps
//! the Krylov basis (n × iterations) — O(n·k) memory instead of O(n²).

use crate::error::{check_shape, Result};
use rayon::prelude::*;

/// Options of [`ambiguity`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AmbiguityOptions {
    /// stop when the Ritz residual bound β_k·|s_k| of the extreme Ritz value is at most
    /// `tolerance`·|θ| (then some eigenvalue of A lies within that distance of θ)
    pub tolerance: f64,
    /// at most this many Lanczos steps (also capped at n)
    pub max_iterations: usize,
    /// seed of the random start vector
    pub seed: u64,
}

impl Default for AmbiguityOptions {
    fn default() -> Self {
        AmbiguityOptions {
            tolerance: 1e-10,
            max_iterations: 400,
            seed: 0,
        }
    }
}

/// The result of [`ambiguity`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ambiguity {
    /// ‖WWᵀ − P‖₂ (the largest |Ritz value|)
    pub value: f64,
    /// the residual bound: an eigenvalue of A lies within this of ±`value`
    pub error_bound: f64,
    /// Lanczos steps taken
    pub iterations: usize,
    /// whether the bound met the tolerance, or the Krylov space became invariant (exact)
    pub converged: bool,
}

/// ‖WWᵀ − P‖₂ for a row-major n × width matrix W (§2.3, App. D.5), by Lanczos.
pub fn ambiguity(weights: &[f64], width: usize, options: AmbiguityOptions) -> Result<Ambiguity> {
    let n = check_shape(weights, width)?;
    let identity_rows = n.min(width);
    let apply = |v: &[f64], out: &mut [f64], scratch: &mut [f64]| {
        // scratch = Wᵀv (a sum over rows, in order: deterministic)
        scratch.fill(0.0);
        for (row, &vi) in weights.chunks_exact(width).zip(v) {
            for (s, &w) in scratch.iter_mut().zip(row) {
                *s += vi * w;
            }
        }
        // out = W·scratch − P·v, rows independent
        out.par_iter_mut()
            .zip(weights.par_chunks_exact(width))
            .enumerate()
            .for_each(|(i, (o, row))| {
                let dot: f64 = row.iter().zip(scratch.iter()).map(|(a, b)| a * b).sum();
                *o = if i < identity_rows { dot - v[i] } else { dot };
            });
    };

    let steps = options.max_iterations.clamp(1, n);
    let mut basis: Vec<f64> = Vec::with_capacity(n * steps.min(64));
    let mut alphas: Vec<f64> = Vec::new();
    let mut betas: Vec<f64> = Vec::new();
    let mut v = start_vector(n, options.seed);
    let mut w = vec![0.0; n];
    let mut scratch = vec![0.0; width];
    let mut result = Ambiguity {
        value: 0.0,
        error_bound: f64::INFINITY,
        iterations: 0,
        converged: false,
    };
    for k in 0..steps {
        basis.extend_from_slice(&v);
        apply(&v, &mut w, &mut scratch);
        let alpha = dot(&w, &v);
        alphas.push(alpha);
        // Full reorthogonalisation, twice ("twice is enough", Parlett): keeps the basis
        // orthogonal to machine precision so no spurious copies of Ritz values appear.
        for _ in 0..2 {
            for q in basis.chunks_exact(n) {
                let c = dot(&w, q);
                for (wi, qi) in w.iter_mut().zip(q) {
                    *wi -= c * qi;
                }
            }
        }
        let beta = dot(&w, &w).sqrt();
        let (ritz, last) = tridiagonal_eigen(&alphas, &betas);
        let (index, value) = ritz
            .iter()
            .copied()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .unwrap_or((0, 0.0));
        let scale = ritz.iter().fold(0.0f64, |m, r| m.max(r.abs()));
        result = Ambiguity {
            value: value.abs(),
            error_bound: beta * last[index].abs(),
            iterations: k + 1,
            converged: false,
        };
        // An invariant Krylov space (β ≈ 0) gives exact eigenvalues of A on it.
        let invariant = beta <= 1e-13 * scale.max(f64::MIN_POSITIVE) || k + 1 == n;
        if invariant || result.error_bound <= options.tolerance * result.value {
            result.converged = true;
            if invariant {
                result.error_bound = result.error_bound.min(1e-13 * scale);
            }
            break;
        }
        betas.push(beta);
        for (vi, wi) in v.iter_mut().zip(&w) {
            *vi = wi / beta;
        }
    }
    Ok(result)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A unit vector of uniform entries in [−1, 1) from a splitmix64 stream of `seed`.
fn start_vector(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    let mut v: Vec<f64> = (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect();
    let norm = dot(&v, &v).sqrt();
    for x in &mut v {
        *x /= norm;
    }
    v
}

/// Eigenvalues of the symmetric tridiagonal matrix with diagonal `diagonal` and
/// off-diagonal `off` (one shorter), and the last component of each unit eigenvector:
/// implicit QL with Wilkinson shifts (Numerical Recipes §11.3, `tqli`), applying the
/// rotations to the last row of the eigenvector matrix only, so it costs O(k²), not O(k³).
pub(crate) fn tridiagonal_eigen(diagonal: &[f64], off: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = diagonal.len();
    let mut d = diagonal.to_vec();
    let mut e = vec![0.0; n];
    e[..off.len()].copy_from_slice(off);
    let mut z = vec![0.0; n];
    if n > 0 {
        z[n - 1] = 1.0;
    }
    for l in 0..n {
        for _ in 0..100 {
            let mut m = l;
            while m + 1 < n {
                let dd = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * dd {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let mut r = g.hypot(1.0);
            g = d[m] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut deflated = false;
            for i in (l..m).rev() {
                let f = s * e[i];
                let b = c * e[i];
                r = f.hypot(g);
                e[i + 1] = r;
                if r == 0.0 {
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    deflated = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
                let f = z[i + 1];
                z[i + 1] = s * z[i] + c * f;
                z[i] = c * z[i] - s * f;
            }
            if deflated {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    (d, z)
}

#[cfg(test)]
#[path = "ambiguity_tests.rs"]
mod tests;
