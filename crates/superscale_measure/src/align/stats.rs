//! A score with its reference levels (`docs/science/alignment.md` §3–4): the chance level, a seeded permutation null with a calibrated score,
//! and a seeded bootstrap interval over items.
//!
//! * Permutation null: B's rows are shuffled R times (the pairing is broken, each matrix's
//!   geometry kept); p = (1 + #{null ≥ score})/(1 + R) (one-sided, Phipson & Smyth 2010);
//!   z = (score − μ₀)/σ₀ with σ₀ the sample sd (ddof 1); calibrated = (score − μ₀)/(1 − μ₀),
//!   the share of the distance from the null mean to perfect alignment (1) that is covered.
//!   Gröger, Wen & Brbić (2026, arXiv 2602.14486) propose calibrating similarity scores
//!   against such a permutation null; this chance-corrected form is our choice of it.
//! * Bootstrap: items are resampled with replacement R times and the metric recomputed,
//!   neighbours included. A drawn item's copies would be each other's nearest neighbours
//!   (similarity 1 after normalisation), so copies of item i are excluded from i's
//!   neighbour lists, as i itself is. The preprocessing (clip threshold, normalisation) is
//!   that of the full sample. The interval is the percentile interval (linear
//!   interpolation between order statistics).
//!
//! Seeds: draw r of stream s uses `Xoshiro256++(splitmix(seed, s, r))`, so every draw is
//! fixed by the caller's seed alone and results do not depend on the number of threads.

use crate::align::error::{Error, Result};
use crate::align::features::{Features, Preprocess};
use crate::align::metric::{check_pair, evaluate, prepare, Metric, MetricParams};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Everything [`align`] is told.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlignOptions {
    /// the metrics' own parameters
    pub params: MetricParams,
    /// clipping and normalisation applied to both matrices first
    pub preprocess: Preprocess,
    /// shuffles of the pairing in the null (0: no null)
    pub permutations: usize,
    /// bootstrap resamples of the items (0: no interval)
    pub bootstrap: usize,
    /// coverage of the bootstrap interval
    pub confidence: f64,
    /// the seed of both the null and the bootstrap
    pub seed: u64,
}

impl Default for AlignOptions {
    fn default() -> Self {
        Self {
            params: MetricParams::default(),
            preprocess: Preprocess::default(),
            permutations: 100,
            bootstrap: 0,
            confidence: 0.95,
            seed: 0,
        }
    }
}

/// The permutation null of a score.
#[derive(Debug, Clone, PartialEq)]
pub struct NullStats {
    /// number of shuffles
    pub permutations: usize,
    /// mean of the null scores μ₀
    pub mean: f64,
    /// their sample standard deviation σ₀
    pub sd: f64,
    /// (score − μ₀)/σ₀
    pub z: f64,
    /// one-sided (1 + #{null ≥ score})/(1 + R)
    pub p_value: f64,
    /// (score − μ₀)/(1 − μ₀)
    pub calibrated: f64,
}

/// A bootstrap percentile interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    /// number of resamples that gave a finite score
    pub replicates: usize,
    /// its coverage
    pub confidence: f64,
    /// lower end
    pub low: f64,
    /// upper end
    pub high: f64,
    /// standard deviation of the resampled scores
    pub sd: f64,
}

/// A score with its chance level, null and interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    /// the metric
    pub metric: Metric,
    /// its value on the given pairing
    pub score: f64,
    /// number of items
    pub n: usize,
    /// neighbours per item, for the neighbour metrics
    pub k: Option<usize>,
    /// the exact chance level where one is known: k/(n−1) for mutual k-NN
    pub chance: Option<f64>,
    /// the permutation null, if asked for
    pub null: Option<NullStats>,
    /// the bootstrap interval, if asked for
    pub interval: Option<Interval>,
}

/// SplitMix64 of (seed, stream, index): independent, reproducible draw seeds.
pub fn draw_seed(seed: u64, stream: u64, index: u64) -> u64 {
    let mut z = seed
        ^ stream.wrapping_mul(0xd1b5_4a32_d192_ed03)
        ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
    }
    z
}

const PERMUTATION_STREAM: u64 = 1;
const BOOTSTRAP_STREAM: u64 = 2;

/// The R shuffles of 0..n the null uses for `seed`.
pub fn null_orders(n: usize, permutations: usize, seed: u64) -> Vec<Vec<u32>> {
    (0..permutations)
        .map(|r| {
            let mut rng =
                Xoshiro256PlusPlus::seed_from_u64(draw_seed(seed, PERMUTATION_STREAM, r as u64));
            let mut order: Vec<u32> = (0..n as u32).collect();
            order.shuffle(&mut rng);
            order
        })
        .collect()
}

