//! Eight models' entry-sampled batches drawn in one AVX2 register.
//!
//! Each lane runs its model's `crate::EntrySampler` exactly: a xoshiro128++
//! stream seeded per batch from the model's own data stream, two 32-bit words per entry
//! (row, feature) in row-major order, the gate word against t_i = round(p_i·2^32), the value
//! word as (v >> 8)·2^−24·value_max. The eight streams share no state, so a lane's batch never
//! depends on its neighbours. The AVX2 form advances all eight streams with integer
//! instructions (xoshiro needs only add, xor, shift) and writes x[row][feature][0..8] with one
//! store: no branch, no logarithm, no scatter, and no zero fill (inactive entries store 0).
//! The scalar twin runs `EntryStream` lane by lane; tests check they give the same bits.
#![allow(unsafe_code)]

use crate::grid::layout::LANES;
use crate::{entry_value, gate_threshold, EntryStream};
use superscale_kernels::Simd;

/// The gates of a block: per feature and lane, t_i encoded for a branch-free compare.
#[derive(Debug, Clone)]
pub(crate) struct EntryLanes {
    n: usize,
    /// (t_i − 1) per [feature][lane] with the sign bit flipped, so a signed compare orders
    /// unsigned words (t_i = round(p_i·2^32); 0 for silent lanes)
    limits: Vec<i32>,
    /// −1 where t_i > 0, else 0
    enabled: Vec<i32>,
    value_max: f32,
}

impl EntryLanes {
    /// Gates for the lanes' probabilities (`lanes[lane][feature]`); lanes past the end are
    /// silent (never active).
    pub(crate) fn new(n: usize, lanes: &[&[f64]], value_max: f32) -> Self {
        let mut thresholds = vec![0u64; n * LANES];
        for (lane, probabilities) in lanes.iter().enumerate().take(LANES) {
            for (feature, &p) in probabilities.iter().enumerate() {
                thresholds[feature * LANES + lane] = gate_threshold(p);
            }
        }
        let limits = thresholds
            .iter()
            .map(|&t| (t.saturating_sub(1) as u32 ^ 0x8000_0000) as i32)
            .collect();
        let enabled = thresholds.iter().map(|&t| -i32::from(t > 0)).collect();
        Self {
            n,
            limits,
            enabled,
            value_max,
        }
    }

    /// Writes one batch of `batch` rows into `x` ([batch][n][LANES]), every entry, lane `l`
    /// drawn from `streams[l]`.
    pub(crate) fn sample(
        &self,
        simd: Simd,
        streams: &[EntryStream; LANES],
        batch: usize,
        x: &mut [f32],
    ) {
        assert!(x.len() >= batch * self.n * LANES, "x holds the batch");
        #[cfg(target_arch = "x86_64")]
        if simd == Simd::Avx2Fma {
            // SAFETY: Avx2Fma is only detected on CPUs with AVX2; x holds batch·n·LANES
            // floats (asserted above) and limits/enabled hold n·LANES entries.
            unsafe { self.sample_avx2(streams, batch, x) };
            return;
        }
        let _ = simd;
        self.sample_scalar(streams, batch, x);
    }

