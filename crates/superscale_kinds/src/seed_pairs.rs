//! Means over pairs of seeds with a confidence interval over *seeds* (the unit that was
//! sampled), not over pairs: shared by the Platonic studies (pairs of networks) and the
//! toy models' feature universality (pairs of replicates).
//!
//! Pairs share seeds (with S = 4 seeds the 6 within-modality pairs use each seed three
//! times), so they are not independent and a t-interval over pairs would be too narrow.
//! The interval is a percentile bootstrap over seeds: each resample draws S seeds with
//! replacement in every group (counts c_u), and the resampled mean is the pair mean
//! weighted by c_a·c_b (c_a for comparisons with a fixed reference such as z). A seed drawn
//! twice is never paired with itself, because only pairs of distinct seeds exist.
//! Resamples in which no pair has weight (all draws on one seed) are skipped and counted.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_fit::percentile;
use superscale_measure::align::draw_seed;

/// Coverage of every interval over seeds.
pub const LEVEL: f64 = 0.95;

/// A mean over pairs with its seed-bootstrap percentile interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairMean {
    /// number of pairs
    pub pairs: usize,
    /// mean over pairs
    pub mean: f64,
    /// standard deviation over pairs (ddof 1; NaN for one pair)
    pub sd: f64,
    /// lower end of the interval (NaN without resamples)
    pub low: f64,
    /// upper end
    pub high: f64,
    /// resamples that had no pair (skipped)
    pub skipped: usize,
}

/// Mean of `values` (one per pair, pairs given as unit ids, `None` for a fixed reference)
/// with a `level` percentile interval from `resamples` seed-bootstrap draws; units are
/// grouped `seeds` per group (`groups` groups, e.g. modalities).
pub fn seed_bootstrap_mean(
    pairs: &[(usize, Option<usize>)],
    values: &[f64],
    seeds: usize,
    groups: usize,
    resamples: usize,
    level: f64,
    seed: u64,
) -> PairMean {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    let mut draws = Vec::with_capacity(resamples);
    let mut counts = vec![0.0f64; seeds * groups];
    let mut skipped = 0;
    for r in 0..resamples as u64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(draw_seed(seed, 31, r));
        counts.iter_mut().for_each(|c| *c = 0.0);
        for group in 0..groups {
            for _ in 0..seeds {
                counts[group * seeds + rng.random_range(0..seeds)] += 1.0;
            }
        }
        let (mut total, mut weight) = (0.0, 0.0);
        for (&(a, b), value) in pairs.iter().zip(values) {
            let w = counts[a] * b.map_or(1.0, |b| counts[b]);
            total += w * value;
            weight += w;
        }
        if weight > 0.0 {
            draws.push(total / weight);
        } else {
            skipped += 1;
        }
    }
    draws.sort_by(f64::total_cmp);
    let tail = 50.0 * (1.0 - level);
    let (low, high) = if draws.len() >= 2 {
        (percentile(&draws, tail), percentile(&draws, 100.0 - tail))
    } else {
        (f64::NAN, f64::NAN)
    };
    PairMean {
        pairs: n,
        mean,
        sd,
        low,
        high,
        skipped,
    }
}

/// A value of a pair table: six decimals, empty when undefined.
pub fn fixed(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.6}")
    } else {
        String::new()
    }
}

/// `mean [low, high]` with three decimals, as the summary tables print a mean over pairs.
pub fn interval_text(mean: &PairMean) -> String {
    format!("{:.3} [{:.3}, {:.3}]", mean.mean, mean.low, mean.high)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The six pairs of four seeds of one group.
    fn six_pairs() -> Vec<(usize, Option<usize>)> {
        let mut pairs = Vec::new();
        for i in 0..4 {
            for j in i + 1..4 {
                pairs.push((i, Some(j)));
            }
        }
        pairs
    }

    #[test]
    fn interval_brackets_the_mean_and_collapses_for_equal_values() {
        let pairs = six_pairs();
        let equal = seed_bootstrap_mean(&pairs, &[0.3; 6], 4, 2, 200, 0.95, 1);
        assert!((equal.low - 0.3).abs() < 1e-12 && (equal.high - 0.3).abs() < 1e-12);
        // A seed that is bad in every pair it is part of: the interval is wide.
        let values: Vec<f64> = pairs
            .iter()
            .map(|&(a, b)| if a == 0 || b == Some(0) { 0.1 } else { 0.5 })
            .collect();
        let summary = seed_bootstrap_mean(&pairs, &values, 4, 2, 2000, 0.95, 1);
        assert!((summary.mean - 0.3).abs() < 1e-12);
        assert!(summary.low < summary.mean && summary.mean < summary.high);
        assert!(summary.low <= 0.1 + 1e-12 && summary.high >= 0.5 - 1e-12);
        // P(all four draws on one seed) = 4/4⁴ = 1/64: about 31 of 2000 are skipped.
        assert!(
            summary.skipped > 10 && summary.skipped < 60,
            "{}",
            summary.skipped
        );
        // Deterministic in the seed.
        assert_eq!(
            summary,
            seed_bootstrap_mean(&pairs, &values, 4, 2, 2000, 0.95, 1)
        );
    }

    #[test]
    fn table_text() {
        assert_eq!(fixed(0.25), "0.250000");
        assert_eq!(fixed(f64::NAN), "");
        let mean = PairMean {
            pairs: 2,
            mean: 0.5,
            sd: 0.1,
            low: 0.4,
            high: 0.61234,
            skipped: 0,
        };
        assert_eq!(interval_text(&mean), "0.500 [0.400, 0.612]");
    }
}
