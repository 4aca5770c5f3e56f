//! The analysis of a finished Platonic study (Huh et al. 2024's hypotheses in the synthetic
//! world; `docs/alignment.md`, "Platonic studies"): every pair of a cell's networks scored
//! with its chance level and permutation null, the mean over pairs with a seed-bootstrap CI,
//! every modality-0 network's alignment to the reference network, and the
//! competence–alignment regressions.
//!
//! Parallelism is over (pair, metric) jobs and over networks with rayon; each job's seeds
//! derive from the study's seed and its position, and results are collected in job order,
//! so the tables are the same for any number of threads.

use super::error::{Error, Result};
use super::output::Readout;
use super::pairs::{plan_pairs, unit, Comparison};
use super::regression::{competence_regression, demean_by_group, Regression};
use super::spec::{AnalysisSettings, Cell, Hypothesis, PlatonicSpec, REFERENCE};
use super::world::MODALITIES;
use crate::seed_pairs::{seed_bootstrap_mean, PairMean, LEVEL};
use rayon::prelude::*;
use superscale_measure::align::{
    align, draw_seed, AlignOptions, Clip, Features, Metric, MetricParams, Preprocess,
};

/// One trained network of a cell.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// the cell's index
    pub cell: usize,
    /// 0 or 1
    pub modality: usize,
    /// seed number within the modality
    pub replicate: usize,
    /// its derived seed
    pub seed: u64,
    /// test MSE averaged over tasks
    pub test_loss: f64,
    /// mean of MSE_t / Var_t
    pub normalised_loss: f64,
    /// alignment to the reference network, one per metric of the analysis (in its order);
    /// empty for modality 1
    pub to_reference: Vec<f64>,
}

impl RunRecord {
    /// 1 − normalised test loss.
    pub fn competence(&self) -> f64 {
        1.0 - self.normalised_loss
    }
}

/// One pair's score with its reference levels.
#[derive(Debug, Clone, PartialEq)]
pub struct PairRecord {
    /// the cell's index
    pub cell: usize,
    /// what is compared
    pub comparison: Comparison,
    /// first network (unit = modality·S + replicate)
    pub a: usize,
    /// second network, None for z
    pub b: Option<usize>,
    /// the metric
    pub metric: Metric,
    /// its value
    pub score: f64,
    /// k/(n−1) for mutual k-NN
    pub chance: Option<f64>,
    /// permutation-null mean μ₀
    pub null_mean: f64,
    /// its sd σ₀
    pub null_sd: f64,
    /// (score − μ₀)/σ₀
    pub z: f64,
    /// one-sided permutation p
    pub p_value: f64,
    /// (score − μ₀)/(1 − μ₀)
    pub calibrated: f64,
}

/// The mean over a cell's pairs of one comparison and metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// the cell's index
    pub cell: usize,
    /// what is compared
    pub comparison: Comparison,
    /// the metric
    pub metric: Metric,
    /// raw scores
    pub score: PairMean,
    /// calibrated scores
    pub calibrated: PairMean,
    /// mean of the pairs' null means
    pub null_mean: f64,
    /// k/(n−1) for mutual k-NN
    pub chance: Option<f64>,
}

/// Everything a Platonic study's tables and report are drawn from.
#[derive(Debug, Clone)]
pub struct PlatonicAnalysis {
    /// what the study swept
    pub hypothesis: Hypothesis,
    /// how pairs were scored
    pub settings: AnalysisSettings,
    /// the metrics, parsed, in the settings' order
    pub metrics: Vec<Metric>,
    /// seeds per modality and cell
    pub seeds: usize,
    /// probe items
    pub probe: usize,
    /// the reference network's width
    pub reference_width: usize,
    /// the cells
    pub cells: Vec<Cell>,
    /// every network but the reference, in study order
    pub runs: Vec<RunRecord>,
    /// every (cell, pair, metric)
    pub pairs: Vec<PairRecord>,
    /// per (cell, comparison, metric)
    pub summaries: Vec<Summary>,
    /// the reference network's normalised test loss
    pub reference_normalised_loss: f64,
    /// competence–alignment regressions: pooled per metric, then within cells per metric
    pub regressions: Vec<Regression>,
}

