//! The local learning coefficient (`kind = "llc"`): λ̂ by localised SGLD
//! ([`superscale_measure::llc`]) on models whose learning coefficient is known in closed
//! form, to calibrate the estimator (`docs/science/llc.md`). One run is one estimate (all
//! its chains); the study's analysis is the calibration table.

pub mod calibrate;
mod output;
mod report;
mod spec;
pub mod tms;

pub use output::{from_output, schema, to_output, LlcResult, Mismatch};
pub use report::{calibration_csv, chains_csv, headline};
pub use spec::{
    DataSpec, Family, LlcRun, LlcSpec, ModelCase, ModelSpec, PreconditionerName, SamplerOptions,
    SamplerOverrides, SamplerSpec,
};

use std::time::Instant;
use superscale_engine::{AnalysisError, Finished, Kind, RunError};
use superscale_measure::llc::models::{
    channel_point, deep_linear_lambda, normal_crossing_lambda, normal_crossing_posterior_lambda,
    reduced_rank_lambda, regular_lambda, DeepLinear, NormalCrossing, Regression,
};
use superscale_measure::llc::{estimate, Potential};
use superscale_report::Section;
use superscale_spec::{Experiment, RunPoint};
use superscale_store::{RunOutput, Schema};

/// Nodes per axis of the normal crossing's exact quadrature.
const QUADRATURE_POINTS: usize = 2001;

/// A model built for one run: the potential, w*, the closed-form λ, and E[λ̂] at the run's
/// nβ and γ where it is known exactly (NaN otherwise).
pub struct Built {
    /// the loss
    pub potential: Box<dyn Potential>,
    /// the point λ̂ is estimated at
    pub optimum: Vec<f64>,
    /// the learning coefficient in closed form
    pub closed_form: f64,
    /// E[λ̂] at finite nβ and γ when known exactly
    pub exact: f64,
}

/// The model of a run on its data (drawn from `seed`).
pub fn build(run: &LlcRun, seed: u64) -> Built {
    let shape: Vec<usize> = run.model.shape.iter().map(|&v| v as usize).collect();
    let (n, input_sd, noise_sd) = (run.data.n, run.data.input_sd, run.data.noise_sd);
    match run.model.family {
        Family::Linear => {
            let (live, dead) = (shape[0], shape[1]);
            // A teacher of ±1/2 on the live inputs: w* away from 0, so the localisation
            // term is tested with w* ≠ 0.
            let teacher: Vec<f64> = (0..live + dead)
                .map(|i| match (i < live, i % 2) {
                    (false, _) => 0.0,
                    (true, 0) => 0.5,
                    (true, _) => -0.5,
                })
                .collect();
            let data =
                Regression::synthetic(n, live + dead, live, 1, &teacher, input_sd, noise_sd, seed);
            Built {
                potential: Box::new(DeepLinear::new(data, vec![live + dead, 1])),
                optimum: teacher,
                closed_form: regular_lambda(live),
                exact: f64::NAN,
            }
        }
        Family::NormalCrossing => {
            let (a, b) = (run.model.shape[0], run.model.shape[1]);
            let data = Regression::synthetic(n, 1, 1, 1, &[0.0], input_sd, noise_sd, seed);
            let mean_square = data.x.iter().map(|x| x * x).sum::<f64>() / n as f64;
            let nbeta = run.sampler.options(n, 0).nbeta();
            let exact = if run.sampler.localization > 0.0 {
                normal_crossing_posterior_lambda(
                    a,
                    b,
                    nbeta * mean_square,
                    run.sampler.localization,
                    QUADRATURE_POINTS,
                )
            } else {
                f64::NAN
            };
            Built {
                potential: Box::new(NormalCrossing::new(data, (a, b))),
                optimum: vec![0.0, 0.0],
                closed_form: normal_crossing_lambda(a, b),
                exact,
            }
        }
        Family::TmsKgon | Family::TmsTrained => {
            let (potential, optimum) = tms::build(run.model.family, &shape, seed);
            let closed_form = match run.model.family {
                Family::TmsKgon => tms::counted_lambda(shape[0], shape[1]),
                _ => f64::NAN,
            };
            Built {
                potential,
                optimum,
                closed_form,
                exact: f64::NAN,
            }
        }
        Family::DeepLinear => {
            let (inputs, outputs) = (shape[0], shape[shape.len() - 1]);
            let rank = run.model.rank as usize;
            // Rank 0: w* = 0, the origin. Rank r: every layer passes one r-dimensional
            // channel, the most singular point with an end-to-end map of rank r (§4.5);
            // the data are generated from that map, which makes w* an exact minimum.
            let (optimum, teacher) = if rank == 0 {
                let parameters = shape.windows(2).map(|pair| pair[0] * pair[1]).sum();
                (vec![0.0; parameters], vec![0.0; inputs * outputs])
            } else {
                channel_point(&shape, rank, teacher_seed(seed))
            };
            let data = Regression::synthetic(
                n, inputs, inputs, outputs, &teacher, input_sd, noise_sd, seed,
            );
            Built {
                potential: Box::new(DeepLinear::new(data, shape.clone())),
                optimum,
                closed_form: deep_linear_lambda(&shape, rank).unwrap_or(f64::NAN),
                exact: f64::NAN,
            }
        }
        Family::ReducedRank => {
            let (inputs, hidden, outputs) = (shape[0], shape[1], shape[2]);
            let teacher = vec![0.0; inputs * outputs];
            let data = Regression::synthetic(
                n, inputs, inputs, outputs, &teacher, input_sd, noise_sd, seed,
            );
            let model = DeepLinear::new(data, vec![inputs, hidden, outputs]);
            Built {
                optimum: vec![0.0; model.dimension()],
                potential: Box::new(model),
                closed_form: reduced_rank_lambda(inputs, hidden, outputs),
                exact: f64::NAN,
            }
        }
    }
}

