//! Run-time choice of the instruction set.
//!
//! We never build with `target-cpu=native` (a wheel built that way crashes elsewhere);
//! instead the hot kernels are instantiated for the baseline and for AVX2+FMA, and the
//! caller picks one with [`Simd::detect`]. The scalar twin stays selectable so tests can
//! compare the two on every length.

/// Which instantiation of a kernel to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simd {
    /// Baseline code: plain multiply and add, whatever the compiler vectorises for the target.
    Scalar,
    /// AVX2 with fused multiply-add (x86_64 only); selected only when the CPU has both.
    Avx2Fma,
}

impl Simd {
    /// The best instruction set this CPU supports.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Simd::Avx2Fma;
            }
        }
        Simd::Scalar
    }

    /// All instruction sets this CPU can run.
    pub fn available() -> Vec<Self> {
        let mut all = vec![Simd::Scalar];
        if Simd::detect() == Simd::Avx2Fma {
            all.push(Simd::Avx2Fma);
        }
        all
    }

    /// The instruction sets a differential test must compare: [`Simd::available`], except
    /// that on x86-64 a CPU without AVX2+FMA panics instead of returning the scalar twin
    /// alone, unless the environment sets `SUPERSCALE_TEST_SCALAR_ONLY=1`.
    ///
    /// Without this, a scalar-versus-AVX2 test run on such a CPU (an old CI runner, an
    /// emulator) compares the scalar twin with itself and passes while testing nothing.
    pub fn under_test() -> Vec<Self> {
        let all = Self::available();
        let opted_out = std::env::var(SCALAR_ONLY_VARIABLE).is_ok_and(|value| value == "1");
        assert!(
            !cfg!(target_arch = "x86_64") || all.len() == 2 || opted_out,
            "this x86-64 CPU has no AVX2+FMA, so the AVX2 twins of the kernels cannot be \
             compared with their scalar twins; set {SCALAR_ONLY_VARIABLE}=1 to test the \
             scalar twins alone"
        );
        all
    }
}

/// The environment variable that lets differential tests run on an x86-64 CPU without
/// AVX2+FMA, testing the scalar twins alone (see [`Simd::under_test`]).
const SCALAR_ONLY_VARIABLE: &str = "SUPERSCALE_TEST_SCALAR_ONLY";

/// The arithmetic a kernel body is generic over: fused or separate multiply-add.
///
/// Public (with [`Plain`], [`Fused`] and [`dispatch!`](crate::dispatch)) so other crates
/// instantiate their own kernels the same way: `superscale_models::grid` implements its own
/// eight-lane vector trait for these two types.
pub trait Arith: Copy {
    /// a·b + c
    fn fmadd(a: f32, b: f32, c: f32) -> f32;
}

/// Separate multiply and add: correct on every target.
#[derive(Clone, Copy)]
pub struct Plain;
impl Arith for Plain {
    #[inline(always)]
    fn fmadd(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

/// Fused multiply-add: only inside functions compiled with the `fma` feature, where
/// `mul_add` is one instruction (elsewhere it would be a slow library call).
#[derive(Clone, Copy)]
pub struct Fused;
impl Arith for Fused {
    #[inline(always)]
    fn fmadd(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}

/// Defines `$name(simd, args…)` that runs `$generic::<Plain>` or, under AVX2+FMA,
/// `$generic::<Fused>` compiled with those target features.
///
/// `$generic` is any function generic over one type parameter that [`Plain`] and [`Fused`]
/// satisfy (this crate's [`Arith`], or a trait of the calling crate implemented for both).
#[macro_export]
macro_rules! dispatch {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? => $generic:ident) => {
        $(#[$meta])*
        $vis fn $name(simd: $crate::Simd, $($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[allow(unsafe_code)]
                #[target_feature(enable = "avx2,fma")]
                unsafe fn fused($($arg: $ty),*) $(-> $ret)? {
                    $generic::<$crate::Fused>($($arg),*)
                }
                if simd == $crate::Simd::Avx2Fma
                    && std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU was just checked for AVX2 and FMA (a cached lookup,
                    // paid once per kernel call, not per element).
                    #[allow(unsafe_code)]
                    return unsafe { fused($($arg),*) };
                }
            }
            let _ = simd;
            $generic::<$crate::Plain>($($arg),*)
        }
    };
}
pub(crate) use dispatch;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differential_tests_compare_both_instruction_sets_on_x86_64() {
        // The list every scalar-versus-AVX2 test iterates over: on x86-64 both twins, in
        // the order scalar then AVX2 (tests compare the later entries with the first),
        // unless the scalar-only opt-out is set on a CPU that lacks AVX2+FMA.
        let variants = Simd::under_test();
        assert_eq!(variants[0], Simd::Scalar);
        if cfg!(target_arch = "x86_64") && Simd::detect() == Simd::Avx2Fma {
            assert_eq!(variants, [Simd::Scalar, Simd::Avx2Fma]);
        } else {
            assert_eq!(variants, [Simd::Scalar]);
        }
    }
}
