//! Subnormal floats read and written as zero while a kernel runs.
//!
//! A subnormal (|x| < 1.2·10⁻³⁸ in f32) as an operand or a result costs a microcode assist,
//! tens to a hundred cycles, on the x86-64 CPUs we run on. Training produces them where
//! values decay or are tiny for many steps: AdamW's moments of parameters whose gradient is
//! zero or nearly so, a confidently right row's slope times its hidden values. Once many
//! values sit there a step runs several times slower (a quanta step at width 300: 2.8× after
//! 3000 steps, BENCHMARKS.md, issue 19, fifth round). XLA's CPU backend runs with them
//! flushed for the same reason. A flushed value differs from the exact one by less than
//! 1.2·10⁻³⁸, far below the rounding of any parameter or loss the tool reports.

/// While alive, this thread's SSE/AVX arithmetic flushes subnormal results to zero and
/// reads subnormal inputs as zero (MXCSR bits FTZ and DAZ, x86-64); the previous mode is
/// restored on drop. A no-op on other architectures. The mode is per thread, so a kernel
/// that runs on worker threads takes a guard on each (at the start of each chunk), which
/// also keeps results the same for any thread count.
///
/// The compiler does not know the mode register, but it treats the two mode writes as
/// reading and writing memory: no load moves above the first or store below the second, so
/// arithmetic on the values a kernel loads, and stores, runs inside the guard. Only
/// arithmetic on values already in registers (a closing sum returned in a register) could
/// move out, and such values are far from subnormal.
#[derive(Debug)]
pub struct SubnormalsFlushed {
    #[cfg(target_arch = "x86_64")]
    saved: u32,
}

/// MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6).
#[cfg(target_arch = "x86_64")]
const FLUSH_TO_ZERO_AND_DENORMALS_ARE_ZERO: u32 = (1 << 15) | (1 << 6);

impl SubnormalsFlushed {
    /// Sets the mode for this thread until the guard drops.
    #[must_use = "the mode is restored when the guard drops"]
    pub fn new() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            let mut saved: u32 = 0;
            // SAFETY: stmxcsr stores the 4-byte MXCSR into a valid u32; ldmxcsr loads the
            // value read plus the two flush bits (no reserved bit set).
            #[allow(unsafe_code)]
            unsafe {
                std::arch::asm!("stmxcsr [{}]", in(reg) &mut saved, options(nostack));
                let flushed = saved | FLUSH_TO_ZERO_AND_DENORMALS_ARE_ZERO;
                std::arch::asm!("ldmxcsr [{}]", in(reg) &flushed, options(nostack));
            }
            Self { saved }
        }
        #[cfg(not(target_arch = "x86_64"))]
        Self {}
    }
}

impl Default for SubnormalsFlushed {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for SubnormalsFlushed {
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: restores the MXCSR value read in `new`.
        #[allow(unsafe_code)]
        unsafe {
            std::arch::asm!("ldmxcsr [{}]", in(reg) &self.saved, options(nostack));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SubnormalsFlushed;

    /// A product whose exact value is subnormal: kept without the guard, zero with it, kept
    /// again after it drops.
    #[test]
    fn subnormal_results_are_zero_only_inside_the_guard() {
        let tiny = std::hint::black_box(1e-30f32);
        let product = |a: f32, b: f32| std::hint::black_box(a) * std::hint::black_box(b);
        assert!(product(tiny, 1e-10).is_subnormal());
        {
            let _flushed = SubnormalsFlushed::new();
            let flushed = product(tiny, 1e-10);
            if cfg!(target_arch = "x86_64") {
                assert_eq!(flushed, 0.0);
            }
        }
        assert!(product(tiny, 1e-10).is_subnormal());
    }
}
