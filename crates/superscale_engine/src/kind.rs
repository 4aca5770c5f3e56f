//! What a kind of experiment implements.

use crate::error::RunError;
use superscale_spec::{KindSpec, RunPoint};
use superscale_store::{RunOutput, Schema};

/// The spec of one run of kind `K`.
pub type Run<K> = <<K as Kind>::Spec as KindSpec>::Run;

/// A kind of experiment, as the engine drives it.
///
/// A value of the kind is built from its experiment before the runs start, so that data
/// every run shares (a task family, a synthetic world, test sets) is made once. Training
/// must be deterministic given the run's spec and seed: the engine may run any job on any
/// worker, in any order, and resume it in another process.
pub trait Kind: Send + Sync {
    /// The tables of one sweep point, and the run spec they stand for.
    type Spec: KindSpec;

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
}
