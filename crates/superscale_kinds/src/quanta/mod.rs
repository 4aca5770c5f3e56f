//! The quantization model of neural scaling (Michaud et al. 2023) on multitask sparse
//! parity, and what it teaches about emergence and forecasting (`docs/science/quanta.md`;
//! fits: `docs/science/fitting.md`): the kind `quanta`. One run trains one MLP on one task
//! family and logs per-task losses on a log-spaced step grid; the study's analysis fits
//! α_N, α_S and α_D against the theory, tests every subtask for abrupt learning, and
//! backtests forecasts of the aggregate loss and of each subtask's jump.

mod analysis;
mod emergence;
mod error;
mod forecast;
mod mirage;
mod output;
mod report;
mod scaling;
mod spec;
mod tables;
mod task;
mod train;

pub use analysis::{analyze, ExponentRow, QuantaRun, RunEmergence, StudyAnalysis};
pub use emergence::{
    drop_profile, summarize_emergence, task_emergence, DropProfile, EmergenceSummary,
    TaskEmergence, CHANCE_ABOVE_BITS, DROP_WITHIN_FACTOR, LEARNED_BELOW_BITS, RELAPSE_ABOVE_BITS,
};
pub use error::{Error, Result};
pub use forecast::{
    backtest, AggregateForecast, Backtest, Interval, ScaleSeries, TaskForecast, Verdict,
};
pub use mirage::{inflections, log_grid, Mirage};
pub use output::{from_output, schema, to_output, Mismatch};
pub use scaling::{
    fit_exponent, theory_parameter_exponent, theory_step_exponent, ExponentEstimate,
};
pub use spec::{AnalysisSpec, QuantaSettings, QuantaSpec, RunPlan};
pub use tables::tables;
pub use task::{derive_seed, test_sizes, zipf_frequencies, Batch, MultitaskParity, TaskConfig};
pub use train::{eval_steps, train_network, train_run, RunResult, TestSets, TrainConfig, Trained};

use std::sync::OnceLock;
use std::time::Instant;
use superscale_engine::{AnalysisError, Finished, Kind, RunError};
use superscale_report::Section;
use superscale_spec::{violation, Experiment, RunPoint};
use superscale_store::{RunOutput, Schema};

/// The test sets of one task family for one (test_points, test_points_per_task), drawn the
/// first time a run needs them.
#[derive(Debug)]
struct TestSetsOf {
    test_points: usize,
    per_task: usize,
    sets: OnceLock<TestSets>,
}

/// One task family of the study (a task config and the study's seed): its subsets, drawn
/// when the study is prepared, and its test sets. Every run of the family shares them, so
/// its per-task curves compare.
#[derive(Debug)]
struct Family {
    config: TaskConfig,
    seed: u64,
    task: MultitaskParity,
    tests: Vec<TestSetsOf>,
}

/// The quanta kind, as the engine drives it.
#[derive(Debug)]
pub struct Quanta {
    analysis: AnalysisSpec,
    families: Vec<Family>,
}

/// Everything a quanta study's tables and report are drawn from.
#[derive(Debug, Clone)]
pub struct QuantaAnalysis {
    /// the finished runs, in the study's order
    pub runs: Vec<QuantaRun>,
    /// emergence, exponents and backtests
    pub study: StudyAnalysis,
}

impl Quanta {
    /// The task family and test sets of a run (built on first use; a family is drawn in
    /// `prepare` for every run of the study).
    fn data_of(&self, plan: &RunPlan) -> Option<(&MultitaskParity, &TestSets)> {
        let family = self
            .families
            .iter()
            .find(|f| f.config == plan.task && f.seed == plan.task_seed)?;
        let of = family.tests.iter().find(|t| {
            t.test_points == plan.train.test_points && t.per_task == plan.train.test_points_per_task
        })?;
        let sets = of
            .sets
            .get_or_init(|| TestSets::new(&family.task, of.test_points, of.per_task, family.seed));
        Some((&family.task, sets))
    }
}

/// The lines printed when a study ends: every exponent with its interval and the theory.
pub fn exponent_lines(analysis: &StudyAnalysis) -> Vec<String> {
    analysis
        .exponents
        .iter()
        .map(|row| {
            let e = &row.estimate;
            format!(
                "alpha {}: {} = {:.3} ± {:.3} (95% CI [{:.3}, {:.3}], R² {:.3}, {} points), theory {:.3}",
                row.alpha, e.name, e.exponent, e.standard_error, e.lower, e.upper, e.r_squared, e.n_points, e.theory
            )
        })
        .collect()
}

impl Kind for Quanta {
    type Spec = QuantaSpec;

