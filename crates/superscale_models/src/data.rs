//! Sparse feature data: x_i = u_i·v_i with u_i ~ Bernoulli(p_i) and v_i ~ U(0, value_max),
//! all independent (Liu, Liu & Gore 2025, Eq. 1; Elhage et al. 2022 with value_max = 1).
//!
//! The batch is drawn sparse: for each feature, the gaps between active rows are
//! geometric, so a batch costs about n + B·E random draws instead of 2·B·n uniforms
//! (`docs/science/superposition.md` §4.1, cost model), and the result is exactly i.i.d.
//! Bernoulli(p_i) per entry.

use crate::error::{invalid, Result};
use rand::Rng;
use superscale_kernels::SparseRows;

/// p_i = E · i^−α / Σ_j j^−α for i = 1..n: the paper's frequencies (`exp-10.py` l.64–65,
/// with paper α = 1 + code alpha) scaled to activation density E (`exp-15.py` l.60–70).
pub fn power_law_probabilities(
    n_features: usize,
    alpha: f64,
    activation_density: f64,
) -> Result<Vec<f64>> {
    if !(alpha.is_finite() && alpha >= 0.0) {
        return Err(invalid(
            "alpha",
            alpha,
            "the data exponent must be finite and ≥ 0",
        ));
    }
    if !(activation_density.is_finite() && activation_density > 0.0) {
        return Err(invalid(
            "activation_density",
            activation_density,
            "must be finite and > 0",
        ));
    }
    let raw: Vec<f64> = (1..=n_features).map(|i| (i as f64).powf(-alpha)).collect();
    let total: f64 = raw.iter().sum();
    let probabilities: Vec<f64> = raw.iter().map(|r| activation_density * r / total).collect();
    if let Some(&first) = probabilities.first() {
        if first > 1.0 + 1e-12 {
            return Err(invalid(
                "activation_density",
                activation_density,
                format!("gives p_1 = {first:.4} > 1; at most Σ_j j^−α = {total:.4} is possible"),
            ));
        }
    }
    Ok(probabilities.into_iter().map(|p| p.min(1.0)).collect())
}

/// Every probability in [0, 1] and value_max finite and > 0 (both samplers' inputs).
pub(crate) fn check_data(probabilities: &[f64], value_max: f32) -> Result<()> {
    if let Some((index, &p)) = probabilities
        .iter()
        .enumerate()
        .find(|(_, p)| !(0.0..=1.0).contains(*p))
    {
        return Err(invalid(
            "feature_probability",
            p,
            format!("feature {index}: a probability must be in [0, 1]"),
        ));
    }
    if !(value_max.is_finite() && value_max > 0.0) {
        return Err(invalid("value_max", value_max, "must be finite and > 0"));
    }
    Ok(())
}

/// Draws sparse batches of features with given probabilities and values U(0, value_max).
#[derive(Debug, Clone)]
pub struct FeatureSampler {
    probabilities: Vec<f64>,
    /// ln(1 − p_i), precomputed for the geometric gaps (−∞ when p_i = 1)
    log_miss: Vec<f64>,
    value_max: f32,
    /// feature-major staging of (row, feature, value) before the row sort
    staging: Vec<(u32, u32, f32)>,
    row_counts: Vec<u32>,
}

impl FeatureSampler {
    /// A sampler for these per-feature probabilities (each in [0, 1]).
    pub fn new(probabilities: Vec<f64>, value_max: f32) -> Result<Self> {
        check_data(&probabilities, value_max)?;
        let log_miss = probabilities.iter().map(|&p| (-p).ln_1p()).collect();
        Ok(Self {
            probabilities,
            log_miss,
            value_max,
            staging: Vec::new(),
            row_counts: Vec::new(),
        })
    }

    /// Number of features n.
    pub fn n_features(&self) -> usize {
        self.probabilities.len()
    }

    /// The per-feature probabilities.
    pub fn probabilities(&self) -> &[f64] {
        &self.probabilities
    }

    /// The expected number of active features per sample, E = Σ p_i.
    pub fn activation_density(&self) -> f64 {
        self.probabilities.iter().sum()
    }

    /// The upper end of the value distribution U(0, value_max).
    pub fn value_max(&self) -> f32 {
        self.value_max
    }

    /// Fills `out` with a batch of `batch` samples (rows sorted by feature within a row).
    /// Buffers keep their capacity, so steady-state calls do not allocate.
    pub fn sample<R: Rng>(&mut self, rng: &mut R, batch: usize, out: &mut SparseRows) {
        self.staging.clear();
        for (feature, &log_miss) in self.log_miss.iter().enumerate() {
            let mut row = geometric_gap(rng, log_miss);
            while row < batch as u64 {
                let value = rng.random::<f32>() * self.value_max;
                self.staging.push((row as u32, feature as u32, value));
                // Saturating: a gap of u64::MAX (p below ~4e-17) ends the feature; `1 + gap`
                // would wrap to row 0 and loop.
                row = row.saturating_add(geometric_gap(rng, log_miss).saturating_add(1));
            }
        }
        // Counting sort by row; the staging is feature-major, so each row stays sorted.
        self.row_counts.clear();
        self.row_counts.resize(batch + 1, 0);
        for &(row, _, _) in &self.staging {
            self.row_counts[row as usize + 1] += 1;
        }
        for row in 0..batch {
            self.row_counts[row + 1] += self.row_counts[row];
        }
        out.cols = self.probabilities.len();
        out.row_offsets.clear();
        out.row_offsets.extend_from_slice(&self.row_counts);
        out.columns.clear();
        out.columns.resize(self.staging.len(), 0);
        out.values.clear();
        out.values.resize(self.staging.len(), 0.0);
        for &(row, feature, value) in &self.staging {
            let slot = &mut self.row_counts[row as usize];
            out.columns[*slot as usize] = feature;
            out.values[*slot as usize] = value;
            *slot += 1;
        }
    }
}

