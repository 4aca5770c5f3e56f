//! Positions of the non-zero entries of a row: the index list the sparse backward walks.
//!
//! The scalar loop branches on every entry and mispredicts at the 2–30 % densities of a
//! ReLU gradient; the AVX2 twin tests eight entries at once and compresses the set lanes
//! without a data-dependent branch.

/// Appends to `out` the positions of the non-zero entries of `row` (in increasing order).
pub(crate) fn nonzero_positions_scalar(row: &[f32], out: &mut Vec<u32>) {
    for (position, &value) in row.iter().enumerate() {
        if value != 0.0 {
            out.push(position as u32);
        }
    }
}

/// For each 8-bit mask, the positions of its set bits, packed first (the rest unused):
/// the AVX2 twin stores all eight lanes and advances by the popcount, so a group of eight
/// costs the same with or without non-zeros and no branch depends on the data.
#[cfg(target_arch = "x86_64")]
static SET_BITS: [[u32; 8]; 256] = {
    let mut table = [[0u32; 8]; 256];
    let mut mask = 0;
    while mask < 256 {
        let (mut bit, mut count) = (0, 0);
        while bit < 8 {
            if mask & (1 << bit) != 0 {
                table[mask][count] = bit as u32;
                count += 1;
            }
            bit += 1;
        }
        mask += 1;
    }
    table
};

/// The AVX2 twin of [`nonzero_positions_scalar`].
///
/// The first version walked the set bits of each mask in a loop; at the 2–5 % densities of
/// a trained model's gradient that loop's exit branch mispredicted on about one group in
/// six. This one is branch-free per group: it compresses the set lanes through
/// [`SET_BITS`] with one unaligned store of eight positions.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn nonzero_positions_avx2(row: &[f32], out: &mut Vec<u32>) {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_cmp_ps, _mm256_loadu_ps, _mm256_loadu_si256,
        _mm256_movemask_ps, _mm256_set1_epi32, _mm256_setzero_ps, _mm256_storeu_si256, _CMP_NEQ_UQ,
    };
    let chunks = row.len() / 8;
    // Room for every position plus the eight lanes the last store may write past them;
    // the capacity is kept between calls, so steady-state steps do not allocate.
    out.reserve(row.len() + 8);
    let mut len = out.len();
    let zero = _mm256_setzero_ps();
    for chunk in 0..chunks {
        // SAFETY: chunk·8 + 8 ≤ row.len(), so the unaligned 8-lane load stays in bounds.
        let values = unsafe { _mm256_loadu_ps(row.as_ptr().add(chunk * 8)) };
        let mask = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_NEQ_UQ>(values, zero)) as usize;
        // SAFETY: `mask` < 256 indexes the table; each entry is 8 u32 = 32 bytes. The store
        // writes 8 u32 at `len`, and len ≤ (original len) + chunk·8, so len + 8 ≤ capacity
        // by the reserve above; only the first popcount(mask) of them become part of `out`.
        unsafe {
            let lanes = _mm256_loadu_si256(SET_BITS[mask].as_ptr().cast::<__m256i>());
            let positions = _mm256_add_epi32(lanes, _mm256_set1_epi32((chunk * 8) as i32));
            _mm256_storeu_si256(out.as_mut_ptr().add(len).cast::<__m256i>(), positions);
        }
        len += mask.count_ones() as usize;
    }
    // SAFETY: the first `len` elements were written above (or were already initialised).
    unsafe { out.set_len(len) };
    let done = chunks * 8;
    for (offset, &value) in row[done..].iter().enumerate() {
        if value != 0.0 {
            out.push((done + offset) as u32);
        }
    }
}

/// Dispatches to the AVX2 twin when the CPU has it.
#[inline]
pub(crate) fn nonzero_positions(avx2: bool, row: &[f32], out: &mut Vec<u32>) {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: callers pass `avx2 = true` only after checking the CPU (see
        // `output_gradient_sparse`).
        #[allow(unsafe_code)]
        unsafe {
            nonzero_positions_avx2(row, out)
        };
        return;
    }
    let _ = avx2;
    nonzero_positions_scalar(row, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avx2_and_scalar_positions_agree_on_every_length() {
        // `under_test` fails on an x86-64 CPU without AVX2 (unless opted out), so this is
        // never the scalar path compared with itself there.
        let avx2 = crate::Simd::under_test().contains(&crate::Simd::Avx2Fma);
        for len in (0..=64).chain([127, 1000]) {
            let row: Vec<f32> = (0..len)
                .map(|i| {
                    if (i * 7) % 5 == 0 || i % 11 == 3 {
                        i as f32 - 0.5
                    } else {
                        0.0
                    }
                })
                .collect();
            let (mut scalar, mut fast) = (Vec::new(), Vec::new());
            nonzero_positions_scalar(&row, &mut scalar);
            nonzero_positions(avx2, &row, &mut fast);
            assert_eq!(scalar, fast, "length {len}");
            // Appending after existing positions, as the contract says.
            let mut appended = vec![7, 9];
            nonzero_positions(avx2, &row, &mut appended);
            assert_eq!(appended[2..], scalar[..], "length {len}");
            // All non-zero (every lane set), signed zeros and NaN (counted as non-zero).
            let dense: Vec<f32> = (0..len).map(|i| [1.0, -0.0, f32::NAN][i % 3]).collect();
            let (mut dense_scalar, mut dense_fast) = (Vec::new(), Vec::new());
            nonzero_positions_scalar(&dense, &mut dense_scalar);
            nonzero_positions(avx2, &dense, &mut dense_fast);
            assert_eq!(dense_scalar, dense_fast, "length {len}");
            assert!(scalar.iter().all(|&p| row[p as usize] != 0.0));
            assert_eq!(scalar.len(), row.iter().filter(|v| **v != 0.0).count());
        }
    }
}
