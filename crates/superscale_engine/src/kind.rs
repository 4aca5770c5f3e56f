//! What a kind of experiment implements.

use crate::error::{AnalysisError, RunError};
use std::path::PathBuf;
use superscale_report::Section;
use superscale_spec::{Experiment, KindSpec, RunPoint};
use superscale_store::{RunOutput, Schema};

/// One finished (done or diverged) run of a study.
#[derive(Debug, Clone)]
pub struct FinishedRun<R> {
    /// the run
    pub point: RunPoint<R>,
    /// what it recorded; its `weights` hold the final parameters when the run was trained
    /// by this process or its weights file was kept, and are empty otherwise
    pub output: RunOutput,
}

/// The finished runs of a study, as its kind's analysis reads them.
#[derive(Debug, Clone)]
pub struct Finished<R> {
    /// the finished runs, in the study's order
    pub runs: Vec<FinishedRun<R>>,
    /// runs of the study not finished (pending, running or failed)
    pub unfinished: usize,
    /// of which failed
    pub failed: usize,
    /// the study's store directory (where weights files and large arrays are), if any
    pub dir: Option<PathBuf>,
}

/// The spec of one run of kind `K`.
pub type Run<K> = <<K as Kind>::Spec as KindSpec>::Run;

/// A kind of experiment, as the engine drives it.
///
/// A value of the kind is built from its experiment before the runs start, so that data
/// every run shares (a task family, a synthetic world, test sets) is made once. Training
/// must be deterministic given the run's spec and seed: the engine may run any job on any
/// worker, in any order, and resume it in another process.
pub trait Kind: Send + Sync + Sized {
    /// The tables of one sweep point, and the run spec they stand for.
    type Spec: KindSpec;

    /// The kind for this experiment: reads and checks its study tables (a mistake names
    /// the file, line and field) and makes what all its runs share.
    fn prepare(experiment: &Experiment<Self::Spec>) -> Result<Self, superscale_spec::Error>;

    /// Whether the study's analysis needs every run's final parameters (then they are kept
    /// in the store as if `--save-weights` had been given).
    fn needs_weights(&self) -> bool {
        false
    }

    /// Whether the analysis can read a study some of whose runs are not finished (a
    /// shard, an interrupted study). A kind whose analysis compares every run with every
    /// other (the Platonic pairs) says no: its report waits for the whole study.
    fn analyses_partial(&self) -> bool {
        true
    }

    /// What every run of this kind records.
    fn schema(&self) -> Schema;

    /// A run's cost in any unit proportional to its time: the largest jobs start first,
    /// so a sweep does not end on one long run.
    fn cost(&self, run: &RunPoint<Run<Self>>) -> u128;

    /// A run's length in steps, for progress bars.
    fn steps(&self, run: &RunPoint<Run<Self>>) -> u64;

    /// Runs with the same key may be trained together as one job of at most the given
    /// number of runs (many small models in one computation); `None` trains the run alone.
    /// The key must depend on the run alone, so a run takes the same path whether it is
    /// resumed, sharded or extended.
    fn job_key(&self, run: &RunPoint<Run<Self>>) -> Option<(String, usize)> {
        let _ = run;
        None
    }

    /// Trains one job on the calling worker and returns one outcome per run, in order.
    /// `step` reports progress (every hundred steps or so, and at the last). Rayon calls
    /// inside run on the study's pool, so idle workers can help a long run.
    fn train(
        &self,
        job: &[&RunPoint<Run<Self>>],
        step: &(dyn Fn(&RunPoint<Run<Self>>, u64) + Sync),
    ) -> Vec<Result<RunOutput, RunError>>;

    /// What the study's analysis computes from its finished runs (fits with intervals,
    /// tests, verdict numbers), from which its tables and report sections are drawn.
    type Analysis: Send;

    /// Analyses the finished runs (all of them, or those a partial study has so far).
    /// Runs on the study's thread pool, so rayon calls inside use its threads.
    fn analyse(
        &self,
        experiment: &Experiment<Self::Spec>,
        finished: &Finished<Run<Self>>,
    ) -> Result<Self::Analysis, AnalysisError>;

    /// The CSV tables written beside the report, as (file name, contents).
    fn tables(
        &self,
        experiment: &Experiment<Self::Spec>,
        finished: &Finished<Run<Self>>,
        analysis: &Self::Analysis,
    ) -> Result<Vec<(String, String)>, AnalysisError>;

    /// The kind's sections of the report (the engine adds the spec and provenance).
    fn sections(
        &self,
        experiment: &Experiment<Self::Spec>,
        finished: &Finished<Run<Self>>,
        analysis: &Self::Analysis,
    ) -> Result<Vec<Section>, AnalysisError>;

    /// The lines printed on stdout when the study ends: the numbers a researcher looks for
    /// first (e.g. α_m per group).
    fn headlines(&self, analysis: &Self::Analysis) -> Vec<String>;
}
