//! Run-time choice of the instruction set for the grid kernels.
//!
//! The machinery of `superscale_kernels` (its `dispatch!` macro and its `Plain` and `Fused`
//! instantiations): a kernel body is generic over [`LaneArith`], which this module
//! implements for those two types, so it is instantiated once for the baseline target with
//! eight-element arrays (the scalar twin: separate multiply and add) and once inside a
//! function compiled with AVX2+FMA where the vector is one `__m256` (eight models, one per
//! lane, fused multiply-add), chosen at run time; never `target-cpu=native`
//! (`docs/science/conventions.md` §4). The compiler does not vectorise the lane loops of this kernel
//! on its own (profiled: scalar `vmulss`), hence the explicit vector type.
#![allow(unsafe_code)]

use crate::grid::layout::LANES;
#[cfg(target_arch = "x86_64")]
use superscale_kernels::Fused;
use superscale_kernels::Plain;

/// Eight f32, one per model of a block.
pub(crate) trait Vector: Copy {
    fn zero() -> Self;
    fn splat(value: f32) -> Self;
    fn load(lanes: &[f32]) -> Self;
    fn store(self, out: &mut [f32]);
    fn add(self, other: Self) -> Self;
    fn sub(self, other: Self) -> Self;
    fn mul(self, other: Self) -> Self;
    /// self·b + c (fused in the AVX2 instantiation, two roundings in the scalar twin)
    fn fmadd(self, b: Self, c: Self) -> Self;
    /// ReLU: z where z > 0, else +0 (NaN gives 0, as `if z > 0.0 { z } else { 0.0 }`)
    fn relu(self) -> Self;
    /// `value` where self > 0, else 0
    fn where_positive(self, value: Self) -> Self;
    /// 1 where self ≠ 0 (NaN counts), else 0
    fn nonzero_indicator(self) -> Self;
    /// acc[lane] += f64(self[lane])
    fn add_to_f64(self, acc: &mut [f64; LANES]);
    /// whether any lane is ≠ 0 (NaN counts): a group the wide kernel may not skip
    fn any_nonzero(self) -> bool;
}

/// The arithmetic a grid kernel body is generic over: its eight-lane vector type.
pub(crate) trait LaneArith: Copy {
    type V: Vector;
}

/// The scalar twin: eight-element arrays and separate multiply and add.
impl LaneArith for Plain {
    type V = [f32; LANES];
}

impl Vector for [f32; LANES] {
    #[inline(always)]
    fn zero() -> Self {
        [0.0; LANES]
    }
    #[inline(always)]
    fn splat(value: f32) -> Self {
        [value; LANES]
    }
    #[inline(always)]
    fn load(lanes: &[f32]) -> Self {
        lanes[..LANES]
            .try_into()
            .expect("a lane group is LANES long")
    }
    #[inline(always)]
    fn store(self, out: &mut [f32]) {
        out[..LANES].copy_from_slice(&self);
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        std::array::from_fn(|l| self[l] + other[l])
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        std::array::from_fn(|l| self[l] - other[l])
    }
    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        std::array::from_fn(|l| self[l] * other[l])
    }
    #[inline(always)]
    fn fmadd(self, b: Self, c: Self) -> Self {
        std::array::from_fn(|l| self[l] * b[l] + c[l])
    }
    #[inline(always)]
    fn relu(self) -> Self {
        self.map(|z| if z > 0.0 { z } else { 0.0 })
    }
    #[inline(always)]
    fn where_positive(self, value: Self) -> Self {
        std::array::from_fn(|l| if self[l] > 0.0 { value[l] } else { 0.0 })
    }
    #[inline(always)]
    fn nonzero_indicator(self) -> Self {
        self.map(|v| if v != 0.0 { 1.0 } else { 0.0 })
    }
    #[inline(always)]
    fn add_to_f64(self, acc: &mut [f64; LANES]) {
        for (sum, &v) in acc.iter_mut().zip(&self) {
            *sum += f64::from(v);
        }
    }
    #[inline(always)]
    fn any_nonzero(self) -> bool {
        self.iter().any(|&v| v != 0.0)
    }
}

