//! A study trained in memory, without a store: for tests, and for Python calls that ask
//! for no store.

use crate::error::Result;
use crate::kind::{Finished, FinishedRun, Kind, Run};
use crate::schedule::run_jobs;
use std::sync::atomic::AtomicBool;
use superscale_spec::Experiment;

/// Trains every run of `experiment` on `threads` workers and returns the finished runs, or
/// the first run's failure.
pub fn run_in_memory<K: Kind>(
    kind: &K,
    experiment: &Experiment<K::Spec>,
    threads: usize,
) -> Result<Finished<Run<K>>> {
    let stop = AtomicBool::new(false);
    let outcomes = run_jobs(kind, &experiment.points, threads, &stop, &|_| {})?;
    let mut runs = Vec::with_capacity(outcomes.len());
    for (index, outcome) in outcomes {
        runs.push(FinishedRun {
            point: experiment.points[index].clone(),
            output: outcome?,
        });
    }
    Ok(Finished {
        runs,
        unfinished: 0,
        failed: 0,
        dir: None,
    })
}