/// The metric on each re-pairing (a_i, b_order[i]) of preprocessed features.
pub fn null_scores(
    a: &Features,
    b: &Features,
    metric: Metric,
    params: &MetricParams,
    orders: &[Vec<u32>],
) -> Result<Vec<f64>> {
    let n = a.rows();
    if let Some(bad) = orders.iter().find(|o| !is_permutation(o, n)) {
        return Err(Error::Invalid(format!(
            "a re-pairing of {} entries is not a permutation of 0..{n}",
            bad.len()
        )));
    }
    let prepared = prepare(a, b, metric, params, None)?;
    orders
        .par_iter()
        .map(|order| evaluate(&prepared, a, b, metric, params, Some(order), None))
        .collect()
}

fn is_permutation(order: &[u32], n: usize) -> bool {
    let mut seen = vec![false; n];
    order.len() == n
        && order
            .iter()
            .all(|&i| (i as usize) < n && !std::mem::replace(&mut seen[i as usize], true))
}

/// The metric on R bootstrap draws of the items of preprocessed features.
pub fn bootstrap_scores(
    a: &Features,
    b: &Features,
    metric: Metric,
    params: &MetricParams,
    replicates: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    let n = a.rows();
    (0..replicates)
        .into_par_iter()
        .map(|r| {
            let mut rng =
                Xoshiro256PlusPlus::seed_from_u64(draw_seed(seed, BOOTSTRAP_STREAM, r as u64));
            let draw: Vec<u32> = (0..n).map(|_| rng.random_range(0..n as u32)).collect();
            let (a_draw, b_draw) = (a.gather(&draw), b.gather(&draw));
            let prepared = prepare(&a_draw, &b_draw, metric, params, Some(&draw))?;
            evaluate(
                &prepared,
                &a_draw,
                &b_draw,
                metric,
                params,
                None,
                Some(&draw),
            )
        })
        .collect()
}

fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

/// Linear-interpolation quantile of sorted values (numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (position - below as f64) * (sorted[above] - sorted[below])
}

/// Summarises null scores against the observed score.
pub fn summarise_null(score: f64, null: &[f64]) -> NullStats {
    let (mean, sd) = mean_sd(null);
    let exceed = null.iter().filter(|&&v| v >= score).count();
    NullStats {
        permutations: null.len(),
        mean,
        sd,
        z: (score - mean) / sd,
        p_value: (1 + exceed) as f64 / (1 + null.len()) as f64,
        calibrated: (score - mean) / (1.0 - mean),
    }
}

/// Summarises bootstrap scores as a percentile interval (non-finite draws dropped).
pub fn summarise_bootstrap(scores: &[f64], confidence: f64) -> Option<Interval> {
    let mut finite: Vec<f64> = scores.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return None;
    }
    finite.sort_unstable_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    Some(Interval {
        replicates: finite.len(),
        confidence,
        low: quantile(&finite, tail),
        high: quantile(&finite, 1.0 - tail),
        sd: mean_sd(&finite).1,
    })
}

/// Preprocesses A and B, scores them, and adds the chance level, the permutation null and
/// the bootstrap interval that `options` asks for.
pub fn align(
    a: Features,
    b: Features,
    metric: Metric,
    options: &AlignOptions,
) -> Result<Alignment> {
    if !(options.confidence > 0.0 && options.confidence < 1.0) {
        return Err(Error::Invalid(format!(
            "confidence {} must be in (0, 1)",
            options.confidence
        )));
    }
    let params = &options.params;
    check_pair(&a, &b, metric, params)?;
    let a = a.preprocessed(&options.preprocess)?;
    let b = b.preprocessed(&options.preprocess)?;
    let n = a.rows();
    let prepared = prepare(&a, &b, metric, params, None)?;
    let score = evaluate(&prepared, &a, &b, metric, params, None, None)?;
    let null = if options.permutations > 0 {
        let orders = null_orders(n, options.permutations, options.seed);
        let scores: Vec<f64> = orders
            .par_iter()
            .map(|order| evaluate(&prepared, &a, &b, metric, params, Some(order), None))
            .collect::<Result<_>>()?;
        Some(summarise_null(score, &scores))
    } else {
        None
    };
    let interval = if options.bootstrap > 0 {
        let scores = bootstrap_scores(&a, &b, metric, params, options.bootstrap, options.seed)?;
        summarise_bootstrap(&scores, options.confidence)
    } else {
        None
    };
    Ok(Alignment {
        metric,
        score,
        n,
        k: metric.uses_neighbours().then_some(params.k),
        chance: (metric == Metric::MutualKnn).then(|| params.k as f64 / (n - 1) as f64),
        null,
        interval,
    })
}
