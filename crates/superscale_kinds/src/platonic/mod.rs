//! The Platonic Representation Hypothesis in a synthetic world (Huh et al. 2024;
//! `docs/alignment.md`, "Platonic studies"): do independently trained networks, and
//! networks seeing different modalities, converge to the same representation as the number
//! of tasks, the width or the simplicity pressure grows?
//!
//! - [`World`]: latent z, modalities x_m = g_m(z) + noise, readout tasks y_t = h_t(z), and the
//!   1-d control whose tasks read only ⟨z, v⟩v.
//! - [`PlatonicSpec`]: the experiment file (`kind = "platonic"`; `[world]`, `[model]`,
//!   `[study] hypothesis = "multitask" | "capacity" | "simplicity"`, `[analysis]`); every
//!   network is one run of the engine ([`Network`]).
//! - [`Platonic`]: the kind. Each run trains one network and records its losses and its
//!   representation of the probe items; the analysis scores pairs within and across
//!   modalities and to z by mutual k-NN, unbiased CKA and CKNNA with chance and permutation
//!   nulls, the mean over pairs with a seed-bootstrap CI, and the competence–alignment
//!   regression.

mod analysis;
mod error;
mod figures;
mod output;
mod pairs;
mod regression;
mod report;
mod spec;
mod tables;
mod train;
mod world;

pub use analysis::{align_options, PairRecord, PlatonicAnalysis, RunRecord, Summary};
pub use error::{Error, Result};
pub use output::{from_output, schema, to_output, Readout};
pub use pairs::{plan_pairs, unit, Comparison};
pub use regression::{competence_regression, demean_by_group, ols, Regression};
pub use spec::{
    reference_seed, run_seed, world_seed, AnalysisSettings, Cell, Condition, Hypothesis, ModelSpec,
    Network, PlatonicSpec, StudySection, StudyTables, REFERENCE,
};
pub use tables::{
    pairs_csv, regression_csv, runs_csv, summary_csv, summary_file, summary_markdown,
};
pub use train::{train_network, Evaluation, TrainSettings, Trained};
pub use world::{draw_latents, Batch, RandomNet, World, WorldSpec, MODALITIES};

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::time::Instant;
use superscale_engine::{AnalysisError, Finished, Kind, RunError};
use superscale_report::Section;
use superscale_spec::{violation, Experiment, RunPoint};
use superscale_store::{RunOutput, Schema};

/// The probe and test items every network of a study is evaluated on: the same latents
/// rendered in both modalities.
#[derive(Debug, Clone, PartialEq)]
struct Items {
    /// probe latents, probe × d_z
    probe_z: Vec<f64>,
    /// probe inputs per modality, probe × d_x
    probe_x: Vec<Vec<f32>>,
    /// test inputs per modality, test × d_x
    test_x: Vec<Vec<f32>>,
}

/// One world of the study (a task count, with or without the control) and its targets on
/// the test items.
#[derive(Debug, Clone, PartialEq)]
struct TaskSet {
    tasks: usize,
    control: bool,
    world: World,
    test_y: Vec<f32>,
}

/// The Platonic kind for one study: its spec, analysis settings, worlds and items, made
/// once before any network trains.
#[derive(Debug, Clone)]
pub struct Platonic {
    spec: PlatonicSpec,
    seed: u64,
    settings: AnalysisSettings,
    items: Items,
    task_sets: Vec<TaskSet>,
}

impl Platonic {
    /// The study's analysis settings.
    pub fn settings(&self) -> &AnalysisSettings {
        &self.settings
    }

    /// The probe items' latents z (probe × d_z), the reference of the `to_z` pairs.
    pub fn probe_latents(&self) -> &[f64] {
        &self.items.probe_z
    }

    fn task_set(&self, network: &Network) -> Option<&TaskSet> {
        self.task_sets
            .iter()
            .find(|set| set.tasks == network.tasks && set.control == network.control)
    }

