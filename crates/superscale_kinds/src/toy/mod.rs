//! The toy models of superposition (Liu, Liu & Gore 2025; Elhage et al. 2022): one run
//! trains one model (or, for small Anthropic models, one lane of a grid block), is
//! evaluated on held-out batches and measured (`docs/science/superposition.md`,
//! `docs/science/tms.md`).

mod analysis;
pub mod capability;
mod error;
mod execute;
mod exponents;
mod grid_runs;
pub mod llc;
mod output;
mod report;
mod settings;
mod tables;
pub mod universality;

pub use analysis::{
    analyse, anthropic, best_per_point, dimensionality, exponent_lines, Phase, ToyAnalysis,
};
pub use error::{Error, Result};
pub use execute::{execute, RunResult, RunStatus};
pub use exponents::{fit_width_exponents, WidthExponent, WIDTH_AXIS};
pub use grid_runs::{GRID_MAX_FEATURES, GRID_MAX_HIDDEN, GRID_MAX_PARAMETERS};
pub use output::{from_output, schema, schema_with, to_output, Mismatch, LLC_CURVES};
pub use settings::{ToyAnalysisSpec, ToySettings};
pub use tables::{curves_csv, exponents_csv, llc_csv, results_csv};

use std::sync::atomic::AtomicBool;
use superscale_engine::{AnalysisError, Finished, Kind, RunError};
use superscale_kernels::Simd;
use superscale_report::Section;
use superscale_spec::{Experiment, RunPoint, RunSpec};
use superscale_store::{RunOutput, Schema};

/// The toy kind, as the engine drives it.
#[derive(Debug, Clone)]
pub struct Toy {
    simd: Simd,
    /// the study's `[analysis]` table
    settings: ToySettings,
    /// `[record] weights = true`: keep every run's W (for the figures that draw it)
    record_weights: bool,
    /// the runs have an `[llc]` table: the schema keeps λ̂ at their checkpoints
    llc: bool,
}

impl Default for Toy {
    fn default() -> Self {
        Self {
            simd: Simd::detect(),
            settings: ToySettings::default(),
            record_weights: false,
            llc: false,
        }
    }
}

impl Toy {
    /// The kind with the best kernels this CPU has.
    pub fn new() -> Self {
        Self::default()
    }
}

fn run_error(point: &RunPoint, err: &Error) -> RunError {
    RunError {
        run_id: point.run_id.clone(),
        replicate: point.replicate,
        message: err.to_string(),
    }
}

impl Kind for Toy {
    type Spec = RunSpec;

    fn prepare(experiment: &Experiment) -> std::result::Result<Self, superscale_spec::Error> {
        Ok(Toy {
            settings: ToySettings::read(experiment)?,
            record_weights: experiment.points.iter().any(|p| p.spec.record.weights),
            llc: experiment.points.iter().any(|p| p.spec.llc.is_some()),
            ..Toy::new()
        })
    }

    /// Capability measures every final model; universality compares the replicates' W;
    /// the TMS geometry figures draw W when the study asks for it (`[record] weights`).
    fn needs_weights(&self) -> bool {
        self.record_weights
            || self.settings.analysis.capability.is_some()
            || self.settings.analysis.universality.is_some()
    }

    fn schema(&self) -> Schema {
        schema_with(self.llc)
    }

    /// Multiply-adds of the dense product: steps · B · n · m.
    fn cost(&self, run: &RunPoint) -> u128 {
        let (n, m) = run.spec.model.shape();
        u128::from(run.spec.train.steps) * run.spec.train.batch_size as u128 * n as u128 * m as u128
    }

    fn steps(&self, run: &RunPoint) -> u64 {
        run.spec.train.steps
    }

    /// Small Anthropic models train eight to a block through the grid (`grid_runs.rs`).
    fn job_key(&self, run: &RunPoint) -> Option<(String, usize)> {
        grid_runs::grid_key(&run.spec).map(|key| (key, superscale_models::grid::LANES))
    }

