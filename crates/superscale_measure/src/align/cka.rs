//! Centered kernel alignment (Kornblith et al. 2019; metrics.py L95–125,
//! `docs/science/alignment.md` §1.5): CKA = HSIC(K, L) / √(HSIC(K, K)·HSIC(L, L)), with the biased
//! estimator tr(KHLH) or the unbiased HSIC_u of Song et al. (2012).
//!
//! Unlike the reference, no 1e-6 is added to the denominator: it made CKA depend on the
//! scale of the features (CKA(cA, B) ≠ CKA(A, B) for small c). A denominator that is not
//! positive (a constant matrix; or a negative unbiased estimate of a zero quantity) gives NaN.

use crate::align::error::{Error, Result};
use crate::align::features::Features;
use crate::align::hsic::{kernel_sums, Kernel, Pair, Route};

/// Which HSIC estimator CKA uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    /// tr(KHLH): biased upwards for wide, few-sample matrices (§5 A3: ≈ 0.99 on noise)
    Biased,
    /// HSIC_u: unbiased, ≈ 0 for independent matrices
    Unbiased,
}

/// hsic_kl / √(hsic_kk·hsic_ll), NaN when the denominator is not positive.
pub(crate) fn normalised(kl: f64, kk: f64, ll: f64) -> f64 {
    let product = kk * ll;
    if product > 0.0 {
        kl / product.sqrt()
    } else {
        f64::NAN
    }
}

pub(crate) fn cka_with_route(
    a: &Features,
    b: &Features,
    kernel: Kernel,
    estimator: Estimator,
    route: Route,
) -> Result<f64> {
    let n = a.rows();
    if estimator == Estimator::Unbiased && n < 4 {
        return Err(Error::Invalid(format!(
            "unbiased HSIC needs n ≥ 4 items, got {n}"
        )));
    }
    if let Kernel::Rbf { sigma } = kernel {
        if !(sigma > 0.0 && sigma.is_finite()) {
            return Err(Error::Invalid(format!(
                "RBF bandwidth sigma = {sigma} must be positive"
            )));
        }
    }
    let sums = kernel_sums(a, b, kernel, route)?;
    let hsic = |pair| match estimator {
        Estimator::Biased => sums.biased(pair),
        Estimator::Unbiased => sums.unbiased(pair),
    };
    Ok(normalised(hsic(Pair::KL), hsic(Pair::KK), hsic(Pair::LL)))
}

/// CKA of A and B with the given kernel and estimator.
pub fn cka(a: &Features, b: &Features, kernel: Kernel, estimator: Estimator) -> Result<f64> {
    cka_with_route(a, b, kernel, estimator, Route::Auto)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(n: usize, d: usize, seed: u64) -> Features {
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let data = (0..n * d)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect();
        Features::new("A", data, d).unwrap()
    }

    #[test]
    fn both_routes_of_linear_hsic_agree() {
        let (a, b) = (features(40, 7, 1), features(40, 5, 2));
        for estimator in [Estimator::Biased, Estimator::Unbiased] {
            let by_features = cka_with_route(&a, &b, Kernel::Linear, estimator, Route::Features);
            let by_kernel = cka_with_route(&a, &b, Kernel::Linear, estimator, Route::Kernel);
            let (x, y) = (by_features.unwrap(), by_kernel.unwrap());
            assert!((x - y).abs() < 1e-12, "{estimator:?}: {x} vs {y}");
        }
    }

    #[test]
    fn scale_does_not_change_cka() {
        let (a, b) = (features(30, 6, 3), features(30, 4, 4));
        let small = Features::new("A", a.data().iter().map(|v| v * 1e-4).collect(), 6).unwrap();
        for estimator in [Estimator::Biased, Estimator::Unbiased] {
            let x = cka(&a, &b, Kernel::Linear, estimator).unwrap();
            let y = cka(&small, &b, Kernel::Linear, estimator).unwrap();
            assert!((x - y).abs() < 1e-12);
        }
    }
}
