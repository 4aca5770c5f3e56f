//! Batches drawn entry by entry, so that many small models can draw theirs in SIMD lockstep.
//!
//! The distribution is [`FeatureSampler`](crate::FeatureSampler)'s: x_i = u_i·v_i with
//! u_i ~ Bernoulli(p_i) and v_i ~ U(0, value_max), all independent (Elhage et al. 2022;
//! `docs/science/tms.md` §1). Only the drawing differs. Each batch seeds a
//! xoshiro128++ stream (Blackman & Vigna 2021, "Scrambled linear pseudorandom number
//! generators", the 32-bit `++` scrambler) from two 64-bit words of the run's data stream;
//! then every entry (row, feature), in row-major order, takes two 32-bit words of it:
//! * the gate word g: the entry is active iff g < t_i = round(p_i·2^32) (exact for p_i = 1,
//!   p_i resolved to 2^−32);
//! * the value word v: (v >> 8)·2^−24, times value_max (rand's f32 conversion).
//!
//! Two words per entry whatever the density: no logarithm and no branch, so eight models'
//! streams advance in one AVX2 register (`superscale_models::grid`), at the cost of 2·B·n draws per
//! batch where the geometric gaps need ≈ n + 2·B·Σp_i. Hence the choice per experiment
//! (spec field `sampler`): gaps for large sparse models, entries for grids of small ones.

use crate::data::check_data;
use crate::error::Result;
use rand::RngCore;
use superscale_kernels::SparseRows;

/// A xoshiro128++ generator (the scalar twin of the grid's eight-lane version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryStream {
    /// the generator's four state words
    pub state: [u32; 4],
}

impl EntryStream {
    /// A stream seeded from two 64-bit words of `rng`, split little-endian into the four
    /// state words (the order `rand_xoshiro::Xoshiro128PlusPlus::from_seed` reads bytes in).
    /// The all-zero state, which xoshiro cannot leave, becomes [1, 0, 0, 0] (p = 2^−128).
    #[inline]
    pub fn from_rng<R: RngCore>(rng: &mut R) -> Self {
        let (first, second) = (rng.next_u64(), rng.next_u64());
        let state = [
            first as u32,
            (first >> 32) as u32,
            second as u32,
            (second >> 32) as u32,
        ];
        Self {
            state: if state == [0; 4] { [1, 0, 0, 0] } else { state },
        }
    }

    /// The next 32-bit word: rotl(s0 + s3, 7) + s0, then the xoshiro128 state transition.
    #[inline(always)]
    pub fn next_word(&mut self) -> u32 {
        let s = &mut self.state;
        let result = s[0].wrapping_add(s[3]).rotate_left(7).wrapping_add(s[0]);
        let shifted = s[1] << 9;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= shifted;
        s[3] = s[3].rotate_left(11);
        result
    }
}

/// t = round(p·2^32) for p in [0, 1]: a gate word g < t makes the entry active.
pub fn gate_threshold(probability: f64) -> u64 {
    const SCALE: f64 = 4_294_967_296.0;
    (probability.clamp(0.0, 1.0) * SCALE).round() as u64
}

/// The value of an entry from its value word: (v >> 8)·2^−24·value_max, in [0, value_max).
#[inline(always)]
pub fn entry_value(word: u32, value_max: f32) -> f32 {
    ((word >> 8) as f32 * (1.0 / 16_777_216.0)) * value_max
}

/// Draws batches entry by entry (see the module documentation).
#[derive(Debug, Clone)]
pub struct EntrySampler {
    probabilities: Vec<f64>,
    /// t_i = round(p_i·2^32)
    thresholds: Vec<u64>,
    value_max: f32,
}

impl EntrySampler {
    /// A sampler for these per-feature probabilities (each in [0, 1]).
    pub fn new(probabilities: Vec<f64>, value_max: f32) -> Result<Self> {
        check_data(&probabilities, value_max)?;
        let thresholds = probabilities.iter().map(|&p| gate_threshold(p)).collect();
        Ok(Self {
            probabilities,
            thresholds,
            value_max,
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

    /// The per-feature gate thresholds t_i = round(p_i·2^32).
    pub fn thresholds(&self) -> &[u64] {
        &self.thresholds
    }

    /// The upper end of the value distribution U(0, value_max).
    pub fn value_max(&self) -> f32 {
        self.value_max
    }

    /// Fills `out` with a batch of `batch` samples (rows sorted by feature within a row, as
    /// they are drawn). Buffers keep their capacity, so steady-state calls do not allocate.
    pub fn sample<R: RngCore>(&self, rng: &mut R, batch: usize, out: &mut SparseRows) {
        let mut stream = EntryStream::from_rng(rng);
        out.cols = self.thresholds.len();
        out.row_offsets.clear();
        out.row_offsets.push(0);
        out.columns.clear();
        out.values.clear();
        for _ in 0..batch {
            for (feature, &threshold) in self.thresholds.iter().enumerate() {
                let gate = stream.next_word();
                let value = stream.next_word();
                if u64::from(gate) < threshold {
                    out.columns.push(feature as u32);
                    out.values.push(entry_value(value, self.value_max));
                }
            }
            out.row_offsets.push(out.columns.len() as u32);
        }
    }
}

#[cfg(test)]
#[path = "entries_tests.rs"]
mod tests;
