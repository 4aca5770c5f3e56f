//! Feature universality of the toy model of superposition across seeds (Huh et al. 2024's
//! convergence question asked of toy models; `docs/alignment.md`, "Rotation-invariant universality"):
//! an analysis of a toy-model study whose `[analysis]` table asks for it
//! (`universality = { shuffles = 50 }`, e.g. `experiments/align_tms_universality.toml`).
//! Every pair of replicates of each sweep point is compared with rotation-invariant tools
//! (`procrustes.rs`), each against a shuffled-feature null (B's rows permuted, i.e. feature
//! identities broken, then aligned and scored the same way), with the mean over pairs and a
//! seed-bootstrap CI.
//!
//! Scores of a pair (A, B), rows = features:
//! * `procrustes_cosine`: mean over features of cos(a_i, (B R)_i) after Procrustes;
//! * `matched_fraction`: the fraction of features with that cosine > `threshold` (0.9);
//! * `raw_cosine`: the same mean cosine without the rotation (the hidden basis is a gauge,
//!   so this is expected near 0: the reason for Procrustes);
//! * `gram_cosine`, `gram_offdiag_cosine`: the Frobenius cosine of W Wᵀ, with and without
//!   the squared norms on its diagonal;
//! * `mmcs`: mean max |cos| of A's feature rows against the aligned B's (the dictionary
//!   comparison of `superscale_measure::align::mmcs`, atoms free to match any feature).

mod figure;
mod procrustes;
mod tables;

pub use figure::{section, universality_svg};
pub use procrustes::{
    gram_cosine, orthogonal_procrustes, procrustes, rotate, row_cosines, Procrustes,
};
pub use tables::{pairs_csv, summary_markdown};

use crate::seed_pairs::{seed_bootstrap_mean, PairMean, LEVEL};
use crate::toy::execute::RunResult;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use superscale_measure::align::{draw_seed, mmcs, summarise_null, Features};
use superscale_spec::{violation, Violation};

/// Why universality could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An alignment metric refused its inputs.
    #[error("alignment: {0}")]
    Align(#[from] superscale_measure::align::Error),
    /// A numerical step could not be completed (an SVD that did not converge, …).
    #[error("{0}")]
    Numeric(String),
    /// A run's W is not available.
    #[error("feature universality needs every run's W: {0}")]
    Weights(String),
}

/// Result alias of the universality analysis.
pub type Result<T> = std::result::Result<T, Error>;

/// The scores, in column order.
pub const METRICS: [&str; 6] = [
    "procrustes_cosine",
    "matched_fraction",
    "raw_cosine",
    "gram_cosine",
    "gram_offdiag_cosine",
    "mmcs",
];

/// How pairs are scored: `[analysis] universality = { shuffles = 50 }`, every field
/// optional.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UniversalityOptions {
    /// shuffles of the feature order in each pair's null
    pub shuffles: usize,
    /// seed-bootstrap resamples for the CI over pairs
    pub resamples: usize,
    /// a feature is matched when its aligned cosine exceeds this
    pub threshold: f64,
    /// seed of the shuffles and resamples
    pub seed: u64,
}

impl Default for UniversalityOptions {
    fn default() -> Self {
        Self {
            shuffles: 50,
            resamples: 1000,
            threshold: 0.9,
            seed: 0,
        }
    }
}

impl UniversalityOptions {
    /// The first impossible value, given the study's replicates (fields are dotted paths
    /// from the top of the file).
    pub fn validate(&self, replicates: u32) -> std::result::Result<(), Violation> {
        if replicates < 2 {
            return Err(violation(
                "replicates",
                format!("{replicates}: comparing seeds needs at least 2 replicates"),
            ));
        }
        if self.shuffles < 2 {
            return Err(violation(
                "analysis.universality.shuffles",
                format!("{}: a null needs at least 2", self.shuffles),
            ));
        }
        if self.resamples == 1 {
            return Err(violation(
                "analysis.universality.resamples",
                "1 resample gives no interval (0 or ≥ 2)",
            ));
        }
        if !(-1.0..=1.0).contains(&self.threshold) {
            return Err(violation(
                "analysis.universality.threshold",
                format!("{}: a cosine threshold is in [−1, 1]", self.threshold),
            ));
        }
        Ok(())
    }
}

