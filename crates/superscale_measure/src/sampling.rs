//! A seeded pair-sampling estimate of the squared-overlap statistics, for matrices too
//! large for the exact O(n²m) pass (`docs/science/superposition.md` §2.2, App. D.6; the LLM
//! script of §2.6 is exact but runs on a GPU).

use crate::error::{check_shape, Result};
use crate::overlap::OverlapStats;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The estimate of [`sampled_overlap`] with its 95 % confidence half-widths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampledOverlap {
    /// the estimates (`rows` is n, the number of rows sampled from)
    pub stats: OverlapStats,
    /// pairs drawn
    pub pairs: usize,
    /// the generator's seed
    pub seed: u64,
    /// 95 % half-width of `stats.mean`: 1.96·sd(cos²)/√pairs
    pub mean_ci: f64,
    /// 95 % half-width of `stats.mean_abs`: 1.96·sd(|cos|)/√pairs
    pub mean_abs_ci: f64,
}

/// Mean and variance of (Ŵ_i·Ŵ_j)² and mean |Ŵ_i·Ŵ_j| over `pairs` pairs i ≠ j drawn
/// uniformly with replacement by Xoshiro256++ seeded with `seed`. Unbiased for the all-pairs
/// means; the intervals are normal (central limit) intervals, fine for pairs ≫ 100. A zero
/// row counts as cosine 0, as in the exact path. `norms` are the row norms.
pub fn sampled_overlap(
    weights: &[f64],
    width: usize,
    norms: &[f64],
    pairs: usize,
    seed: u64,
) -> Result<SampledOverlap> {
    let n = check_shape(weights, width)?;
    let n = n.min(norms.len());
    let nan = OverlapStats {
        rows: n,
        mean: f64::NAN,
        variance: f64::NAN,
        mean_abs: f64::NAN,
    };
    if n < 2 || pairs == 0 {
        return Ok(SampledOverlap {
            stats: nan,
            pairs,
            seed,
            mean_ci: f64::NAN,
            mean_abs_ci: f64::NAN,
        });
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let (mut s1, mut s2, mut a1) = (0.0f64, 0.0f64, 0.0f64);
    for _ in 0..pairs {
        let i = rng.random_range(0..n);
        let mut j = rng.random_range(0..n - 1);
        if j >= i {
            j += 1;
        }
        let dot: f64 = weights[i * width..(i + 1) * width]
            .iter()
            .zip(&weights[j * width..(j + 1) * width])
            .map(|(a, b)| a * b)
            .sum();
        let denominator = norms[i] * norms[j];
        let cosine = if denominator > 0.0 {
            dot / denominator
        } else {
            0.0
        };
        let square = cosine * cosine;
        s1 += square;
        s2 += square * square;
        a1 += cosine.abs();
    }
    let k = pairs as f64;
    let mean = s1 / k;
    let variance = (s2 / k - mean * mean).max(0.0);
    let mean_abs = a1 / k;
    // Var|cos| = E[cos²] − E|cos|².
    let variance_abs = (mean - mean_abs * mean_abs).max(0.0);
    Ok(SampledOverlap {
        stats: OverlapStats {
            rows: n,
            mean,
            variance,
            mean_abs,
        },
        pairs,
        seed,
        mean_ci: 1.96 * (variance / k).sqrt(),
        mean_abs_ci: 1.96 * (variance_abs / k).sqrt(),
    })
}
