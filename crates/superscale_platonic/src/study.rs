//! Running a declared study (`docs/science/alignment.md` §4 items 1–4): every network of every cell
//! trained in parallel, every pair scored with its chance level and permutation null, the
//! mean over pairs with a seed-bootstrap CI, and the competence–alignment regression.
//!
//! Parallelism is over networks and then over (pair, metric) jobs with rayon; each job's
//! seeds derive from the spec and results are collected in job order, so the output is the
//! same for any number of threads.

use crate::error::Result;
use crate::pairs::{plan_pairs, seed_bootstrap_mean, unit, Comparison, PairMean};
use crate::regression::{competence_regression, demean_by_group, Regression};
use crate::spec::{Cell, Condition, StudySpec};
use crate::train::{train_network, Evaluation, TrainSettings, Trained};
use crate::world::{draw_latents, World, MODALITIES};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use superscale_align::{
    align, draw_seed, AlignOptions, Clip, Features, Metric, MetricParams, Preprocess,
};

/// Coverage of every interval.
pub const LEVEL: f64 = 0.95;

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
    /// alignment to the reference network, one per metric of the spec (in its order)
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

/// Everything a study produced.
#[derive(Debug, Clone)]
pub struct StudyResult {
    /// the spec it ran
    pub spec: StudySpec,
    /// its cells
    pub cells: Vec<Cell>,
    /// every network
    pub runs: Vec<RunRecord>,
    /// every (pair, metric)
    pub pairs: Vec<PairRecord>,
    /// per (cell, comparison, metric)
    pub summaries: Vec<Summary>,
    /// the reference network's normalised test loss
    pub reference_normalised_loss: f64,
    /// competence–alignment regressions: pooled per metric, then within cells per metric
    pub regressions: Vec<Regression>,
}

/// A progress message sink (the CLI prints them; tests ignore them).
pub type Progress<'a> = &'a (dyn Fn(String) + Sync);

struct Data {
    probe_z: Vec<f64>,
    probe_x: Vec<Vec<f32>>,
    test_z: Vec<f64>,
    test_x: Vec<Vec<f32>>,
}

fn data(spec: &StudySpec, world: &World) -> Data {
    let d_z = spec.world.latent_dim;
    let draw = |seed: u64, rows: usize| {
        draw_latents(d_z, rows, &mut Xoshiro256PlusPlus::seed_from_u64(seed))
    };
    let render = |z: &[f64], seed: u64, m: usize| {
        let mut out = Vec::new();
        world.render_into(m, z, &mut Xoshiro256PlusPlus::seed_from_u64(seed), &mut out);
        out
    };
    let probe_z = draw(spec.probe_seed(0), spec.study.probe);
    let test_z = draw(spec.test_seed(0), spec.study.test);
    Data {
        probe_x: (0..MODALITIES)
            .map(|m| render(&probe_z, spec.probe_seed(1 + m), m))
            .collect(),
        test_x: (0..MODALITIES)
            .map(|m| render(&test_z, spec.test_seed(1 + m), m))
            .collect(),
        probe_z,
        test_z,
    }
}