    fn train(
        &self,
        job: &[&RunPoint],
        step: &(dyn Fn(&RunPoint, u64) + Sync),
    ) -> Vec<std::result::Result<RunOutput, RunError>> {
        let results = match job {
            [point] if grid_runs::grid_key(&point.spec).is_none() => {
                let steps = point.spec.train.steps;
                vec![execute(point, self.simd, &mut |done| {
                    if done % 100 == 99 || done + 1 == steps {
                        step(point, done + 1);
                    }
                })]
            }
            _ => grid_runs::execute_block(job, self.simd, step),
        };
        job.iter()
            .zip(results)
            .map(|(point, result)| {
                result
                    .map(|result| to_output(&result))
                    .map_err(|err| run_error(point, &err))
            })
            .collect()
    }

    type Analysis = ToyAnalysis;

    fn analyse(
        &self,
        experiment: &Experiment,
        finished: &Finished<RunSpec>,
    ) -> std::result::Result<ToyAnalysis, AnalysisError> {
        let results = finished
            .runs
            .iter()
            .map(|run| from_output(run.point.clone(), &run.output))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|err| AnalysisError::Kind(err.to_string()))?;
        let mut analysis = analyse(results);
        if let Some(spec) = &self.settings.analysis.capability {
            analysis.capability =
                Some(capability::analyse(spec, &analysis.results).map_err(AnalysisError::Kind)?);
        }
        if let Some(options) = &self.settings.analysis.universality {
            let found = universality::analyse(&analysis.results, experiment.replicates, options)
                .map_err(|err| AnalysisError::Kind(err.to_string()))?;
            analysis.universality = Some(found);
        }
        Ok(analysis)
    }

    fn tables(
        &self,
        _experiment: &Experiment,
        _finished: &Finished<RunSpec>,
        analysis: &ToyAnalysis,
    ) -> std::result::Result<Vec<(String, String)>, AnalysisError> {
        let mut tables = vec![
            ("results.csv".into(), results_csv(&analysis.results)),
            ("exponents.csv".into(), exponents_csv(&analysis.exponents)),
            ("curves.csv".into(), curves_csv(&analysis.results)),
        ];
        if self.llc {
            tables.push(("llc.csv".into(), llc_csv(&analysis.results)));
        }
        if let Some(regimes) = &analysis.capability {
            tables.extend(capability::tables(regimes));
        }
        if let Some(found) = &analysis.universality {
            tables.push(("tms_pairs.csv".into(), universality::pairs_csv(found)));
            tables.push((
                "tms_summary.md".into(),
                universality::summary_markdown(found),
            ));
        }
        Ok(tables)
    }

    fn sections(
        &self,
        experiment: &Experiment,
        _finished: &Finished<RunSpec>,
        analysis: &ToyAnalysis,
    ) -> std::result::Result<Vec<Section>, AnalysisError> {
        let mut sections = report::sections(experiment, analysis)?;
        if let Some(regimes) = &analysis.capability {
            sections.extend(capability::sections(regimes)?);
        }
        if let Some(found) = &analysis.universality {
            sections.push(universality::section(found)?);
        }
        Ok(sections)
    }

    fn headlines(&self, analysis: &ToyAnalysis) -> Vec<String> {
        let Some(first) = analysis.results.first() else {
            return Vec::new();
        };
        let model = &first.point.spec.model;
        let mut lines = exponent_lines(&analysis.exponents, model);
        lines.extend(report::llc::lines(
            &analysis.results,
            &analysis.exponents,
            model,
        ));
        if let Some(regimes) = &analysis.capability {
            lines.extend(capability::lines(regimes));
        }
        if let Some(found) = &analysis.universality {
            lines.extend(
                universality::summary_markdown(found)
                    .lines()
                    .map(String::from),
            );
        }
        lines
    }
}

/// Trains `points` on `threads` workers without a store and returns their results in
/// order, or the first run's failure (tests, and studies run in memory from Python).
pub fn run_study(
    points: &[RunPoint],
    threads: usize,
) -> std::result::Result<Vec<RunResult>, superscale_engine::Error> {
    let toy = Toy::new();
    let stop = AtomicBool::new(false);
    let finished = superscale_engine::run_jobs(&toy, points, threads, &stop, &|_| {})?;
    finished
        .into_iter()
        .map(|(index, outcome)| {
            let output = outcome?;
            Ok(from_output(points[index].clone(), &output).expect("the toy kind made this output"))
        })
        .collect()
}