/// AVX2 + FMA: one `__m256` holds the eight lanes.
#[cfg(target_arch = "x86_64")]
impl LaneArith for Fused {
    type V = avx::F32x8;
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx {
    //! SAFETY (whole module): these functions are `#[inline(always)]` and used only by kernel
    //! bodies instantiated with `superscale_kernels::Fused`, which exist only inside
    //! functions compiled with `#[target_feature(enable = "avx2,fma")]` and called after the
    //! CPU was checked for both (the `dispatch!` macro). Loads and stores go through slices of at least
    //! LANES elements (checked by the slice index), so every pointer is in bounds.
    use super::Vector;
    use crate::grid::layout::LANES;
    use std::arch::x86_64::*;

    #[derive(Clone, Copy)]
    pub(crate) struct F32x8(__m256);

    impl Vector for F32x8 {
        #[inline(always)]
        fn zero() -> Self {
            Self(unsafe { _mm256_setzero_ps() })
        }
        #[inline(always)]
        fn splat(value: f32) -> Self {
            Self(unsafe { _mm256_set1_ps(value) })
        }
        #[inline(always)]
        fn load(lanes: &[f32]) -> Self {
            let lanes = &lanes[..LANES];
            Self(unsafe { _mm256_loadu_ps(lanes.as_ptr()) })
        }
        #[inline(always)]
        fn store(self, out: &mut [f32]) {
            let out = &mut out[..LANES];
            unsafe { _mm256_storeu_ps(out.as_mut_ptr(), self.0) }
        }
        #[inline(always)]
        fn add(self, other: Self) -> Self {
            Self(unsafe { _mm256_add_ps(self.0, other.0) })
        }
        #[inline(always)]
        fn sub(self, other: Self) -> Self {
            Self(unsafe { _mm256_sub_ps(self.0, other.0) })
        }
        #[inline(always)]
        fn mul(self, other: Self) -> Self {
            Self(unsafe { _mm256_mul_ps(self.0, other.0) })
        }
        #[inline(always)]
        fn fmadd(self, b: Self, c: Self) -> Self {
            Self(unsafe { _mm256_fmadd_ps(self.0, b.0, c.0) })
        }
        #[inline(always)]
        fn relu(self) -> Self {
            // max returns its second operand when either is NaN or both are zeros: NaN → 0,
            // −0 → +0, as the scalar ReLU.
            Self(unsafe { _mm256_max_ps(self.0, _mm256_setzero_ps()) })
        }
        #[inline(always)]
        fn where_positive(self, value: Self) -> Self {
            Self(unsafe {
                let mask = _mm256_cmp_ps::<_CMP_GT_OQ>(self.0, _mm256_setzero_ps());
                _mm256_and_ps(mask, value.0)
            })
        }
        #[inline(always)]
        fn nonzero_indicator(self) -> Self {
            Self(unsafe {
                let mask = _mm256_cmp_ps::<_CMP_NEQ_UQ>(self.0, _mm256_setzero_ps());
                _mm256_and_ps(mask, _mm256_set1_ps(1.0))
            })
        }
        #[inline(always)]
        fn add_to_f64(self, acc: &mut [f64; LANES]) {
            unsafe {
                let low = _mm256_cvtps_pd(_mm256_castps256_ps128(self.0));
                let high = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(self.0));
                let pointer = acc.as_mut_ptr();
                _mm256_storeu_pd(pointer, _mm256_add_pd(_mm256_loadu_pd(pointer), low));
                let pointer = pointer.add(4);
                _mm256_storeu_pd(pointer, _mm256_add_pd(_mm256_loadu_pd(pointer), high));
            }
        }
        #[inline(always)]
        fn any_nonzero(self) -> bool {
            unsafe {
                let mask = _mm256_cmp_ps::<_CMP_NEQ_UQ>(self.0, _mm256_setzero_ps());
                _mm256_movemask_ps(mask) != 0
            }
        }
    }
}