/// Number of inactive rows before the next active one: Geometric(p) on {0, 1, …}, from
/// `log_miss` = ln(1 − p) (−∞ for p = 1, 0 for p = 0). Shared with `superscale_models::grid`, whose
/// models must draw exactly these gaps.
#[inline(always)]
pub fn geometric_gap<R: Rng>(rng: &mut R, log_miss: f64) -> u64 {
    if log_miss == 0.0 {
        return u64::MAX; // p = 0: never active
    }
    if log_miss == f64::NEG_INFINITY {
        return 0; // p = 1: always active
    }
    let uniform = 1.0 - rng.random::<f64>(); // in (0, 1], so the log is finite
                                             // ln(u)/ln(1 − p) ≥ 0, where `as u64` truncates exactly as floor() then `as u64` would
                                             // (floor is a libm call on the baseline target: 16 % of a grid's time when profiled).
    let ratio = uniform.ln() / log_miss;
    if ratio >= u64::MAX as f64 {
        u64::MAX
    } else {
        ratio as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn reference_values_for_alpha_one() {
        // docs/science/superposition.md §1.1: H_1000 = 7.485471, p_1 = 0.13359, p_1000 = 1.336e-4.
        let p = power_law_probabilities(1000, 1.0, 1.0).unwrap();
        assert!((p[0] - 1.0 / 7.485471).abs() < 1e-6);
        assert!((p[0] - 0.13359).abs() < 1e-5);
        assert!((p[999] - 1.336e-4).abs() < 1e-7);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Activation-density scan: s = 1 gives E = H_1000 and p_1 = 1.
        let dense = power_law_probabilities(1000, 1.0, 7.4854708).unwrap();
        assert!((dense[0] - 1.0).abs() < 1e-6);
        assert!(power_law_probabilities(1000, 1.0, 8.0).is_err());
    }

    #[test]
    fn sampler_moments_match_the_spec() {
        // C0 of docs/science/superposition.md §4: over 10⁶ samples, α = 1, n = 1000: mean
        // active count 1.000 ± 0.003, E[x_1] = p_1 ± 1 %, E[x_1²]/p_1 = 4/3 ± 1 %.
        let p = power_law_probabilities(1000, 1.0, 1.0).unwrap();
        let mut sampler = FeatureSampler::new(p.clone(), 2.0).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let mut batch = SparseRows::default();
        let (mut active, mut sum1, mut sq1, mut samples) = (0usize, 0.0f64, 0.0f64, 0usize);
        for _ in 0..500 {
            sampler.sample(&mut rng, 2000, &mut batch);
            samples += batch.rows();
            active += batch.entries();
            for (&c, &v) in batch.columns.iter().zip(&batch.values) {
                assert!((0.0..2.0).contains(&v));
                if c == 0 {
                    sum1 += f64::from(v);
                    sq1 += f64::from(v).powi(2);
                }
            }
            for row in 0..batch.rows() {
                let (columns, _) = batch.row(row);
                assert!(
                    columns.windows(2).all(|w| w[0] < w[1]),
                    "columns sorted and distinct"
                );
            }
        }
        assert_eq!(samples, 1_000_000);
        let mean_active = active as f64 / samples as f64;
        assert!((mean_active - 1.0).abs() < 0.003, "{mean_active}");
        let mean1 = sum1 / samples as f64;
        assert!((mean1 / p[0] - 1.0).abs() < 0.01, "{mean1}");
        assert!(((sq1 / samples as f64) / p[0] / (4.0 / 3.0) - 1.0).abs() < 0.01);
    }

    /// Replays a fixed list of 64-bit draws.
    struct Scripted(Vec<u64>);
    impl rand::RngCore for Scripted {
        fn next_u32(&mut self) -> u32 {
            (self.next_u64() >> 32) as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0.remove(0)
        }
        fn fill_bytes(&mut self, _: &mut [u8]) {
            unreachable!("the sampler draws words")
        }
    }

    #[test]
    fn a_gap_beyond_u64_ends_its_feature() {
        // p = 1e-300. Draw 0 gives u = 1, gap 0: row 0 is active; its value; then a draw of
        // u64::MAX gives u = 2^−53 and a gap of ~4e301, saturated to u64::MAX. The feature must
        // end there (the unsaturated `row += 1 + gap` wrapped to row 0 and looped forever).
        let mut sampler = FeatureSampler::new(vec![1e-300], 1.0).unwrap();
        let mut rng = Scripted(vec![0, 1 << 63, u64::MAX]);
        let mut batch = SparseRows::default();
        sampler.sample(&mut rng, 64, &mut batch);
        assert_eq!(batch.entries(), 1);
        assert_eq!(batch.row(0), (&[0u32][..], &[0.5f32][..]));
        assert!(rng.0.is_empty(), "exactly three draws");
    }

    #[test]
    fn certain_and_impossible_features() {
        let mut sampler = FeatureSampler::new(vec![1.0, 0.0, 1.0], 1.0).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut batch = SparseRows::default();
        sampler.sample(&mut rng, 5, &mut batch);
        for row in 0..5 {
            assert_eq!(batch.row(row).0, &[0, 2]);
        }
        assert!(FeatureSampler::new(vec![1.5], 1.0).is_err());
    }
}
