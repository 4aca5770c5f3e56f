//! Per-feature "capability" of a trained toy model of superposition (issue 9 item 2, last
//! clause): is feature i reconstructed when it is present?
//!
//! The loss of the toy model y = ReLU(x·W·Wᵀ + b) is L = Σᵢ E[(ŷᵢ − xᵢ)²]
//! (`docs/science/superposition.md` §1.3, L = n × MSE). Splitting each term on whether feature i
//! is active (features are independent, §1.1):
//!
//! L = Σᵢ [ pᵢ·eᵢ + (1 − pᵢ)·fᵢ ],  eᵢ = E[(ŷᵢ − xᵢ)² | xᵢ ≠ 0],  fᵢ = E[ŷᵢ² | xᵢ = 0].
//!
//! eᵢ is the feature's own reconstruction error, which does not depend on how often the
//! feature occurs, so it is the analogue of a quantum's per-task loss (`docs/science/quanta.md`
//! §2.3). Its chance level is the model that ignores the feature (Wᵢ = 0, bᵢ ≤ 0: ŷᵢ = 0),
//! whose error is E[xᵢ² | xᵢ ≠ 0]. The **relative error** rᵢ = eᵢ / E[xᵢ² | xᵢ ≠ 0] is 1 at
//! chance and 0 for a perfect reconstruction, like the quanta loss in bits (chance 1 bit).
//!
//! Sampling: eᵢ is estimated on draws conditioned on feature i being active. Because the
//! features are independent, a draw of the repo's sampler with xᵢ replaced by a fresh
//! U(0, value_max) value is exactly a draw of x | xᵢ ≠ 0, and the same row with xᵢ set to 0
//! is a draw of x | xᵢ = 0. So every feature gets the same number of samples, however rare.

use super::error::{invalid, Result};
use crate::quanta::derive_seed;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use superscale_kernels::SparseRows;
use superscale_models::{power_law_probabilities, FeatureSampler};

/// The sampler of the superposition-scaling data (`docs/science/superposition.md` §1.1):
/// pᵢ = E·i^−α / Σⱼ j^−α, values U(0, 2), the sampler the runs were trained with.
pub fn power_law_sampler(
    n_features: usize,
    alpha: f64,
    activation_density: f64,
) -> Result<FeatureSampler> {
    let probabilities = power_law_probabilities(n_features, alpha, activation_density)?;
    Ok(FeatureSampler::new(probabilities, 2.0)?)
}

/// Held-out per-feature errors of one trained model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureErrors {
    /// hidden width m of the model
    pub width: usize,
    /// samples drawn per feature (each gives one active and one inactive evaluation)
    pub samples_per_feature: usize,
    /// eᵢ = E[(ŷᵢ − xᵢ)² | xᵢ ≠ 0]
    pub active_error: Vec<f64>,
    /// E[xᵢ² | xᵢ ≠ 0] on the same draws (the error of ŷᵢ = 0)
    pub active_energy: Vec<f64>,
    /// fᵢ = E[ŷᵢ² | xᵢ = 0] (interference read out as a false positive)
    pub inactive_error: Vec<f64>,
}

impl FeatureErrors {
    /// rᵢ = eᵢ / E[xᵢ² | xᵢ ≠ 0]: 1 at chance (feature ignored), 0 when reconstructed.
    pub fn relative_error(&self) -> Vec<f64> {
        self.active_error
            .iter()
            .zip(&self.active_energy)
            .map(|(e, energy)| e / energy)
            .collect()
    }

    /// L = Σᵢ [pᵢ eᵢ + (1 − pᵢ) fᵢ], the model's loss in the paper's units (n × MSE).
    pub fn loss(&self, probabilities: &[f64]) -> f64 {
        probabilities
            .iter()
            .zip(self.active_error.iter().zip(&self.inactive_error))
            .map(|(p, (e, f))| p * e + (1.0 - p) * f)
            .sum()
    }
}

/// The model's output for feature i on one sparse row, with xᵢ replaced by `value`, and with
/// xᵢ removed: (ŷᵢ | xᵢ = value, ŷᵢ | xᵢ = 0). Other entries of the row keep their values.
///
/// ŷᵢ = ReLU(Σⱼ xⱼ (Wⱼ·Wᵢ) + bᵢ), so only the row's active features and row i of W are read.
pub fn feature_outputs(
    weights: &[f32],
    bias: &[f32],
    width: usize,
    feature: usize,
    columns: &[u32],
    values: &[f32],
    value: f64,
) -> (f64, f64) {
    let row_i = &weights[feature * width..(feature + 1) * width];
    let dot = |j: usize| -> f64 {
        weights[j * width..(j + 1) * width]
            .iter()
            .zip(row_i)
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum()
    };
    let others: f64 = columns
        .iter()
        .zip(values)
        .filter(|(&j, _)| j as usize != feature)
        .map(|(&j, &x)| f64::from(x) * dot(j as usize))
        .sum();
    let bias_i = f64::from(bias[feature]);
    let inactive = (others + bias_i).max(0.0);
    let active = (others + value * dot(feature) + bias_i).max(0.0);
    (active, inactive)
}

/// Per-feature held-out errors of the model (W: n × m row-major, b: n) on
/// `samples_per_feature` conditioned draws per feature from `sampler`.
///
/// Feature i's draws come from a generator seeded by `derive_seed(seed, i)`, so the result
/// is the same for any thread count and any feature order.
pub fn feature_errors(
    weights: &[f32],
    bias: &[f32],
    width: usize,
    sampler: &FeatureSampler,
    samples_per_feature: usize,
    seed: u64,
) -> Result<FeatureErrors> {
    let n_features = sampler.n_features();
    if width == 0 || weights.len() != n_features * width {
        return Err(invalid(
            "weights",
            format!(
                "W has {} values, expected n_features × width = {n_features} × {width}",
                weights.len()
            ),
        ));
    }
    if bias.len() != n_features {
        return Err(invalid(
            "bias",
            format!("b has {} values, expected {n_features}", bias.len()),
        ));
    }
    if samples_per_feature == 0 {
        return Err(invalid("samples_per_feature", "must be at least 1"));
    }
    let value_max = f64::from(sampler.value_max());
    let per_feature: Vec<(f64, f64, f64)> = (0..n_features)
        .into_par_iter()
        .map_init(
            || (sampler.clone(), SparseRows::default()),
            |(sampler, rows), feature| {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(seed, feature as u64));
                sampler.sample(&mut rng, samples_per_feature, rows);
                let (mut error, mut energy, mut false_positive) = (0.0, 0.0, 0.0);
                for row in 0..rows.rows() {
                    let (columns, values) = rows.row(row);
                    let value = rng.random::<f64>() * value_max;
                    let (active, inactive) =
                        feature_outputs(weights, bias, width, feature, columns, values, value);
                    error += (active - value).powi(2);
                    energy += value * value;
                    false_positive += inactive * inactive;
                }
                let count = samples_per_feature as f64;
                (error / count, energy / count, false_positive / count)
            },
        )
        .collect();
    Ok(FeatureErrors {
        width,
        samples_per_feature,
        active_error: per_feature.iter().map(|t| t.0).collect(),
        active_energy: per_feature.iter().map(|t| t.1).collect(),
        inactive_error: per_feature.iter().map(|t| t.2).collect(),
    })
}