    /// The scalar twin.
    pub(crate) fn sample_scalar(
        &self,
        streams: &[EntryStream; LANES],
        batch: usize,
        x: &mut [f32],
    ) {
        for (lane, stream) in streams.iter().enumerate() {
            let mut stream = *stream;
            for row in 0..batch {
                for feature in 0..self.n {
                    let gate = stream.next_word();
                    let value = stream.next_word();
                    let slot = (row * self.n + feature) * LANES + lane;
                    let group = feature * LANES + lane;
                    // gate < t ⇔ enabled and gate ≤ t − 1, compared as the AVX2 form does.
                    let within = ((gate ^ 0x8000_0000) as i32) <= self.limits[group];
                    x[slot] = if within && self.enabled[group] != 0 {
                        entry_value(value, self.value_max)
                    } else {
                        0.0
                    };
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn sample_avx2(&self, streams: &[EntryStream; LANES], batch: usize, x: &mut [f32]) {
        use std::arch::x86_64::*;
        let word = |w: usize| -> __m256i {
            let lanes: [i32; LANES] = std::array::from_fn(|l| streams[l].state[w] as i32);
            // SAFETY: an unaligned load of eight i32 from a local array.
            unsafe { _mm256_loadu_si256(lanes.as_ptr().cast()) }
        };
        let mut state = [word(0), word(1), word(2), word(3)];
        // xoshiro128++ on eight lanes: rotl(s0 + s3, 7) + s0, then the state transition
        // (a macro, not a function, so that it is compiled with this function's AVX2).
        macro_rules! next {
            ($s:ident) => {{
                let sum = _mm256_add_epi32($s[0], $s[3]);
                let rotated =
                    _mm256_or_si256(_mm256_slli_epi32(sum, 7), _mm256_srli_epi32(sum, 25));
                let result = _mm256_add_epi32(rotated, $s[0]);
                let shifted = _mm256_slli_epi32($s[1], 9);
                $s[2] = _mm256_xor_si256($s[2], $s[0]);
                $s[3] = _mm256_xor_si256($s[3], $s[1]);
                $s[1] = _mm256_xor_si256($s[1], $s[2]);
                $s[0] = _mm256_xor_si256($s[0], $s[3]);
                $s[2] = _mm256_xor_si256($s[2], shifted);
                $s[3] = _mm256_or_si256(_mm256_slli_epi32($s[3], 11), _mm256_srli_epi32($s[3], 21));
                result
            }};
        }
        let sign = _mm256_set1_epi32(i32::MIN);
        let unit = _mm256_set1_ps(1.0 / 16_777_216.0);
        let value_max = _mm256_set1_ps(self.value_max);
        let out = x.as_mut_ptr();
        for row in 0..batch {
            for feature in 0..self.n {
                let gate = next!(state);
                let value = next!(state);
                let group = feature * LANES;
                let limit = _mm256_loadu_si256(self.limits.as_ptr().add(group).cast());
                let enabled = _mm256_loadu_si256(self.enabled.as_ptr().add(group).cast());
                // gate > t − 1 (unsigned) ⇔ (gate ^ sign) > (t − 1) ^ sign (signed)
                let above = _mm256_cmpgt_epi32(_mm256_xor_si256(gate, sign), limit);
                let active = _mm256_andnot_si256(above, enabled);
                // Two roundings as entry_value: (v >> 8)·2^−24 (exact), then ·value_max.
                let uniform = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(value, 8)), unit);
                let drawn = _mm256_mul_ps(uniform, value_max);
                let entry = _mm256_and_ps(_mm256_castsi256_ps(active), drawn);
                _mm256_storeu_ps(out.add((row * self.n + feature) * LANES), entry);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EntrySampler;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;
    use superscale_kernels::SparseRows;

    #[test]
    fn lanes_draw_each_models_entry_sampler_batches_bit_for_bit() {
        // Dense, sparse, tiny and mixed probabilities in one block plus two silent lanes;
        // both instantiations against EntrySampler, lane by lane, over several batches.
        let n = 5;
        let probabilities: Vec<Vec<f64>> = vec![
            vec![1.0; n],
            vec![0.05; n],
            vec![1.0, 0.0, 0.3, 1e-6, 0.9],
            vec![0.5; n],
            vec![0.999_999; n],
            vec![0.01; n],
        ];
        let lanes: Vec<&[f64]> = probabilities.iter().map(Vec::as_slice).collect();
        let gates = EntryLanes::new(n, &lanes, 1.5);
        let batch = 300;
        let mut rngs: Vec<Xoshiro256PlusPlus> = (0..LANES as u64)
            .map(Xoshiro256PlusPlus::seed_from_u64)
            .collect();
        let mut sparse = SparseRows::default();
        for _ in 0..3 {
            let streams: [EntryStream; LANES] =
                std::array::from_fn(|lane| EntryStream::from_rng(&mut rngs[lane].clone()));
            for simd in Simd::under_test() {
                let mut x = vec![f32::NAN; batch * n * LANES];
                gates.sample(simd, &streams, batch, &mut x);
                for (lane, rng) in rngs.iter().enumerate() {
                    let want = match probabilities.get(lane) {
                        Some(p) => {
                            let sampler = EntrySampler::new(p.clone(), 1.5).unwrap();
                            sampler.sample(&mut rng.clone(), batch, &mut sparse);
                            sparse.to_dense()
                        }
                        None => vec![0.0; batch * n],
                    };
                    for (index, want) in want.iter().enumerate() {
                        let got = x[index * LANES + lane];
                        assert_eq!(
                            got.to_bits(),
                            want.to_bits(),
                            "{simd:?} lane {lane} entry {index}"
                        );
                    }
                }
            }
            for rng in &mut rngs {
                EntryStream::from_rng(rng);
            }
        }
    }
}
