//! Feature universality of the toy model of superposition across seeds
//! (`docs/science/alignment.md` §4 item 2; `docs/science/model_shape.md` §2 item 4, §3 E2): the
//! replicates of every sweep point of a `superscale run` experiment (e.g.
//! `experiments/align_tms_universality.toml`) are trained here, and every pair of replicates is
//! compared with rotation-invariant tools (`procrustes.rs`), each against a shuffled-feature null
//! (B's rows permuted, i.e. feature identities broken, then aligned and scored the same way), with
//! the mean over pairs and a seed-bootstrap CI.
//!
//! Scores of a pair (A, B), rows = features:
//! * `procrustes_cosine`: mean over features of cos(a_i, (B R)_i) after Procrustes;
//! * `matched_fraction`: the fraction of features with that cosine > `threshold` (0.9);
//! * `raw_cosine`: the same mean cosine without the rotation (the hidden basis is a gauge,
//!   so this is expected near 0: the reason for Procrustes);
//! * `gram_cosine`, `gram_offdiag_cosine`: the Frobenius cosine of W Wᵀ, with and without
//!   the squared norms on its diagonal;
//! * `mmcs`: mean max |cos| of A's feature rows against the aligned B's (the dictionary
//!   comparison of `superscale_align::mmcs`, atoms free to match any feature).

use crate::error::Result;
use crate::pairs::{seed_bootstrap_mean, PairMean};
use crate::procrustes::{gram_cosine, procrustes, row_cosines};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use superscale_align::{draw_seed, mmcs, summarise_null, Features};
use superscale_kernels::Simd;
use superscale_kinds::execute;
use superscale_spec::Experiment;

/// The scores, in column order.
pub const TMS_METRICS: [&str; 6] = [
    "procrustes_cosine",
    "matched_fraction",
    "raw_cosine",
    "gram_cosine",
    "gram_offdiag_cosine",
    "mmcs",
];

/// How pairs are scored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TmsOptions {
    /// shuffles of the feature order in each pair's null
    pub shuffles: usize,
    /// seed-bootstrap resamples for the CI over pairs
    pub resamples: usize,
    /// a feature is matched when its aligned cosine exceeds this
    pub threshold: f64,
    /// seed of the shuffles and resamples
    pub seed: u64,
}

impl Default for TmsOptions {
    fn default() -> Self {
        Self {
            shuffles: 50,
            resamples: 1000,
            threshold: 0.9,
            seed: 0,
        }
    }
}

/// One pair of replicates of one sweep point.
#[derive(Debug, Clone, PartialEq)]
pub struct TmsPair {
    /// the sweep point's index (order of first appearance in the experiment)
    pub cell: usize,
    /// replicate numbers
    pub replicates: (u32, u32),
    /// one value per [`TMS_METRICS`]
    pub scores: Vec<f64>,
    /// the shuffled-feature null's mean per metric
    pub null_mean: Vec<f64>,
    /// its sd
    pub null_sd: Vec<f64>,
    /// (score − μ₀)/σ₀
    pub z: Vec<f64>,
    /// (score − μ₀)/(1 − μ₀)
    pub calibrated: Vec<f64>,
}

/// The mean over a sweep point's pairs, per metric.
#[derive(Debug, Clone, PartialEq)]
pub struct TmsCellSummary {
    /// the sweep point's index
    pub cell: usize,
    /// its sweep axes (dotted path, value)
    pub axes: Vec<(String, String)>,
    /// width m
    pub n_hidden: usize,
    /// mean held-out loss of its replicates
    pub loss: f64,
    /// mean over replicates of the fraction of rows with ‖W_i‖ > 0.5
    pub stored_fraction: f64,
    /// per metric: raw scores
    pub score: Vec<PairMean>,
    /// per metric: calibrated scores
    pub calibrated: Vec<PairMean>,
    /// per metric: mean null mean
    pub null_mean: Vec<f64>,
}

/// Everything the universality study produced.
#[derive(Debug, Clone)]
pub struct TmsResult {
    /// every pair
    pub pairs: Vec<TmsPair>,
    /// every sweep point
    pub cells: Vec<TmsCellSummary>,
}

fn scores(a: &[f64], b: &[f64], m: usize, threshold: f64) -> Result<Vec<f64>> {
    let aligned = procrustes(a, b, m)?;
    let n = aligned.cosines.len() as f64;
    let mean_cosine = aligned.cosines.iter().sum::<f64>() / n;
    let matched = aligned.cosines.iter().filter(|&&c| c > threshold).count() as f64 / n;
    let raw = row_cosines(a, b, m).iter().sum::<f64>() / n;
    let dictionary_a = Features::new("A", a.to_vec(), m)?;
    let dictionary_b = Features::new("B", aligned.aligned, m)?;
    Ok(vec![
        mean_cosine,
        matched,
        raw,
        gram_cosine(a, b, m, false),
        gram_cosine(a, b, m, true),
        mmcs(&dictionary_a, &dictionary_b)?,
    ])
}

