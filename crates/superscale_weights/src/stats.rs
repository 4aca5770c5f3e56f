//! The geometry of one weight matrix (`superposition_scaling.md` §2, §3.4, §3.6, §6).

use crate::error::Result;
use crate::file::Matrix;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_measure::{
    dimensions_per_feature, fraction_above, mean_squared_overlap, row_norms, welch_bound,
};

/// How the pair statistics were obtained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OverlapMethod {
    /// over all n(n−1)/2 pairs, blockwise through GEMM
    Exact,
    /// over `pairs` uniformly drawn pairs i ≠ j from a seeded generator
    Sampled {
        /// number of pairs drawn
        pairs: usize,
        /// the generator's seed
        seed: u64,
    },
}

/// Mean and variance of (Ŵ_i·Ŵ_j)² and mean |Ŵ_i·Ŵ_j| over pairs, with 95 % normal
/// confidence half-widths when sampled (0 when exact).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlap {
    /// how they were obtained
    pub method: OverlapMethod,
    /// mean squared overlap (MSO)
    pub mean_sq: f64,
    /// 95 % half-width of `mean_sq`
    pub mean_sq_ci: f64,
    /// variance of the squared overlaps
    pub variance_sq: f64,
    /// mean |cos|
    pub mean_abs: f64,
    /// 95 % half-width of `mean_abs`
    pub mean_abs_ci: f64,
}

/// Options of [`measure_matrix`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeasureOptions {
    /// the largest n measured exactly; above it, pairs are sampled
    pub exact_limit: usize,
    /// pairs drawn when sampling
    pub pairs: usize,
    /// seed of the pair sampler
    pub seed: u64,
    /// bins of the row-norm histogram
    pub bins: usize,
}

impl Default for MeasureOptions {
    fn default() -> Self {
        MeasureOptions {
            exact_limit: 20_000,
            pairs: 1_000_000,
            seed: 0,
            bins: 20,
        }
    }
}

/// Summary of the row norms.
#[derive(Debug, Clone, PartialEq)]
pub struct NormSummary {
    /// mean ‖W_i‖
    pub mean: f64,
    /// population standard deviation of ‖W_i‖
    pub sd: f64,
    /// smallest norm
    pub min: f64,
    /// largest norm
    pub max: f64,
    /// `(lower edge, upper edge, count)` of equal-width bins from min to max
    pub histogram: Vec<(f64, f64, usize)>,
}

/// Everything `superscale weights` prints about one matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightStats {
    /// n, the number of features (rows after orientation)
    pub rows: usize,
    /// m, the width
    pub width: usize,
    /// row norms
    pub norms: NormSummary,
    /// φ_{1/2}: fraction of rows with norm > 1/2
    pub phi_half: f64,
    /// φ₁: fraction of rows with norm > 1
    pub phi_one: f64,
    /// D* = m / ‖W‖²_F
    pub dimensions_per_feature: f64,
    /// pair statistics over all rows
    pub overlap: Overlap,
    /// the Welch bound κ² for ν = n unit vectors in R^m
    pub welch_sq: f64,
    /// m · MSO (≈ 1 for random directions)
    pub m_times_mso: f64,
}

/// Measures `matrix` (rows = features).
pub fn measure_matrix(matrix: &Matrix, options: &MeasureOptions) -> Result<WeightStats> {
    let (n, m) = (matrix.rows, matrix.columns);
    let norms = row_norms(&matrix.data, m)?;
    let overlap = if n <= options.exact_limit {
        let all: Vec<usize> = (0..n).collect();
        let stats = mean_squared_overlap(&matrix.data, m, &all)?;
        Overlap {
            method: OverlapMethod::Exact,
            mean_sq: stats.mean,
            mean_sq_ci: 0.0,
            variance_sq: stats.variance,
            mean_abs: stats.mean_abs,
            mean_abs_ci: 0.0,
        }
    } else {
        sampled_overlap(&matrix.data, m, &norms, options.pairs, options.seed)
    };
    let kappa = welch_bound(n, m);
    Ok(WeightStats {
        rows: n,
        width: m,
        norms: summarise(&norms, options.bins.max(1)),
        phi_half: fraction_above(&norms, 0.5),
        phi_one: fraction_above(&norms, 1.0),
        dimensions_per_feature: dimensions_per_feature(&matrix.data, m)?,
        m_times_mso: m as f64 * overlap.mean_sq,
        overlap,
        welch_sq: kappa * kappa,
    })
}