/// One pair of replicates of one sweep point.
#[derive(Debug, Clone, PartialEq)]
pub struct UniversalityPair {
    /// the sweep point's index (order of first appearance in the experiment)
    pub cell: usize,
    /// replicate numbers
    pub replicates: (u32, u32),
    /// one value per [`METRICS`]
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
pub struct UniversalityCell {
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

/// What the universality analysis found.
#[derive(Debug, Clone)]
pub struct Universality {
    /// every pair
    pub pairs: Vec<UniversalityPair>,
    /// every sweep point
    pub cells: Vec<UniversalityCell>,
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
    options: &UniversalityOptions,
    stream: u64,
) -> Result<UniversalityPair> {
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
    Ok(UniversalityPair {
        cell: 0,
        replicates: (0, 0),
        scores: observed,
        null_mean,
        null_sd,
        z,
        calibrated,
    })
}

/// Compares every pair of replicates of each sweep point of a finished toy-model study
/// (`results` in the study's order, each with its W; `replicates` per sweep point).
pub fn analyse(
    results: &[RunResult],
    replicates: u32,
    options: &UniversalityOptions,
) -> Result<Universality> {
    if let Some(missing) = results
        .iter()
        .find(|r| r.bias.is_empty() || r.weights.len() % r.bias.len() != 0)
    {
        return Err(Error::Weights(format!(
            "run {} replicate {} has none",
            missing.point.run_id, missing.point.replicate
        )));
    }
    // Sweep points in order of first appearance; replicates within each.
    let mut ids: Vec<&str> = Vec::new();
    for result in results {
        if !ids.contains(&result.point.run_id.as_str()) {
            ids.push(&result.point.run_id);
        }
    }
    let members_of = |id: &str| -> Vec<usize> {
        (0..results.len())
            .filter(|&i| results[i].point.run_id == id)
            .collect()
    };
    let mut jobs = Vec::new();
    for (cell, id) in ids.iter().enumerate() {
        let members = members_of(id);
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                jobs.push((cell, i, j));
            }
        }
    }
    let weights = |i: usize| -> Vec<f64> {
        let m = results[i].weights.len() / results[i].bias.len().max(1);
        results[i].weights[..results[i].bias.len() * m]
            .iter()
            .map(|&v| f64::from(v))
            .collect()
    };
    let pairs: Vec<UniversalityPair> = jobs
        .par_iter()
        .enumerate()
        .map(|(index, &(cell, i, j))| {
            let n = results[i].bias.len();
            let m = results[i].weights.len() / n;
            let mut pair = score_pair(&weights(i), &weights(j), m, options, 100 + index as u64)?;
            pair.cell = cell;
            pair.replicates = (results[i].point.replicate, results[j].point.replicate);
            Ok(pair)
        })
        .collect::<Result<_>>()?;
    let replicates = replicates as usize;
    let cells = ids
        .iter()
        .enumerate()
        .map(|(cell, id)| {
            let members = members_of(id);
            let first = &results[members[0]];
            let n = first.bias.len();
            let m = first.weights.len() / n;
            let stored = members
                .iter()
                .map(|&i| {
                    results[i]
                        .weights
                        .chunks_exact(m)
                        .take(n)
                        .filter(|row| row.iter().map(|v| v * v).sum::<f32>().sqrt() > 0.5)
                        .count() as f64
                        / n as f64
                })
                .sum::<f64>()
                / members.len() as f64;
            let rows: Vec<&UniversalityPair> = pairs.iter().filter(|p| p.cell == cell).collect();
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
                    LEVEL,
                    draw_seed(options.seed, 51, (cell * 16 + k) as u64),
                )
            };
            UniversalityCell {
                cell,
                axes: first.point.axes.clone(),
                n_hidden: m,
                loss: members
                    .iter()
                    .map(|&i| results[i].loss_heldout)
                    .sum::<f64>()
                    / members.len() as f64,
                stored_fraction: stored,
                score: (0..METRICS.len()).map(|k| summarise(k, false)).collect(),
                calibrated: (0..METRICS.len()).map(|k| summarise(k, true)).collect(),
                null_mean: (0..METRICS.len())
                    .map(|k| rows.iter().map(|p| p.null_mean[k]).sum::<f64>() / rows.len() as f64)
                    .collect(),
            }
        })
        .collect();
    Ok(Universality { pairs, cells })
}
