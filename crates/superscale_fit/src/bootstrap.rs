//! Nonparametric bootstrap (Efron & Tibshirani 1993, ch. 6 standard errors and ch. 13
//! percentile intervals), as Besiroglu et al. 2024 use for the Chinchilla parameters (4000
//! resamples; SE = bootstrap standard deviation; CI = 2.5/97.5 percentiles).
//!
//! With group labels the *groups* are resampled (cluster bootstrap, Davison & Hinkley 1997,
//! §3.8): points from one training run (intermediate checkpoints) are correlated, and
//! resampling them one by one understates the spread (Besiroglu et al., notebook cell 61).
//!
//! Resample r draws from an RNG seeded by (seed, r) alone, and results are stored by r, so
//! the output is bit-identical whatever the number of rayon threads.

use crate::error::{Error, Result};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// How to bootstrap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootstrapOptions {
    /// number of resamples
    pub resamples: usize,
    /// base seed; resample r uses a generator derived from (seed, r)
    pub seed: u64,
    /// coverage of the percentile intervals, e.g. 0.95
    pub level: f64,
}

impl Default for BootstrapOptions {
    fn default() -> Self {
        Self {
            resamples: 4000,
            seed: 42,
            level: 0.95,
        }
    }
}

/// Bootstrap summary of one quantity.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantitySummary {
    /// the quantity's name
    pub name: String,
    /// the full-data estimate
    pub estimate: f64,
    /// standard deviation over the resamples (divisor B − 1)
    pub standard_error: f64,
    /// lower percentile bound, at (1 − level)/2
    pub lower: f64,
    /// upper percentile bound, at (1 + level)/2
    pub upper: f64,
}

/// The result of a bootstrap.
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrap {
    /// interval coverage used
    pub level: f64,
    /// one summary per quantity
    pub quantities: Vec<QuantitySummary>,
    /// the successful resamples' quantities, in resample order (one vector per resample)
    pub replicates: Vec<Vec<f64>>,
    /// resamples whose refit failed or gave non-finite quantities (left out of the summaries)
    pub failed: usize,
    /// resamples whose refit did not converge (kept, as Besiroglu et al. keep every BFGS run)
    pub not_converged: usize,
}

impl Bootstrap {
    /// The summary of the quantity called `name`.
    pub fn quantity(&self, name: &str) -> Option<&QuantitySummary> {
        self.quantities.iter().find(|q| q.name == name)
    }
}

/// One seeded generator per (seed, resample): SplitMix64's finaliser (Steele et al. 2014)
/// decorrelates neighbouring resample indices before `seed_from_u64` expands the state.
fn generator(seed: u64, resample: u64) -> Xoshiro256PlusPlus {
    let mut z = seed ^ resample.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    Xoshiro256PlusPlus::seed_from_u64(z ^ (z >> 31))
}

/// Point indices grouped by label, groups in order of first appearance.
fn clusters(labels: &[usize]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = Vec::new();
    let mut members: std::collections::HashMap<usize, Vec<usize>> = Default::default();
    for (index, &label) in labels.iter().enumerate() {
        members
            .entry(label)
            .or_insert_with(|| {
                order.push(label);
                Vec::new()
            })
            .push(index);
    }
    order
        .iter()
        .map(|label| members.remove(label).unwrap_or_default())
        .collect()
}

/// The point indices of resample `resample`: n points drawn with replacement, or, with group
/// labels, as many groups as there are drawn with replacement and all their points taken.
pub fn resample_indices(
    n_points: usize,
    groups: Option<&[usize]>,
    seed: u64,
    resample: u64,
) -> Vec<usize> {
    let mut rng = generator(seed, resample);
    match groups {
        None => (0..n_points)
            .map(|_| rng.random_range(0..n_points))
            .collect(),
        Some(labels) => {
            let clusters = clusters(labels);
            (0..clusters.len())
                .flat_map(|_| {
                    clusters[rng.random_range(0..clusters.len())]
                        .iter()
                        .copied()
                })
                .collect()
        }
    }
}

/// Percentile with linear interpolation between order statistics (numpy's default, Hyndman
/// & Fan 1996 type 7) of an ascending slice; `q` in percent.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let position = q / 100.0 * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let fraction = position - below as f64;
    if fraction == 0.0 || sorted[below] == sorted[above] {
        sorted[below]
    } else {
        sorted[below] + fraction * (sorted[above] - sorted[below])
    }
}

/// Refit on every resample and summarise. `refit` receives the resample's point indices and
/// returns the quantities (same order as `names`) and whether the refit converged.
pub fn run_bootstrap<F>(
    names: &[String],
    estimate: &[f64],
    n_points: usize,
    groups: Option<&[usize]>,
    options: &BootstrapOptions,
    refit: F,
) -> Result<Bootstrap>
where
    F: Fn(&[usize]) -> Result<(Vec<f64>, bool)> + Sync,
{
    run_bootstrap_observed(names, estimate, n_points, groups, options, refit, &|| {})
}

