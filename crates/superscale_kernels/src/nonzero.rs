//! Positions of the non-zero entries of a row: the index list the sparse backward walks.
//!
//! The scalar loop branches on every entry and mispredicts at the 5–30 % densities of a
//! ReLU gradient; the AVX2 twin tests eight entries at once and walks only the set bits
//! of a mask, so an all-zero group of eight costs one compare.

/// Appends to `out` the positions of the non-zero entries of `row` (in increasing order).
pub(crate) fn nonzero_positions_scalar(row: &[f32], out: &mut Vec<u32>) {
    for (position, &value) in row.iter().enumerate() {
        if value != 0.0 {
            out.push(position as u32);
        }
    }
}

/// The AVX2 twin of [`nonzero_positions_scalar`].
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn nonzero_positions_avx2(row: &[f32], out: &mut Vec<u32>) {
    use std::arch::x86_64::{
        _mm256_cmp_ps, _mm256_loadu_ps, _mm256_movemask_ps, _mm256_setzero_ps, _CMP_NEQ_UQ,
    };
    let chunks = row.len() / 8;
    let zero = _mm256_setzero_ps();
    for chunk in 0..chunks {
        // SAFETY: chunk·8 + 8 ≤ row.len(), so the unaligned 8-lane load stays in bounds.
        let values = unsafe { _mm256_loadu_ps(row.as_ptr().add(chunk * 8)) };
        let mut mask = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_NEQ_UQ>(values, zero)) as u32;
        while mask != 0 {
            out.push((chunk * 8) as u32 + mask.trailing_zeros());
            mask &= mask - 1;
        }
    }
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
        let avx2 = crate::Simd::detect() == crate::Simd::Avx2Fma;
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
            assert!(scalar.iter().all(|&p| row[p as usize] != 0.0));
            assert_eq!(scalar.len(), row.iter().filter(|v| **v != 0.0).count());
        }
    }
}
