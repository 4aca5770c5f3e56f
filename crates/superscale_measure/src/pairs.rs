//! Everything pairwise from one pass over the upper triangle of the normalised Gram matrix:
//! the squared-overlap statistics of `docs/science/superposition.md` §2.2 (App. D.6) and
//! the per-feature interference and dimensionality of `docs/science/tms.md` §4.2 and §4.4,
//! exact for every pair.

use crate::error::{check_shape, Result};
use crate::gram::fold_block_rows;
use crate::overlap::OverlapStats;
use superscale_kernels::Element;

/// The precision of the Gram products. Sums are always accumulated in f64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// f64 products: cosines exact to ~1e-15 (the polytope tests need this)
    #[default]
    F64,
    /// f32 products of f64-normalised rows: about twice as fast; each cosine is off by
    /// at most ~m·2⁻²⁴ (≈ 5e-5 for m = 768), the mean squared overlap far less as the
    /// rounding errors of many pairs average out
    F32,
}

/// Pair statistics and per-feature measures of a matrix (rows = features).
#[derive(Debug, Clone, PartialEq)]
pub struct PairStatistics {
    /// (Ŵ_i·Ŵ_j)² over all pairs i < j (superposition.md §2.2, Fig. 17)
    pub overlap: OverlapStats,
    /// D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)², j = i included (tms.md §4.4, notebook cell 19)
    pub dimensionality: Vec<f64>,
    /// Σ_{j≠i} (Ŵ_i·W_j)² (tms.md §4.2, the "superposition" of feature i)
    pub interference: Vec<f64>,
}

#[derive(Default)]
struct Partial {
    sum: f64,
    sum_sq: f64,
    sum_abs: f64,
    interference: Vec<f64>,
}

/// Mean, variance and mean |·| of the squared cosines over all pairs of rows, and every
/// row's D_i and interference, from one blocked pass (half the work of
/// [`crate::feature_dimensionality`], which forms the whole n × n product). Block rows run
/// in parallel and combine in a fixed order, so the result does not depend on the thread
/// count.
///
/// With g_ij = u_i·u_j for u_i = W_i/‖W_i‖ (0 for a zero row) and c_i = max(‖W_i‖, 1e-6)
/// (the notebook's clamp), Ŵ_i·W_j = g_ij ‖W_i‖ ‖W_j‖ / c_i, so the interference is
/// Σ_{j≠i} g_ij² ‖W_j‖² (‖W_i‖/c_i)² and the j = i term is ‖W_i‖⁴/c_i².
pub fn pair_statistics(
    weights: &[f64],
    width: usize,
    precision: Precision,
) -> Result<PairStatistics> {
    let n = check_shape(weights, width)?;
    let norms_sq: Vec<f64> = weights
        .chunks_exact(width)
        .map(|row| row.iter().map(|v| v * v).sum())
        .collect();
    // (‖W_i‖/c_i)²: 1 unless the row is shorter than the clamp.
    let shrink: Vec<f64> = norms_sq
        .iter()
        .map(|&s| s / s.sqrt().max(1e-6).powi(2))
        .collect();
    // Rows normalised in f64 (a zero row stays zero); the f32 path rounds each value once.
    let unit = |row: &[f64], norm_sq: f64| {
        let norm = norm_sq.sqrt();
        row.iter()
            .map(move |v| if norm > 0.0 { v / norm } else { 0.0 })
            .collect::<Vec<f64>>()
    };
    let rows = || weights.chunks_exact(width).zip(norms_sq.iter().copied());
    let partials = match precision {
        Precision::F64 => {
            let unit64: Vec<f64> = rows().flat_map(|(row, s)| unit(row, s)).collect();
            fold_pairs(&unit64, width, n, &norms_sq, &shrink)?
        }
        Precision::F32 => {
            #[allow(clippy::cast_possible_truncation)] // the point of the f32 path
            let unit32: Vec<f32> = rows()
                .flat_map(|(row, s)| unit(row, s).into_iter().map(|v| v as f32))
                .collect();
            fold_pairs(&unit32, width, n, &norms_sq, &shrink)?
        }
    };
    let (mut sum, mut sum_sq, mut sum_abs) = (0.0, 0.0, 0.0);
    let mut interference = vec![0.0; n];
    for partial in partials {
        sum += partial.sum;
        sum_sq += partial.sum_sq;
        sum_abs += partial.sum_abs;
        for (total, add) in interference.iter_mut().zip(&partial.interference) {
            *total += add;
        }
    }
    let pairs = (n * n.saturating_sub(1) / 2) as f64;
    let overlap = if pairs == 0.0 {
        OverlapStats {
            rows: n,
            mean: f64::NAN,
            variance: f64::NAN,
            mean_abs: f64::NAN,
        }
    } else {
        let mean = sum / pairs;
        OverlapStats {
            rows: n,
            mean,
            variance: (sum_sq / pairs - mean * mean).max(0.0),
            mean_abs: sum_abs / pairs,
        }
    };
    let dimensionality = norms_sq
        .iter()
        .zip(&shrink)
        .zip(&interference)
        .map(|((&w, &s), &i)| {
            let total = w * s + i;
            if total > 0.0 {
                w / total
            } else {
                0.0
            }
        })
        .collect();
    Ok(PairStatistics {
        overlap,
        dimensionality,
        interference,
    })
}