/// [`run_bootstrap`], calling `resampled` after each resample is refitted (from the thread
/// that refitted it; the results do not depend on it).
pub fn run_bootstrap_observed<F>(
    names: &[String],
    estimate: &[f64],
    n_points: usize,
    groups: Option<&[usize]>,
    options: &BootstrapOptions,
    refit: F,
    resampled: &(dyn Fn() + Sync),
) -> Result<Bootstrap>
where
    F: Fn(&[usize]) -> Result<(Vec<f64>, bool)> + Sync,
{
    if let Some(labels) = groups.filter(|labels| labels.len() != n_points) {
        return Err(Error::InvalidOption {
            name: "group labels",
            reason: format!("{} labels for {n_points} points", labels.len()),
        });
    }
    if options.resamples < 2 || !(options.level > 0.0 && options.level < 1.0) {
        return Err(Error::InvalidOption {
            name: "bootstrap options",
            reason: format!(
                "need at least 2 resamples and 0 < level < 1, got {} and {}",
                options.resamples, options.level
            ),
        });
    }
    let outcomes: Vec<Option<(Vec<f64>, bool)>> = (0..options.resamples as u64)
        .into_par_iter()
        .map(|r| {
            let indices = resample_indices(n_points, groups, options.seed, r);
            let outcome = refit(&indices)
                .ok()
                .filter(|(values, _)| values.iter().all(|v| v.is_finite()));
            resampled();
            outcome
        })
        .collect();
    let failed = outcomes.iter().filter(|o| o.is_none()).count();
    let not_converged = outcomes
        .iter()
        .flatten()
        .filter(|(_, converged)| !converged)
        .count();
    let replicates: Vec<Vec<f64>> = outcomes.into_iter().flatten().map(|(v, _)| v).collect();
    if replicates.len() < 2 {
        return Err(Error::InvalidOption {
            name: "bootstrap",
            reason: format!(
                "only {} of {} resamples could be refitted",
                replicates.len(),
                options.resamples
            ),
        });
    }
    let tail = 50.0 * (1.0 - options.level);
    let quantities = names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let mut values: Vec<f64> = replicates.iter().map(|r| r[k]).collect();
            let count = values.len() as f64;
            let mean = values.iter().sum::<f64>() / count;
            let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (count - 1.0);
            values.sort_by(f64::total_cmp);
            QuantitySummary {
                name: name.clone(),
                estimate: estimate[k],
                standard_error: variance.sqrt(),
                lower: percentile(&values, tail),
                upper: percentile(&values, 100.0 - tail),
            }
        })
        .collect();
    Ok(Bootstrap {
        level: options.level,
        quantities,
        replicates,
        failed,
        not_converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_matches_numpy_linear() {
        // np.percentile([1, 2, 4, 8], [0, 25, 50, 97.5, 100]) = [1, 1.75, 3, 7.7, 8]
        let v = [1.0, 2.0, 4.0, 8.0];
        let expected = [1.0, 1.75, 3.0, 7.7, 8.0];
        for (q, e) in [0.0, 25.0, 50.0, 97.5, 100.0].iter().zip(expected) {
            assert!((percentile(&v, *q) - e).abs() < 1e-12, "q = {q}");
        }
    }

    #[test]
    fn resamples_depend_only_on_seed_and_index() {
        let a = resample_indices(50, None, 7, 3);
        assert_eq!(a, resample_indices(50, None, 7, 3));
        assert_ne!(a, resample_indices(50, None, 7, 4));
        assert_ne!(a, resample_indices(50, None, 8, 3));
        assert!(a.iter().all(|&i| i < 50));
    }

    #[test]
    fn grouped_resamples_keep_groups_whole() {
        let labels = [0, 0, 0, 5, 5, 9];
        for r in 0..20 {
            let indices = resample_indices(6, Some(&labels), 1, r);
            for group in [&[0usize, 1, 2][..], &[3, 4], &[5]] {
                let count = |i: usize| indices.iter().filter(|&&j| j == i).count();
                assert!(group.iter().all(|&i| count(i) == count(group[0])));
            }
        }
    }

    #[test]
    fn mean_of_normal_sample_has_textbook_standard_error() {
        // SE of a mean ≈ s/√n; the bootstrap should agree within a few percent.
        let data: Vec<f64> = (0..400)
            .map(|i| ((i * 37 % 101) as f64 - 50.0) / 29.0)
            .collect();
        let mean = |idx: &[usize]| idx.iter().map(|&i| data[i]).sum::<f64>() / idx.len() as f64;
        let all: Vec<usize> = (0..data.len()).collect();
        let options = BootstrapOptions {
            resamples: 2000,
            seed: 3,
            level: 0.95,
        };
        let names = vec!["mean".to_string()];
        let result = run_bootstrap(&names, &[mean(&all)], data.len(), None, &options, |idx| {
            Ok((vec![mean(idx)], true))
        })
        .unwrap();
        let m = mean(&all);
        let s = (data.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 399.0).sqrt();
        let textbook = s / 20.0;
        let se = result.quantities[0].standard_error;
        assert!(
            (se / textbook - 1.0).abs() < 0.06,
            "bootstrap {se} vs textbook {textbook}"
        );
    }

    #[test]
    fn results_are_identical_for_any_thread_count() {
        let data: Vec<f64> = (0..60).map(|i| (i as f64).sin()).collect();
        let run = || {
            let options = BootstrapOptions {
                resamples: 300,
                seed: 11,
                level: 0.9,
            };
            run_bootstrap(&["m".to_string()], &[0.0], 60, None, &options, |idx| {
                Ok((vec![idx.iter().map(|&i| data[i]).sum::<f64>()], true))
            })
            .unwrap()
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(run);
        let three = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap()
            .install(run);
        assert_eq!(one, three);
    }
}