    fn train_one(
        &self,
        point: &RunPoint<Network>,
        step: &(dyn Fn(&RunPoint<Network>, u64) + Sync),
    ) -> std::result::Result<RunOutput, String> {
        let network = &point.spec;
        let study = &self.spec.study;
        let set = self
            .task_set(network)
            .filter(|_| {
                network.world == self.spec.world
                    && network.probe == study.probe
                    && network.test == study.test
                    && network.modality < MODALITIES
            })
            .ok_or("not a network of this study (its world or items differ)")?;
        let started = Instant::now();
        let settings = TrainSettings {
            width: network.width,
            depth: network.depth,
            steps: network.steps,
            batch_size: network.batch_size,
            lr: network.lr,
            weight_decay: network.weight_decay,
        };
        let evaluation = Evaluation {
            probe_x: &self.items.probe_x[network.modality],
            test_x: &self.items.test_x[network.modality],
            test_y: &set.test_y,
        };
        let steps = network.steps;
        let trained = train_network(
            &set.world,
            network.modality,
            &settings,
            point.seed,
            &evaluation,
            &mut |done| {
                if done % 100 == 0 || done == steps {
                    step(point, done as u64);
                }
            },
        )
        .map_err(|err| err.to_string())?;
        Ok(to_output(
            network,
            &trained,
            started.elapsed().as_secs_f64(),
        ))
    }
}

/// The items of a study of seed `seed` (test latents `test_z`), rendered by `world` (every
/// world of a study has the same modality nets: they depend on the world's seed only).
fn items(spec: &PlatonicSpec, seed: u64, world: &World, test_z: &[f64]) -> Items {
    let d_z = spec.world.latent_dim;
    let draw = |seed: u64, rows: usize| {
        draw_latents(d_z, rows, &mut Xoshiro256PlusPlus::seed_from_u64(seed))
    };
    let render = |z: &[f64], seed: u64, m: usize| {
        let mut out = Vec::new();
        world.render_into(m, z, &mut Xoshiro256PlusPlus::seed_from_u64(seed), &mut out);
        out
    };
    let probe_z = draw(spec::probe_seed(seed, 0), spec.study.probe);
    Items {
        probe_x: (0..MODALITIES)
            .map(|m| render(&probe_z, spec::probe_seed(seed, 1 + m), m))
            .collect(),
        test_x: (0..MODALITIES)
            .map(|m| render(test_z, spec::test_seed(seed, 1 + m), m))
            .collect(),
        probe_z,
    }
}

fn analysis_error(err: impl std::fmt::Display) -> AnalysisError {
    AnalysisError::Kind(err.to_string())
}

impl Kind for Platonic {
    type Spec = PlatonicSpec;

    /// Reads `[analysis]`, and builds the study's worlds (one per task count and condition,
    /// and the reference's) and its probe and test items.
    fn prepare(
        experiment: &Experiment<PlatonicSpec>,
    ) -> std::result::Result<Self, superscale_spec::Error> {
        if !experiment.axes.is_empty() {
            return Err(experiment.locate(violation(
                "sweep",
                "a Platonic study sweeps its hypothesis's variable with [study] values; \
                 [sweep] is not supported",
            )));
        }
        let spec = experiment.sweep[0].clone();
        let tables: StudyTables = experiment.settings()?;
        tables
            .analysis
            .validate(spec.study.probe)
            .map_err(|v| experiment.locate(v))?;
        let seed = experiment.seed;
        let world_seed = world_seed(seed);
        let test_z = draw_latents(
            spec.world.latent_dim,
            spec.study.test,
            &mut Xoshiro256PlusPlus::seed_from_u64(spec::test_seed(seed, 0)),
        );
        let mut task_sets: Vec<TaskSet> = Vec::new();
        let reference = spec.reference();
        let networks: Vec<Network> = spec
            .cells()
            .iter()
            .map(|cell| spec.network(cell, 0))
            .chain(std::iter::once(reference.clone()))
            .collect();
        for network in networks {
            if task_sets
                .iter()
                .any(|set| set.tasks == network.tasks && set.control == network.control)
            {
                continue;
            }
            let world = World::new(&spec.world, network.tasks, network.control, world_seed);
            task_sets.push(TaskSet {
                tasks: network.tasks,
                control: network.control,
                test_y: world.targets_of(&test_z),
                world,
            });
        }
        let reference_world = &task_sets
            .iter()
            .find(|set| set.tasks == reference.tasks && !set.control)
            .expect("the reference's world was just built")
            .world;
        let items = items(&spec, seed, reference_world, &test_z);
        Ok(Self {
            seed,
            settings: tables.analysis,
            items,
            task_sets,
            spec,
        })
    }