fn fold_pairs<T>(
    unit: &[T],
    width: usize,
    n: usize,
    norms_sq: &[f64],
    shrink: &[f64],
) -> Result<Vec<Partial>>
where
    T: Element + Into<f64> + Send + Sync,
{
    fold_block_rows(
        unit,
        unit,
        width,
        true,
        || Partial {
            interference: vec![0.0; n],
            ..Partial::default()
        },
        |partial, row_start, col_start, block, rows, cols| {
            for r in 0..rows {
                let i = row_start + r;
                // Only pairs i < j: in a diagonal block, start right of the diagonal.
                let first = if col_start == row_start { r + 1 } else { 0 };
                let mut row_interference = 0.0;
                for (offset, &value) in block[r * cols + first..(r + 1) * cols].iter().enumerate() {
                    let j = col_start + first + offset;
                    let cosine: f64 = value.into();
                    let square = cosine * cosine;
                    partial.sum += square;
                    partial.sum_sq += square * square;
                    partial.sum_abs += cosine.abs();
                    row_interference += square * norms_sq[j];
                    partial.interference[j] += square * norms_sq[i] * shrink[j];
                }
                partial.interference[i] += row_interference * shrink[i];
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{feature_dimensionality, mean_squared_overlap};

    fn pseudo_random(count: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..count)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect()
    }

    #[test]
    fn one_pass_matches_the_separate_measurements() {
        // 1100 rows span three block rows; a zero row and a row under the clamp included.
        let (n, width) = (1100, 7);
        let mut weights = pseudo_random(n * width, 11);
        weights[3 * width..4 * width].fill(0.0);
        for v in &mut weights[5 * width..6 * width] {
            *v *= 1e-8;
        }
        let all: Vec<usize> = (0..n).collect();
        let overlap = mean_squared_overlap(&weights, width, &all).unwrap();
        let (dimensionality, interference) = feature_dimensionality(&weights, width).unwrap();
        let pairs = pair_statistics(&weights, width, Precision::F64).unwrap();
        // Tolerance 1e-12 relative: only the order of the f64 sums differs.
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
        assert!(close(pairs.overlap.mean, overlap.mean));
        assert!(close(pairs.overlap.variance, overlap.variance));
        assert!(close(pairs.overlap.mean_abs, overlap.mean_abs));
        for i in 0..n {
            assert!(close(pairs.dimensionality[i], dimensionality[i]), "row {i}");
            assert!(close(pairs.interference[i], interference[i]), "row {i}");
        }
        // f32 products: the mean squared overlap to 1e-5 relative.
        let single = pair_statistics(&weights, width, Precision::F32).unwrap();
        assert!((single.overlap.mean / overlap.mean - 1.0).abs() < 1e-5);
        assert!((single.overlap.mean_abs / overlap.mean_abs - 1.0).abs() < 1e-5);
    }

    #[test]
    fn identical_for_any_thread_count() {
        let (n, width) = (1500, 5);
        let weights = pseudo_random(n * width, 4);
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| pair_statistics(&weights, width, Precision::F64).unwrap())
        };
        assert_eq!(run(1), run(3));
    }
}
