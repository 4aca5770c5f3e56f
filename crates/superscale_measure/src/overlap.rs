//! Overlaps between feature directions.

use crate::error::{check_shape, Result};
use crate::gram::for_each_block;

/// Statistics of the squared overlaps (Ŵ_i·Ŵ_j)² over pairs i < j of a set of rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverlapStats {
    /// number of rows in the set
    pub rows: usize,
    /// mean of (Ŵ_i·Ŵ_j)² over pairs: ≈ 1/m for random directions, ≥ κ² always
    pub mean: f64,
    /// population variance of those squared overlaps (compare 2(m−1)/(m²(m+2)), App. D.6)
    pub variance: f64,
    /// mean of |Ŵ_i·Ŵ_j| over pairs (the LLM script's `mean_over`)
    pub mean_abs: f64,
}

/// Normalised copies of the chosen rows (a zero row stays zero).
fn normalised_rows(weights: &[f64], width: usize, rows: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(rows.len() * width);
    for &i in rows {
        let row = &weights[i * width..(i + 1) * width];
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        out.extend(row.iter().map(|v| if norm > 0.0 { v / norm } else { 0.0 }));
    }
    out
}

/// Mean, variance and mean absolute value of the squared cosines between the chosen rows
/// (App. D.6: Ŵ_i = W_i/‖W_i‖, pairs i < j; Fig. 5c/d over rows with ‖W_i‖ > 1, Fig. 17
/// over all rows). Exact, through blocks of the Gram matrix.
pub fn mean_squared_overlap(weights: &[f64], width: usize, rows: &[usize]) -> Result<OverlapStats> {
    check_shape(weights, width)?;
    let unit = normalised_rows(weights, width, rows);
    let (mut sum, mut sum_sq, mut sum_abs) = (0.0f64, 0.0f64, 0.0f64);
    for_each_block(
        &unit,
        &unit,
        width,
        true,
        |row_start, col_start, block, block_rows, block_cols| {
            for r in 0..block_rows {
                // Only pairs i < j: in a diagonal block, start right of the diagonal.
                let first = if col_start == row_start { r + 1 } else { 0 };
                for &cosine in &block[r * block_cols + first..(r + 1) * block_cols] {
                    let square = cosine * cosine;
                    sum += square;
                    sum_sq += square * square;
                    sum_abs += cosine.abs();
                }
            }
        },
    )?;
    let pairs = (rows.len() * rows.len().saturating_sub(1) / 2) as f64;
    if pairs == 0.0 {
        return Ok(OverlapStats {
            rows: rows.len(),
            mean: f64::NAN,
            variance: f64::NAN,
            mean_abs: f64::NAN,
        });
    }
    let mean = sum / pairs;
    Ok(OverlapStats {
        rows: rows.len(),
        mean,
        variance: (sum_sq / pairs - mean * mean).max(0.0),
        mean_abs: sum_abs / pairs,
    })
}

/// Per-feature dimensionality D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)² (sum including j = i) and
/// interference Σ_{j≠i} (Ŵ_i·W_j)² (Elhage et al. 2022, notebook cell 19; Ŵ_i uses
/// max(‖W_i‖, 1e-6) as there).
pub fn feature_dimensionality(weights: &[f64], width: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = check_shape(weights, width)?;
    let mut unit = Vec::with_capacity(weights.len());
    let mut norms_sq = Vec::with_capacity(n);
    for row in weights.chunks_exact(width) {
        let norm_sq: f64 = row.iter().map(|v| v * v).sum();
        let norm = norm_sq.sqrt().max(1e-6);
        unit.extend(row.iter().map(|v| v / norm));
        norms_sq.push(norm_sq);
    }
    let mut total = vec![0.0; n];
    for_each_block(
        &unit,
        weights,
        width,
        false,
        |row_start, _, block, block_rows, block_cols| {
            for r in 0..block_rows {
                total[row_start + r] += block[r * block_cols..(r + 1) * block_cols]
                    .iter()
                    .map(|v| v * v)
                    .sum::<f64>();
            }
        },
    )?;
    let dimensionality = norms_sq
        .iter()
        .zip(&total)
        .map(|(w, t)| if *t > 0.0 { w / t } else { 0.0 })
        .collect();
    // (Ŵ_i·W_i)² = ‖W_i‖², so the j ≠ i part is the total minus the norm squared.
    let interference = norms_sq
        .iter()
        .zip(&total)
        .map(|(w, t)| (t - w).max(0.0))
        .collect();
    Ok((dimensionality, interference))
}

#[cfg(test)]
#[path = "overlap_tests.rs"]
mod tests;