/// The alignment options of every pair: no clipping, rows L2-normalised (cosine
/// neighbours), the analysis's k, and `permutations` shuffles from `seed`.
pub fn align_options(k: usize, permutations: usize, seed: u64) -> AlignOptions {
    AlignOptions {
        params: MetricParams {
            k,
            ..MetricParams::default()
        },
        preprocess: Preprocess {
            clip: Clip::None,
            normalize: true,
        },
        permutations,
        bootstrap: 0,
        seed,
        ..AlignOptions::default()
    }
}

/// A finished network as the analysis finds it: (cell label, modality, replicate), its
/// seed and readout.
pub type Network<'a> = (&'a str, usize, usize, u64, Readout);

/// Analyses the networks of a study of seed `seed` with `seeds` seeds per modality and cell;
/// `probe_z` holds the probe items' latents. Every network of the study must be there.
pub fn analyse(
    spec: &PlatonicSpec,
    seed: u64,
    seeds: usize,
    settings: &AnalysisSettings,
    probe_z: &[f64],
    networks: Vec<Network<'_>>,
) -> Result<PlatonicAnalysis> {
    let cells = spec.cells();
    let hypothesis = spec.study.hypothesis;
    let metrics = settings.metrics();
    let mut networks = networks;
    let mut take = |label: &str, modality: usize, replicate: usize| {
        let position = networks
            .iter()
            .position(|(l, m, r, _, _)| *l == label && *m == modality && *r == replicate)
            .ok_or_else(|| {
                Error::Runs(format!(
                    "network {label} modality {modality} seed {replicate} has not finished: \
                     the analysis needs every network of the study"
                ))
            })?;
        let (_, _, _, seed, readout) = networks.swap_remove(position);
        Ok::<_, Error>((seed, readout))
    };
    // Every (cell, modality, replicate) in study order, then the reference network.
    let mut jobs = Vec::new();
    let mut trained = Vec::new();
    for cell in &cells {
        let label = cell.label(hypothesis);
        for modality in 0..MODALITIES {
            for replicate in 0..seeds {
                let (run_seed, readout) = take(&label, modality, replicate)?;
                jobs.push((cell.index, modality, replicate, run_seed));
                trained.push(readout);
            }
        }
    }
    let (_, reference) = take(REFERENCE, 1, 0)?;
    let features = |values: &[f64], width: usize| Features::new("A", values.to_vec(), width);
    let network = |cell: usize, u: usize| &trained[cell * MODALITIES * seeds + u];

    // Every (cell, pair, metric), scored with its null.
    let planned = plan_pairs(seeds);
    let mut pair_jobs = Vec::new();
    for cell in &cells {
        for &(comparison, a, b) in &planned {
            for &metric in &metrics {
                pair_jobs.push((cell.index, comparison, a, b, metric));
            }
        }
    }
    let pairs: Vec<PairRecord> = pair_jobs
        .par_iter()
        .enumerate()
        .map(|(index, &(c, comparison, a, b, metric))| {
            let width = cells[c].width;
            let left = features(&network(c, a).representation, width)?;
            let right = match b {
                Some(b) => features(&network(c, b).representation, width)?,
                None => features(probe_z, spec.world.latent_dim)?,
            };
            let options = align_options(
                settings.k,
                settings.permutations,
                draw_seed(seed, 41, index as u64),
            );
            let result = align(left, right, metric, &options)?;
            let null = result.null.clone();
            Ok(PairRecord {
                cell: c,
                comparison,
                a,
                b,
                metric,
                score: result.score,
                chance: result.chance,
                null_mean: null.as_ref().map_or(f64::NAN, |n| n.mean),
                null_sd: null.as_ref().map_or(f64::NAN, |n| n.sd),
                z: null.as_ref().map_or(f64::NAN, |n| n.z),
                p_value: null.as_ref().map_or(f64::NAN, |n| n.p_value),
                calibrated: null.as_ref().map_or(f64::NAN, |n| n.calibrated),
            })
        })
        .collect::<Result<_>>()?;

    // Alignment of every modality-0 network to the reference (score only).
    let reference_width = spec.study.reference_width;
    let runs: Vec<RunRecord> = jobs
        .par_iter()
        .enumerate()
        .map(|(index, &(c, modality, replicate, run_seed))| {
            let net = &trained[index];
            let to_reference = if modality == 0 {
                metrics
                    .iter()
                    .map(|&metric| {
                        let left = features(&net.representation, cells[c].width)?;
                        let right = features(&reference.representation, reference_width)?;
                        Ok(align(left, right, metric, &align_options(settings.k, 0, 0))?.score)
                    })
                    .collect::<Result<Vec<f64>>>()?
            } else {
                Vec::new()
            };
            Ok(RunRecord {
                cell: c,
                modality,
                replicate,
                seed: run_seed,
                test_loss: net.test_loss,
                normalised_loss: net.normalised_loss,
                to_reference,
            })
        })
        .collect::<Result<_>>()?;

    let summaries = summarise(seed, seeds, settings.bootstrap, &cells, &pairs, &metrics);
    // Pooled over all modality-0 networks, then within cells (fixed effects).
    let mut regressions = Vec::new();
    for within in [false, true] {
        for (m, &metric) in metrics.iter().enumerate() {
            let chosen: Vec<&RunRecord> = runs.iter().filter(|r| r.modality == 0).collect();
            let mut x: Vec<f64> = chosen.iter().map(|r| r.competence()).collect();
            let mut y: Vec<f64> = chosen.iter().map(|r| r.to_reference[m]).collect();
            if within {
                let groups: Vec<usize> = chosen.iter().map(|r| r.cell).collect();
                x = demean_by_group(&x, &groups);
                y = demean_by_group(&y, &groups);
            }
            let regression_seed = draw_seed(seed, 43 + u64::from(within), m as u64);
            let mut fit =
                competence_regression(metric, &x, &y, settings.bootstrap, regression_seed)?;
            if within {
                fit.scope = "within_cell";
            }
            regressions.push(fit);
        }
    }
    debug_assert_eq!(unit(1, seeds - 1, seeds) + 1, MODALITIES * seeds);
    Ok(PlatonicAnalysis {
        hypothesis,
        settings: settings.clone(),
        metrics,
        seeds,
        probe: spec.study.probe,
        reference_width,
        cells,
        runs,
        pairs,
        summaries,
        reference_normalised_loss: reference.normalised_loss,
        regressions,
    })
}