/// Scores one pair against its shuffled-feature null.
pub fn score_pair(
    a: &[f64],
    b: &[f64],
    m: usize,
    options: &TmsOptions,
    stream: u64,
) -> Result<TmsPair> {
    let observed = scores(a, b, m, options.threshold)?;
    let n = a.len() / m;
    let nulls: Vec<Vec<f64>> = (0..options.shuffles as u64)
        .into_par_iter()
        .map(|s| {
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(draw_seed(
                options.seed,
                stream,
                s,
            )));
            let shuffled: Vec<f64> = order
                .iter()
                .flat_map(|&i| b[i * m..(i + 1) * m].iter().copied())
                .collect();
            scores(a, &shuffled, m, options.threshold)
        })
        .collect::<Result<_>>()?;
    let (mut null_mean, mut null_sd, mut z, mut calibrated) = (vec![], vec![], vec![], vec![]);
    for (k, &score) in observed.iter().enumerate() {
        let column: Vec<f64> = nulls.iter().map(|v| v[k]).collect();
        if column.len() >= 2 {
            let stats = summarise_null(score, &column);
            null_mean.push(stats.mean);
            null_sd.push(stats.sd);
            z.push(stats.z);
            calibrated.push(stats.calibrated);
        } else {
            null_mean.push(f64::NAN);
            null_sd.push(f64::NAN);
            z.push(f64::NAN);
            calibrated.push(f64::NAN);
        }
    }
    Ok(TmsPair {
        cell: 0,
        replicates: (0, 0),
        scores: observed,
        null_mean,
        null_sd,
        z,
        calibrated,
    })
}

/// Trains every run of `experiment` (in parallel; each run's seed is the experiment's) and
/// compares every pair of replicates of each sweep point. `progress` receives one line
/// per finished run.
pub fn tms_universality(
    experiment: &Experiment,
    options: &TmsOptions,
    progress: crate::study::Progress<'_>,
) -> Result<TmsResult> {
    let simd = Simd::detect();
    let runs: Vec<_> = experiment
        .points
        .par_iter()
        .map(|point| {
            let result = execute(point, simd, &mut |_| {})?;
            progress(format!(
                "trained {} r{} ({:?}): held-out loss {:.4}",
                point.run_id, point.replicate, point.axes, result.loss_heldout
            ));
            Ok(result)
        })
        .collect::<Result<_>>()?;
    // Sweep points in order of first appearance; replicates within each.
    let mut ids: Vec<&str> = Vec::new();
    for point in &experiment.points {
        if !ids.contains(&point.run_id.as_str()) {
            ids.push(&point.run_id);
        }
    }
    let mut jobs = Vec::new();
    for (cell, id) in ids.iter().enumerate() {
        let members: Vec<usize> = (0..runs.len())
            .filter(|&i| experiment.points[i].run_id == *id)
            .collect();
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                jobs.push((cell, i, j));
            }
        }
    }
    let weights = |i: usize| -> Vec<f64> {
        let m = runs[i].weights.len() / runs[i].bias.len().max(1);
        runs[i].weights[..runs[i].bias.len() * m]
            .iter()
            .map(|&v| f64::from(v))
            .collect()
    };
    let pairs: Vec<TmsPair> = jobs
        .par_iter()
        .enumerate()
        .map(|(index, &(cell, i, j))| {
            let n = runs[i].bias.len();
            let m = runs[i].weights.len() / n;
            let mut pair = score_pair(&weights(i), &weights(j), m, options, 100 + index as u64)?;
            pair.cell = cell;
            pair.replicates = (
                experiment.points[i].replicate,
                experiment.points[j].replicate,
            );
            Ok(pair)
        })
        .collect::<Result<_>>()?;
    let replicates = experiment.replicates as usize;
    let cells = ids
        .iter()
        .enumerate()
        .map(|(cell, id)| {
            let members: Vec<usize> = (0..runs.len())
                .filter(|&i| experiment.points[i].run_id == *id)
                .collect();
            let first = &runs[members[0]];
            let n = first.bias.len();
            let m = first.weights.len() / n;
            let stored = members
                .iter()
                .map(|&i| {
                    runs[i]
                        .weights
                        .chunks_exact(m)
                        .take(n)
                        .filter(|row| row.iter().map(|v| v * v).sum::<f32>().sqrt() > 0.5)
                        .count() as f64
                        / n as f64
                })
                .sum::<f64>()
                / members.len() as f64;
            let rows: Vec<&TmsPair> = pairs.iter().filter(|p| p.cell == cell).collect();
            let units: Vec<(usize, Option<usize>)> = rows
                .iter()
                .map(|p| (p.replicates.0 as usize, Some(p.replicates.1 as usize)))
                .collect();
            let summarise = |k: usize, calibrated: bool| {
                let values: Vec<f64> = rows
                    .iter()
                    .map(|p| {
                        if calibrated {
                            p.calibrated[k]
                        } else {
                            p.scores[k]
                        }
                    })
                    .collect();
                seed_bootstrap_mean(
                    &units,
                    &values,
                    replicates,
                    1,
                    options.resamples,
                    crate::study::LEVEL,
                    draw_seed(options.seed, 51, (cell * 16 + k) as u64),
                )
            };
            TmsCellSummary {
                cell,
                axes: experiment.points[members[0]].axes.clone(),
                n_hidden: m,
                loss: members.iter().map(|&i| runs[i].loss_heldout).sum::<f64>()
                    / members.len() as f64,
                stored_fraction: stored,
                score: (0..TMS_METRICS.len())
                    .map(|k| summarise(k, false))
                    .collect(),
                calibrated: (0..TMS_METRICS.len()).map(|k| summarise(k, true)).collect(),
                null_mean: (0..TMS_METRICS.len())
                    .map(|k| rows.iter().map(|p| p.null_mean[k]).sum::<f64>() / rows.len() as f64)
                    .collect(),
            }
        })
        .collect();
    Ok(TmsResult { pairs, cells })
}
