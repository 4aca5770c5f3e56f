//! Measurements of weights and representations. Of a weight matrix W (rows = features):
//! row norms, represented fractions, overlaps of the normalised rows, the Anthropic
//! dimensionality measures and the ambiguity ‖WWᵀ − P‖₂ (`docs/science/superposition.md` §2
//! and `docs/science/tms.md` §4). Of two representations of the same items: the alignment
//! metrics of [`align`] (`docs/science/alignment.md` §1). Of a trained point: its local
//! learning coefficient by localised SGLD, [`llc`] (`docs/science/llc.md`).
//!
//! Pairwise quantities go through blocks of the Gram matrix computed by GEMM in f64, so
//! memory stays O(block²) for any number of rows and the exact polytope values of the
//! tests hold to 1e-12. Above a few 10⁴ rows, [`sampled_overlap`] estimates the pair
//! statistics from seeded random pairs with a confidence interval. [`measure_matrix`] gathers
//! all of it for one real weight matrix (read by `superscale_weights`), and [`fit_family`]
//! fits MSO and loss against the width over a family of them.
#![deny(missing_docs)]

pub mod align;
mod ambiguity;
mod error;
mod family;
mod gram;
pub mod llc;
mod matrix;
mod matrix_text;
mod overlap;
mod pairs;
mod rows;
mod sampling;

pub use ambiguity::{ambiguity, Ambiguity, AmbiguityOptions};
pub use error::{Error, Result};
pub use family::{fit_family, fit_power_law, FamilyFits, FitOutcome, PowerLawFit};
pub use matrix::{
    measure_matrix, MeasureOptions, NonFinite, NonFiniteRows, NormSummary, Overlap, OverlapMethod,
    PerFeature, WeightStats,
};
pub use matrix_text::{family_table, FamilyRow, SUMMARY_COLUMNS};
pub use overlap::{feature_dimensionality, mean_squared_overlap, OverlapStats};
pub use pairs::{pair_statistics, PairStatistics, Precision};
pub use rows::{dimensions_per_feature, fraction_above, row_norms, welch_bound};
pub use sampling::{sampled_overlap, SampledOverlap};
pub use superscale_fit::BootstrapOptions;

/// The measurements superscale records after every superposition-scaling run.
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    /// ‖W_i‖₂ for every feature
    pub row_norms: Vec<f64>,
    /// φ_{1/2}: fraction of rows with norm > 1/2 (Eq. 3)
    pub phi_half: f64,
    /// φ₁: fraction of rows with norm > 1 (Eq. 9/15)
    pub phi_one: f64,
    /// overlaps over all rows (Fig. 17)
    pub overlap_all: OverlapStats,
    /// overlaps over rows with norm > 1 (Fig. 5c/d); `None` when fewer than two such rows
    pub overlap_strong: Option<OverlapStats>,
    /// D* = m/‖W‖²_F (Elhage et al. 2022)
    pub dimensions_per_feature: f64,
}

/// All of [`Geometry`] for a row-major n × width matrix.
pub fn measure(weights: &[f32], width: usize) -> Result<Geometry> {
    let weights: Vec<f64> = weights.iter().map(|&v| f64::from(v)).collect();
    let norms = row_norms(&weights, width)?;
    let all: Vec<usize> = (0..norms.len()).collect();
    let strong: Vec<usize> = all.iter().copied().filter(|&i| norms[i] > 1.0).collect();
    Ok(Geometry {
        phi_half: fraction_above(&norms, 0.5),
        phi_one: fraction_above(&norms, 1.0),
        overlap_all: mean_squared_overlap(&weights, width, &all)?,
        overlap_strong: if strong.len() >= 2 {
            Some(mean_squared_overlap(&weights, width, &strong)?)
        } else {
            None
        },
        dimensions_per_feature: dimensions_per_feature(&weights, width)?,
        row_norms: norms,
    })
}