/// The alignment options of every pair: no clipping, rows L2-normalised (cosine
/// neighbours, as the pilot and alignment.md §2's normalisation), the spec's k and permutations.
pub fn align_options(spec: &StudySpec, permutations: usize, seed: u64) -> AlignOptions {
    AlignOptions {
        params: MetricParams {
            k: spec.study.k,
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

/// Runs the study.
pub fn run_study(spec: &StudySpec, progress: Progress<'_>) -> Result<StudyResult> {
    let cells = spec.cells();
    let seeds = spec.study.seeds;
    let metrics = spec.metrics();
    let world_of = |cell: &Cell| {
        World::new(
            &spec.world,
            cell.tasks,
            cell.condition == Condition::Control1d,
            spec.world_seed(),
        )
    };
    let worlds: Vec<World> = cells.iter().map(world_of).collect();
    let reference_world = World::new(
        &spec.world,
        spec.reference_tasks(),
        false,
        spec.world_seed(),
    );
    // Modality nets depend on the world seed only, so every world renders the same items.
    let data = data(spec, &reference_world);
    let targets: Vec<Vec<f32>> = worlds.iter().map(|w| w.targets_of(&data.test_z)).collect();
    let reference_targets = reference_world.targets_of(&data.test_z);

    // Jobs: every (cell, modality, replicate), then the reference network (last).
    let mut jobs: Vec<Option<(usize, usize, usize)>> = Vec::new();
    for cell in &cells {
        for modality in 0..MODALITIES {
            for replicate in 0..seeds {
                jobs.push(Some((cell.index, modality, replicate)));
            }
        }
    }
    jobs.push(None);
    let total = jobs.len();
    let trained: Vec<Trained> = jobs
        .par_iter()
        .map(|job| {
            let (world, modality, settings, seed, test_y) = match *job {
                Some((c, modality, replicate)) => {
                    let cell = &cells[c];
                    let settings = TrainSettings {
                        width: cell.width,
                        depth: spec.model.depth,
                        steps: spec.model.steps,
                        batch_size: spec.model.batch_size,
                        lr: spec.model.lr,
                        weight_decay: cell.weight_decay,
                    };
                    let seed = spec.run_seed(cell, modality, replicate);
                    (&worlds[c], modality, settings, seed, &targets[c])
                }
                None => {
                    let settings = TrainSettings {
                        width: spec.study.reference_width,
                        depth: spec.model.depth,
                        steps: spec.model.steps,
                        batch_size: spec.model.batch_size,
                        lr: spec.model.lr,
                        weight_decay: spec.model.weight_decay,
                    };
                    // Modality 1: the reference sees the world through the other rendering,
                    // as PRH compares language models with a vision model.
                    (
                        &reference_world,
                        1,
                        settings,
                        spec.reference_seed(),
                        &reference_targets,
                    )
                }
            };
            let evaluation = Evaluation {
                probe_x: &data.probe_x[modality],
                test_x: &data.test_x[modality],
                test_y,
            };
            let result = train_network(world, modality, &settings, seed, &evaluation)?;
            progress(format!(
                "trained {} (width {}, T {}, modality {modality}): normalised test loss {:.4}",
                job.map_or("reference".to_string(), |(c, _, r)| format!(
                    "{} seed {r}",
                    cells[c].label(spec.study.kind)
                )),
                settings.width,
                world.n_tasks(),
                result.normalised_loss,
            ));
            Ok(result)
        })
        .collect::<Result<_>>()?;
    progress(format!("trained {total} networks; scoring pairs"));
    let reference = &trained[total - 1];
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
                None => features(&data.probe_z, spec.world.latent_dim)?,
            };
            let options = align_options(
                spec,
                spec.study.permutations,
                draw_seed(spec.seed, 41, index as u64),
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
    let runs: Vec<RunRecord> = jobs[..total - 1]
        .par_iter()
        .enumerate()
        .map(|(index, job)| {
            let (c, modality, replicate) = job.unwrap_or_default();
            let net = &trained[index];
            let to_reference = if modality == 0 {
                metrics
                    .iter()
                    .map(|&metric| {
                        let left = features(&net.representation, cells[c].width)?;
                        let right =
                            features(&reference.representation, spec.study.reference_width)?;
                        Ok(align(left, right, metric, &align_options(spec, 0, 0))?.score)
                    })
                    .collect::<Result<Vec<f64>>>()?
            } else {
                Vec::new()
            };
            Ok(RunRecord {
                cell: c,
                modality,
                replicate,
                seed: spec.run_seed(&cells[c], modality, replicate),
                test_loss: net.test_loss,
                normalised_loss: net.normalised_loss,
                to_reference,
            })
        })
        .collect::<Result<_>>()?;

    let summaries = summarise(spec, &cells, &pairs, &metrics);
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
            let seed = draw_seed(spec.seed, 43 + u64::from(within), m as u64);
            let mut fit = competence_regression(metric, &x, &y, spec.study.bootstrap, seed)?;
            if within {
                fit.scope = "within_cell";
            }
            regressions.push(fit);
        }
    }
    debug_assert_eq!(unit(1, seeds - 1, seeds) + 1, MODALITIES * seeds);
    Ok(StudyResult {
        spec: spec.clone(),
        cells,
        runs,
        pairs,
        summaries,
        reference_normalised_loss: reference.normalised_loss,
        regressions,
    })
}

fn summarise(
    spec: &StudySpec,
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
                let seed = draw_seed(spec.seed, 42, (cell.index * 16 + m) as u64);
                let mean = |values: Vec<f64>| {
                    seed_bootstrap_mean(
                        &units,
                        &values,
                        spec.study.seeds,
                        MODALITIES,
                        spec.study.bootstrap,
                        LEVEL,
                        seed,
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
