//! Pairs of trained networks within a cell, their scores, and the mean over pairs with a
//! confidence interval over *seeds* (the unit that was sampled), not over probe items.
//!
//! Pairs share networks (with S = 4 seeds the 6 within-modality pairs use each seed three
//! times), so they are not independent and a t-interval over pairs would be too narrow.
//! The interval is a percentile bootstrap over seeds: each resample draws S seeds with
//! replacement in every modality (counts c_u), and the resampled mean is the pair mean
//! weighted by c_a·c_b (c_a for comparisons with z or the reference). A seed drawn twice
//! is never paired with itself, because only pairs of distinct networks exist. Resamples
//! in which no pair has weight (all draws on one seed) are skipped and counted.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_align::draw_seed;
use superscale_fit::percentile;

/// What a pair compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Comparison {
    /// two seeds of modality 0
    Seeds,
    /// a seed of modality 0 with a seed of modality 1
    Modalities,
    /// a network with the latent z itself (the "platonic" reference)
    ToZ,
}

impl Comparison {
    /// Every comparison, in table order.
    pub const ALL: [Comparison; 3] = [Comparison::Seeds, Comparison::Modalities, Comparison::ToZ];

    /// Its name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Comparison::Seeds => "seeds",
            Comparison::Modalities => "modalities",
            Comparison::ToZ => "to_z",
        }
    }
}

/// A network of a cell: modality and seed number; `unit = modality·S + replicate`.
pub fn unit(modality: usize, replicate: usize, seeds: usize) -> usize {
    modality * seeds + replicate
}

/// The pairs of a cell with S seeds per modality: (comparison, unit a, unit b or None for z).
pub fn plan_pairs(seeds: usize) -> Vec<(Comparison, usize, Option<usize>)> {
    let mut pairs = Vec::new();
    for i in 0..seeds {
        for j in i + 1..seeds {
            pairs.push((
                Comparison::Seeds,
                unit(0, i, seeds),
                Some(unit(0, j, seeds)),
            ));
        }
    }
    for i in 0..seeds {
        for j in 0..seeds {
            pairs.push((
                Comparison::Modalities,
                unit(0, i, seeds),
                Some(unit(1, j, seeds)),
            ));
        }
    }
    for modality in 0..2 {
        for i in 0..seeds {
            pairs.push((Comparison::ToZ, unit(modality, i, seeds), None));
        }
    }
    pairs
}

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

/// Mean of `values` (one per pair, pairs given as unit ids) with a `level` percentile
/// interval from `resamples` seed-bootstrap draws; units are grouped S per modality.
pub fn seed_bootstrap_mean(
    pairs: &[(usize, Option<usize>)],
    values: &[f64],
    seeds: usize,
    modalities: usize,
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
    let mut counts = vec![0.0f64; seeds * modalities];
    let mut skipped = 0;
    for r in 0..resamples as u64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(draw_seed(seed, 31, r));
        counts.iter_mut().for_each(|c| *c = 0.0);
        for modality in 0..modalities {
            for _ in 0..seeds {
                counts[modality * seeds + rng.random_range(0..seeds)] += 1.0;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_seeds_give_six_within_sixteen_across_and_eight_to_z() {
        let pairs = plan_pairs(4);
        let count = |c| pairs.iter().filter(|p| p.0 == c).count();
        assert_eq!(count(Comparison::Seeds), 6);
        assert_eq!(count(Comparison::Modalities), 16);
        assert_eq!(count(Comparison::ToZ), 8);
        assert!(pairs.iter().all(|&(_, a, b)| b != Some(a)));
    }

    #[test]
    fn interval_brackets_the_mean_and_collapses_for_equal_values() {
        let pairs: Vec<(usize, Option<usize>)> = plan_pairs(4)
            .into_iter()
            .filter(|p| p.0 == Comparison::Seeds)
            .map(|p| (p.1, p.2))
            .collect();
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
}