fn summarise(
    seed: u64,
    seeds: usize,
    bootstrap: usize,
    cells: &[Cell],
    pairs: &[PairRecord],
    metrics: &[Metric],
) -> Vec<Summary> {
    let mut out = Vec::new();
    for cell in cells {
        for comparison in Comparison::ALL {
            for (m, &metric) in metrics.iter().enumerate() {
                let rows: Vec<&PairRecord> = pairs
                    .iter()
                    .filter(|p| {
                        p.cell == cell.index && p.comparison == comparison && p.metric == metric
                    })
                    .collect();
                if rows.is_empty() {
                    continue;
                }
                let units: Vec<(usize, Option<usize>)> = rows.iter().map(|p| (p.a, p.b)).collect();
                let summary_seed = draw_seed(seed, 42, (cell.index * 16 + m) as u64);
                let mean = |values: Vec<f64>| {
                    seed_bootstrap_mean(
                        &units,
                        &values,
                        seeds,
                        MODALITIES,
                        bootstrap,
                        LEVEL,
                        summary_seed,
                    )
                };
                let null_mean = rows.iter().map(|p| p.null_mean).sum::<f64>() / rows.len() as f64;
                out.push(Summary {
                    cell: cell.index,
                    comparison,
                    metric,
                    score: mean(rows.iter().map(|p| p.score).collect()),
                    calibrated: mean(rows.iter().map(|p| p.calibrated).collect()),
                    null_mean,
                    chance: rows[0].chance,
                });
            }
        }
    }
    out
}
