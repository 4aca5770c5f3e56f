//! Per-model data written straight into the block's lane layout.
//!
//! Each model keeps its own random stream and draws exactly what
//! `crate::FeatureSampler::sample` draws from it, in the same order (features in
//! order; within a feature, geometric gaps between active rows and a U(0, value_max) value
//! per active row), so a model trained in a grid sees the very batches it would see trained
//! alone. Only the destination differs: the value goes to x[row][feature][lane] of a dense
//! block buffer instead of a row-sorted sparse matrix, which skips the staging and sort.

use crate::geometric_gap;
use crate::grid::layout::LANES;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The data distribution of one model: x_i = u_i·v_i, u_i ~ Bernoulli(p_i), v_i ~ U(0, value_max)
/// (`docs/science/tms.md` §1; `crate::data`).
#[derive(Debug, Clone)]
pub(crate) struct LaneSampler {
    /// ln(1 − p_i) per feature (−∞ when p_i = 1, 0 when p_i = 0)
    log_miss: Vec<f64>,
    value_max: f32,
}

impl LaneSampler {
    pub(crate) fn new(probabilities: &[f64], value_max: f32) -> Self {
        Self {
            log_miss: probabilities.iter().map(|&p| (-p).ln_1p()).collect(),
            value_max,
        }
    }

    /// A sampler that never activates a feature (padding lanes of a partial block).
    pub(crate) fn silent(n_features: usize) -> Self {
        Self {
            log_miss: vec![0.0; n_features],
            value_max: 1.0,
        }
    }

    /// Writes one batch into lane `lane` of `x` (batch × n × LANES, already zero in this lane).
    #[inline]
    pub(crate) fn sample(
        &self,
        rng: &mut Xoshiro256PlusPlus,
        batch: usize,
        x: &mut [f32],
        lane: usize,
    ) {
        let n = self.log_miss.len();
        let stride = n * LANES;
        for (feature, &log_miss) in self.log_miss.iter().enumerate() {
            let offset = feature * LANES + lane;
            if log_miss == f64::NEG_INFINITY {
                // p = 1: every gap is 0 and draws nothing, so only the values are drawn.
                for row in 0..batch {
                    x[row * stride + offset] = rng.random::<f32>() * self.value_max;
                }
                continue;
            }
            let mut row = geometric_gap(rng, log_miss);
            while row < batch as u64 {
                x[row as usize * stride + offset] = rng.random::<f32>() * self.value_max;
                // Saturating, as FeatureSampler: a gap of u64::MAX (p < ~4e-17) ends the feature.
                row = row.saturating_add(geometric_gap(rng, log_miss).saturating_add(1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FeatureSampler;
    use rand::SeedableRng;
    use superscale_kernels::SparseRows;

    #[test]
    fn lane_batches_equal_feature_sampler_batches_bit_for_bit() {
        // Dense, sparse, impossible and mixed per-feature probabilities, several batches
        // in a row (the streams must stay in step across calls).
        let cases: [&[f64]; 4] = [
            &[1.0; 5],
            &[0.05; 5],
            &[1.0, 0.0, 0.3, 0.001, 0.9],
            &[0.2, 0.7],
        ];
        for (case, probabilities) in cases.iter().enumerate() {
            let n = probabilities.len();
            let batch = 300;
            let mut reference = FeatureSampler::new(probabilities.to_vec(), 1.0).unwrap();
            let mine = LaneSampler::new(probabilities, 1.0);
            let mut rng_reference = Xoshiro256PlusPlus::seed_from_u64(case as u64);
            let mut rng_mine = rng_reference.clone();
            let mut sparse = SparseRows::default();
            for _ in 0..4 {
                reference.sample(&mut rng_reference, batch, &mut sparse);
                let dense = sparse.to_dense();
                let mut x = vec![0.0f32; batch * n * LANES];
                mine.sample(&mut rng_mine, batch, &mut x, 3);
                for row in 0..batch {
                    for feature in 0..n {
                        let got = x[(row * n + feature) * LANES + 3];
                        assert_eq!(got.to_bits(), dense[row * n + feature].to_bits());
                        // Other lanes are untouched.
                        assert_eq!(x[(row * n + feature) * LANES + 2], 0.0);
                    }
                }
            }
            assert_eq!(
                rng_reference.random::<u64>(),
                rng_mine.random::<u64>(),
                "both streams consumed the same number of draws"
            );
        }
    }
}