/// A seeded estimate over `pairs` uniform pairs i ≠ j (with replacement), with 95 % normal
/// half-widths 1.96·sd/√pairs. Zero rows count as cosine 0, as in the exact path.
pub fn sampled_overlap(
    weights: &[f64],
    width: usize,
    norms: &[f64],
    pairs: usize,
    seed: u64,
) -> Overlap {
    let n = norms.len();
    let method = OverlapMethod::Sampled { pairs, seed };
    if n < 2 || pairs == 0 {
        return Overlap {
            method,
            mean_sq: f64::NAN,
            mean_sq_ci: f64::NAN,
            variance_sq: f64::NAN,
            mean_abs: f64::NAN,
            mean_abs_ci: f64::NAN,
        };
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let (mut s1, mut s2, mut a1, mut a2) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for _ in 0..pairs {
        let i = rng.random_range(0..n);
        let mut j = rng.random_range(0..n - 1);
        if j >= i {
            j += 1;
        }
        let dot: f64 = weights[i * width..(i + 1) * width]
            .iter()
            .zip(&weights[j * width..(j + 1) * width])
            .map(|(a, b)| a * b)
            .sum();
        let denominator = norms[i] * norms[j];
        let cosine = if denominator > 0.0 {
            dot / denominator
        } else {
            0.0
        };
        let square = cosine * cosine;
        s1 += square;
        s2 += square * square;
        a1 += cosine.abs();
        a2 += square;
    }
    let k = pairs as f64;
    let mean_sq = s1 / k;
    let variance_sq = (s2 / k - mean_sq * mean_sq).max(0.0);
    let mean_abs = a1 / k;
    let variance_abs = (a2 / k - mean_abs * mean_abs).max(0.0);
    Overlap {
        method,
        mean_sq,
        mean_sq_ci: 1.96 * (variance_sq / k).sqrt(),
        variance_sq,
        mean_abs,
        mean_abs_ci: 1.96 * (variance_abs / k).sqrt(),
    }
}

fn summarise(norms: &[f64], bins: usize) -> NormSummary {
    let n = norms.len() as f64;
    let mean = norms.iter().sum::<f64>() / n;
    let sd = (norms.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let min = norms.iter().copied().fold(f64::INFINITY, f64::min);
    let max = norms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let step = (max - min) / bins as f64;
    let mut counts = vec![0usize; bins];
    for &v in norms {
        let bin = if step > 0.0 {
            (((v - min) / step) as usize).min(bins - 1)
        } else {
            0
        };
        counts[bin] += 1;
    }
    let histogram = counts
        .into_iter()
        .enumerate()
        .map(|(b, c)| (min + step * b as f64, min + step * (b + 1) as f64, c))
        .collect();
    NormSummary {
        mean,
        sd,
        min,
        max,
        histogram,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::Orientation;

    fn matrix(rows: usize, columns: usize, data: Vec<f64>) -> Matrix {
        Matrix {
            tensor: "w".into(),
            dtype: "F64".into(),
            stored_shape: [rows, columns],
            orientation: Orientation::Rows,
            rows,
            columns,
            data,
        }
    }

    #[test]
    fn sampled_agrees_with_exact_within_its_interval() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let (n, m) = (500, 16);
        let data: Vec<f64> = (0..n * m).map(|_| rng.random::<f64>() - 0.5).collect();
        let w = matrix(n, m, data);
        let exact = measure_matrix(&w, &MeasureOptions::default()).unwrap();
        assert_eq!(exact.overlap.method, OverlapMethod::Exact);
        let options = MeasureOptions {
            exact_limit: 10,
            pairs: 200_000,
            ..MeasureOptions::default()
        };
        let sampled = measure_matrix(&w, &options).unwrap();
        assert!(matches!(
            sampled.overlap.method,
            OverlapMethod::Sampled { .. }
        ));
        let (e, s) = (exact.overlap, sampled.overlap);
        assert!(
            (e.mean_sq - s.mean_sq).abs() < 2.0 * s.mean_sq_ci,
            "{e:?} {s:?}"
        );
        assert!(
            (e.mean_abs - s.mean_abs).abs() < 2.0 * s.mean_abs_ci,
            "{e:?} {s:?}"
        );
    }

    #[test]
    fn norm_summary_and_histogram() {
        let w = matrix(3, 2, vec![3.0, 4.0, 0.3, 0.4, 0.6, 0.8]);
        let stats = measure_matrix(&w, &MeasureOptions::default()).unwrap();
        assert_eq!((stats.norms.min, stats.norms.max), (0.5, 5.0));
        let total: usize = stats.norms.histogram.iter().map(|b| b.2).sum();
        assert_eq!(total, 3);
        assert_eq!(stats.norms.histogram.last().unwrap().2, 1);
        assert_eq!(stats.phi_one, 1.0 / 3.0);
    }
}