/// The seed of a rank-r teacher's factors, apart from the data's and the chains'.
fn teacher_seed(seed: u64) -> u64 {
    superscale_measure::llc::chain_seed(seed, usize::MAX - 1)
}

/// The seed of a run's chains, apart from its data's.
fn sampler_seed(seed: u64) -> u64 {
    superscale_measure::llc::chain_seed(seed, usize::MAX)
}

/// Estimates λ̂ for one run; `progress` gets the steps done over all chains.
pub fn run_estimate(
    point: &RunPoint<LlcRun>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RunOutput, String> {
    let started = Instant::now();
    let run = &point.spec;
    let built = build(run, point.seed);
    let options = run.sampler.options(run.data.n, sampler_seed(point.seed));
    let estimate = estimate(built.potential.as_ref(), &built.optimum, &options, progress)
        .map_err(|err| err.to_string())?;
    Ok(to_output(
        &estimate,
        built.closed_form,
        built.exact,
        &built.optimum,
        run.sampler.draws,
        started.elapsed().as_secs_f64(),
    ))
}

/// The LLC kind, as the engine drives it.
#[derive(Debug)]
pub struct Llc {
    /// whether the study has TMS runs, whose analysis reads every run's w*
    tms: bool,
}

/// One finished estimate, as the analysis reads it.
#[derive(Debug, Clone)]
pub struct LlcRow {
    /// run id
    pub id: String,
    /// replicate
    pub replicate: u32,
    /// the run's spec
    pub run: LlcRun,
    /// whether the run was recorded as diverged
    pub diverged: bool,
    /// its numbers
    pub result: LlcResult,
}

/// The calibration table's rows.
#[derive(Debug, Clone)]
pub struct LlcAnalysis {
    /// the finished runs, in the study's order
    pub rows: Vec<LlcRow>,
    /// the TMS k-gons, switch sizes and training landings (empty without TMS runs)
    pub tms: tms::TmsPhases,
}

fn is_tms(row: &LlcRow) -> bool {
    matches!(row.run.model.family, Family::TmsKgon | Family::TmsTrained)
}

impl Kind for Llc {
    type Spec = LlcSpec;

    fn prepare(experiment: &Experiment<LlcSpec>) -> Result<Self, superscale_spec::Error> {
        let tms = experiment
            .sweep
            .iter()
            .any(|point| matches!(point.model.family, Family::TmsKgon | Family::TmsTrained));
        Ok(Llc { tms })
    }

    fn needs_weights(&self) -> bool {
        self.tms
    }

    fn schema(&self) -> Schema {
        schema()
    }

    /// Steps over all chains times the parameters (a full-data step of these models costs
    /// about their size).
    fn cost(&self, run: &RunPoint<LlcRun>) -> u128 {
        u128::from(self.steps(run)) * run.spec.parameters() as u128
    }

    fn steps(&self, run: &RunPoint<LlcRun>) -> u64 {
        let sampler = &run.spec.sampler;
        sampler.chains as u64 * (sampler.burn_in + sampler.draws * sampler.thin) as u64
    }

    fn train(
        &self,
        job: &[&RunPoint<LlcRun>],
        step: &(dyn Fn(&RunPoint<LlcRun>, u64) + Sync),
    ) -> Vec<Result<RunOutput, RunError>> {
        job.iter()
            .map(|point| {
                run_estimate(point, &|done| step(point, done)).map_err(|message| RunError {
                    run_id: point.run_id.clone(),
                    replicate: point.replicate,
                    message,
                })
            })
            .collect()
    }

    type Analysis = LlcAnalysis;

    fn analyse(
        &self,
        experiment: &Experiment<LlcSpec>,
        finished: &Finished<LlcRun>,
    ) -> Result<LlcAnalysis, AnalysisError> {
        let rows = finished
            .runs
            .iter()
            .map(|run| {
                Ok(LlcRow {
                    id: run.point.run_id.clone(),
                    replicate: run.point.replicate,
                    run: run.point.spec.clone(),
                    diverged: run.output.end != superscale_store::End::Done,
                    result: from_output(&run.output)?,
                })
            })
            .collect::<Result<Vec<_>, Mismatch>>()
            .map_err(|err| AnalysisError::Kind(err.to_string()))?;
        let optimum = |index: usize| {
            let tensors = &finished.runs.get(index)?.output.weights.tensors;
            let (_, array) = tensors.iter().find(|(name, _)| name == "optimum")?;
            match &array.data {
                superscale_store::ArrayData::F64(values) => Some(values.clone()),
                superscale_store::ArrayData::F32(values) => {
                    Some(values.iter().map(|&v| f64::from(v)).collect())
                }
            }
        };
        let tms = tms::analyse(&rows, &optimum, experiment.seed);
        Ok(LlcAnalysis { rows, tms })
    }

    fn tables(
        &self,
        _experiment: &Experiment<LlcSpec>,
        _finished: &Finished<LlcRun>,
        analysis: &LlcAnalysis,
    ) -> Result<Vec<(String, String)>, AnalysisError> {
        let mut tables = vec![
            ("calibration.csv".into(), calibration_csv(&analysis.rows)),
            ("chains.csv".into(), chains_csv(&analysis.rows)),
        ];
        let phases = &analysis.tms;
        if !phases.kgons.is_empty() {
            tables.push(("tms_kgons.csv".into(), tms::kgons_csv(phases)));
            tables.push(("tms_switches.csv".into(), tms::switches_csv(phases)));
        }
        if !phases.landings.is_empty() {
            tables.push(("tms_landings.csv".into(), tms::landings_csv(phases)));
        }
        Ok(tables)
    }

    fn sections(
        &self,
        _experiment: &Experiment<LlcSpec>,
        _finished: &Finished<LlcRun>,
        analysis: &LlcAnalysis,
    ) -> Result<Vec<Section>, AnalysisError> {
        let calibration: Vec<LlcRow> = analysis
            .rows
            .iter()
            .filter(|row| !is_tms(row))
            .cloned()
            .collect();
        let mut sections = if calibration.is_empty() {
            Vec::new()
        } else {
            report::sections(&calibration)?
        };
        sections.extend(tms::sections(&analysis.tms)?);
        Ok(sections)
    }

    fn headlines(&self, analysis: &LlcAnalysis) -> Vec<String> {
        let mut lines: Vec<String> = analysis
            .rows
            .iter()
            .filter(|row| !is_tms(row))
            .map(headline)
            .collect();
        lines.extend(tms::headlines(&analysis.tms));
        lines
    }
}