    /// Every pair of networks is compared: the report waits for the whole study.
    fn analyses_partial(&self) -> bool {
        false
    }

    fn schema(&self) -> Schema {
        schema()
    }

    /// Multiply-adds of training: steps · batch · parameters.
    fn cost(&self, run: &RunPoint<Network>) -> u128 {
        let network = &run.spec;
        network.steps as u128 * network.batch_size as u128 * network.parameters() as u128
    }

    fn steps(&self, run: &RunPoint<Network>) -> u64 {
        run.spec.steps as u64
    }

    fn train(
        &self,
        job: &[&RunPoint<Network>],
        step: &(dyn Fn(&RunPoint<Network>, u64) + Sync),
    ) -> Vec<std::result::Result<RunOutput, RunError>> {
        job.iter()
            .map(|point| {
                self.train_one(point, step).map_err(|message| RunError {
                    run_id: point.run_id.clone(),
                    replicate: point.replicate,
                    message,
                })
            })
            .collect()
    }

    type Analysis = PlatonicAnalysis;

    fn analyse(
        &self,
        experiment: &Experiment<PlatonicSpec>,
        finished: &Finished<Network>,
    ) -> std::result::Result<PlatonicAnalysis, AnalysisError> {
        let networks = finished
            .runs
            .iter()
            .map(|run| {
                let network = &run.point.spec;
                let readout = from_output(network, &run.output).map_err(|why| {
                    analysis_error(format!(
                        "run {} replicate {}: {why}",
                        run.point.run_id, run.point.replicate
                    ))
                })?;
                Ok((
                    network.cell.as_str(),
                    network.modality,
                    run.point.replicate as usize,
                    run.point.seed,
                    readout,
                ))
            })
            .collect::<std::result::Result<Vec<_>, AnalysisError>>()?;
        analysis::analyse(
            &self.spec,
            self.seed,
            experiment.replicates as usize,
            &self.settings,
            &self.items.probe_z,
            networks,
        )
        .map_err(analysis_error)
    }

    fn tables(
        &self,
        _experiment: &Experiment<PlatonicSpec>,
        _finished: &Finished<Network>,
        analysis: &PlatonicAnalysis,
    ) -> std::result::Result<Vec<(String, String)>, AnalysisError> {
        Ok(vec![
            ("pairs.csv".into(), pairs_csv(analysis)),
            ("summary.csv".into(), summary_csv(analysis)),
            ("runs.csv".into(), runs_csv(analysis)),
            ("regression.csv".into(), regression_csv(analysis)),
            ("summary.md".into(), summary_file(analysis)),
        ])
    }

    fn sections(
        &self,
        _experiment: &Experiment<PlatonicSpec>,
        _finished: &Finished<Network>,
        analysis: &PlatonicAnalysis,
    ) -> std::result::Result<Vec<Section>, AnalysisError> {
        Ok(report::sections(analysis)?)
    }

    /// The summary table of raw scores, then one line per competence–alignment regression.
    fn headlines(&self, analysis: &PlatonicAnalysis) -> Vec<String> {
        let mut lines: Vec<String> = summary_markdown(analysis, false)
            .lines()
            .map(String::from)
            .collect();
        lines.extend(analysis.regressions.iter().map(|r| {
            format!(
                "competence–alignment ({}, {}): slope {:.4} [{:.4}, {:.4}], r = {:.3}, {} runs",
                r.scope,
                r.metric.name(),
                r.slope,
                r.slope_low,
                r.slope_high,
                r.correlation,
                r.runs
            )
        }));
        lines
    }
}