    /// Reads `[analysis]`, and draws the subsets of every task family of the study (cheap,
    /// and a family whose subsets cannot be drawn is a mistake of the file). The test sets
    /// are drawn when a run first needs them, so listing or merging a study costs nothing.
    fn prepare(
        experiment: &Experiment<QuantaSpec>,
    ) -> std::result::Result<Self, superscale_spec::Error> {
        let settings: QuantaSettings = experiment.settings()?;
        settings
            .analysis
            .validate()
            .map_err(|v| experiment.locate(v))?;
        let mut families: Vec<Family> = Vec::new();
        for point in &experiment.points {
            let plan = &point.spec;
            let position = match families
                .iter()
                .position(|f| f.config == plan.task && f.seed == plan.task_seed)
            {
                Some(position) => position,
                None => {
                    let task = MultitaskParity::new(&plan.task, plan.task_seed).map_err(|err| {
                        experiment.locate(match err {
                            Error::Invalid { field, message } => violation(field, message),
                            other => violation("task.n_tasks", other.to_string()),
                        })
                    })?;
                    families.push(Family {
                        config: plan.task.clone(),
                        seed: plan.task_seed,
                        task,
                        tests: Vec::new(),
                    });
                    families.len() - 1
                }
            };
            let tests = &mut families[position].tests;
            let key = (plan.train.test_points, plan.train.test_points_per_task);
            if !tests.iter().any(|t| (t.test_points, t.per_task) == key) {
                tests.push(TestSetsOf {
                    test_points: key.0,
                    per_task: key.1,
                    sets: OnceLock::new(),
                });
            }
        }
        Ok(Self {
            analysis: settings.analysis,
            families,
        })
    }

    fn schema(&self) -> Schema {
        schema()
    }

    /// Rows through the first layer, times its active inputs (≈ the set bits) and the
    /// width: training batches plus every evaluation of both test sets.
    fn cost(&self, run: &RunPoint<RunPlan>) -> u128 {
        let (task, train) = (&run.spec.task, &run.spec.train);
        let evaluations = eval_steps(train.steps, train.eval_points).len() as u128;
        let test_rows = (train.test_points + task.n_tasks * train.test_points_per_task) as u128;
        let rows = u128::from(train.steps) * train.batch_size as u128 + evaluations * test_rows;
        rows * (task.n_bits as u128 / 2 + 1) * train.width as u128 * (train.depth as u128 - 1)
    }

    fn steps(&self, run: &RunPoint<RunPlan>) -> u64 {
        run.spec.train.steps
    }

    fn train(
        &self,
        job: &[&RunPoint<RunPlan>],
        step: &(dyn Fn(&RunPoint<RunPlan>, u64) + Sync),
    ) -> Vec<std::result::Result<RunOutput, RunError>> {
        job.iter()
            .map(|point| {
                let failed = |message: String| RunError {
                    run_id: point.run_id.clone(),
                    replicate: point.replicate,
                    message,
                };
                let started = Instant::now();
                let (task, tests) = self.data_of(&point.spec).ok_or_else(|| {
                    failed("its task family was not prepared with the study".into())
                })?;
                let steps = point.spec.train.steps;
                let trained =
                    train_network(task, &point.spec.train, tests, point.seed, &mut |done| {
                        if done % 100 == 0 || done == steps {
                            step(point, done);
                        }
                    })
                    .map_err(|err| failed(err.to_string()))?;
                Ok(to_output(&trained, started.elapsed().as_secs_f64()))
            })
            .collect()
    }

    type Analysis = QuantaAnalysis;

    fn analyse(
        &self,
        experiment: &Experiment<QuantaSpec>,
        finished: &Finished<RunPlan>,
    ) -> std::result::Result<QuantaAnalysis, AnalysisError> {
        let runs = finished
            .runs
            .iter()
            .map(|run| {
                Ok(QuantaRun {
                    id: run.point.run_id.clone(),
                    plan: run.point.spec.clone(),
                    result: from_output(&run.output)?,
                })
            })
            .collect::<std::result::Result<Vec<_>, Mismatch>>()
            .map_err(|err| AnalysisError::Kind(err.to_string()))?;
        let study = analyze(&self.analysis, experiment.seed, &runs)
            .map_err(|err| AnalysisError::Kind(err.to_string()))?;
        Ok(QuantaAnalysis { runs, study })
    }

    fn tables(
        &self,
        _experiment: &Experiment<QuantaSpec>,
        _finished: &Finished<RunPlan>,
        analysis: &QuantaAnalysis,
    ) -> std::result::Result<Vec<(String, String)>, AnalysisError> {
        Ok(tables(&analysis.runs, &analysis.study))
    }

    fn sections(
        &self,
        _experiment: &Experiment<QuantaSpec>,
        _finished: &Finished<RunPlan>,
        analysis: &QuantaAnalysis,
    ) -> std::result::Result<Vec<Section>, AnalysisError> {
        Ok(report::sections(
            &analysis.runs,
            &analysis.study,
            self.analysis.steps_window,
        )?)
    }

    fn headlines(&self, analysis: &QuantaAnalysis) -> Vec<String> {
        exponent_lines(&analysis.study)
    }
}
