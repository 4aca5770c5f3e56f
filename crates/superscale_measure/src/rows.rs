//! Per-row statistics.

use crate::error::{check_shape, Result};

/// ‖W_i‖₂ of every row of a row-major n × width matrix.
pub fn row_norms(weights: &[f64], width: usize) -> Result<Vec<f64>> {
    check_shape(weights, width)?;
    Ok(weights
        .chunks_exact(width)
        .map(|row| row.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect())
}

/// The fraction of norms strictly above `threshold`: φ_{1/2} with 1/2 (Liu, Liu & Gore
/// 2025, Eq. 3) and φ₁ with 1 (Eq. 9/15).
pub fn fraction_above(norms: &[f64], threshold: f64) -> f64 {
    if norms.is_empty() {
        return 0.0;
    }
    norms.iter().filter(|&&norm| norm > threshold).count() as f64 / norms.len() as f64
}

/// Dimensions per feature D* = m / ‖W‖²_F (Elhage et al. 2022, notebook cell 18); NaN
/// (undefined) when every entry is zero, where the formula gives m/0 = ∞: no feature is
/// stored, so there are no dimensions to share out.
pub fn dimensions_per_feature(weights: &[f64], width: usize) -> Result<f64> {
    check_shape(weights, width)?;
    let frobenius_sq = weights.iter().map(|v| v * v).sum::<f64>();
    Ok(if frobenius_sq == 0.0 {
        f64::NAN
    } else {
        width as f64 / frobenius_sq
    })
}

/// The Welch bound κ = √((ν − m)/(m(ν − 1))) on max |cos| among ν unit vectors in R^m
/// (Eq. 5; 0 when ν ≤ m, where orthogonal vectors fit). The mean squared overlap of any
/// ν unit vectors is at least κ².
pub fn welch_bound(vectors: usize, width: usize) -> f64 {
    if vectors <= width || vectors < 2 {
        return 0.0;
    }
    let (nu, m) = (vectors as f64, width as f64);
    ((nu - m) / (m * (nu - 1.0))).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norms_fractions_and_bounds() {
        let weights = [3.0, 4.0, 0.3, 0.4, 0.6, 0.8];
        let norms = row_norms(&weights, 2).unwrap();
        assert_eq!(norms, vec![5.0, 0.5, 1.0]);
        assert_eq!(fraction_above(&norms, 0.5), 2.0 / 3.0);
        assert_eq!(fraction_above(&norms, 1.0), 1.0 / 3.0);
        assert!((dimensions_per_feature(&weights, 2).unwrap() - 2.0 / 26.25).abs() < 1e-12);
        assert!(dimensions_per_feature(&[0.0; 6], 2).unwrap().is_nan());
        assert_eq!(welch_bound(3, 3), 0.0);
        // ν = m + 1 unit vectors (a simplex) reach κ = 1/m.
        assert!((welch_bound(4, 3) - 1.0 / 3.0).abs() < 1e-12);
        assert!(row_norms(&weights, 4).is_err());
    }
}
