//! A study: all runs of an experiment over a thread pool.

use crate::error::{Error, Result};
use crate::execute::{execute, RunResult};
use crate::grid_runs::{execute_block, grid_key};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use superscale_kernels::Simd;
use superscale_spec::RunPoint;

/// Progress of a study, reported from worker threads.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// a run started
    Started(&'a RunPoint),
    /// a run finished a step (every 100 steps and at the last)
    Step(&'a RunPoint, u64),
    /// a run finished (done or diverged)
    Finished(&'a RunResult),
    /// a run could not be trained (the study goes on and returns the first such error)
    Failed(&'a RunPoint, &'a Error),
}

/// Runs `points` on `threads` threads and returns the results in the points' order.
///
/// Each run is single-threaded, so its bits do not depend on the thread count; the
/// largest runs start first so a sweep over widths does not end on one long run.
pub fn run_study(
    points: &[RunPoint],
    threads: usize,
    on_event: &(dyn Fn(Event<'_>) + Sync),
) -> Result<Vec<RunResult>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|err| Error::ThreadPool {
            threads,
            message: err.to_string(),
        })?;
    let simd = Simd::detect();
    let mut order = jobs(points);
    order.sort_by_key(|job| std::cmp::Reverse(job.iter().map(|point| cost(point)).sum::<u128>()));
    // Each worker takes the next run from a shared counter: largest first, so the longest
    // runs never start last (a greedy longest-processing-time schedule).
    let next = AtomicUsize::new(0);
    let collected: Mutex<Vec<Result<RunResult>>> = Mutex::new(Vec::with_capacity(order.len()));
    pool.scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|_| loop {
                let position = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = order.get(position) else {
                    break;
                };
                if let [point] = job.as_slice() {
                    if grid_key(&point.spec).is_none() {
                        let result = run_alone(point, simd, on_event);
                        collected
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .push(result);
                        continue;
                    }
                }
                // Small Anthropic models: a block trained as one (grid_runs.rs).
                let results = execute_block(job, simd, on_event);
                collected
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .extend(results);
            });
        }
    });
    let mut results = collected
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    results.sort_by_key(|result| result.point.index);
    Ok(results)
}

/// The work items of a study: each run that trains alone, and blocks of up to
/// `superscale_grid::LANES` grid runs with the same grid key, in the points' order.
fn jobs(points: &[RunPoint]) -> Vec<Vec<&RunPoint>> {
    let mut jobs: Vec<Vec<&RunPoint>> = Vec::new();
    let mut open: Vec<(String, usize)> = Vec::new();
    for point in points {
        let Some(key) = grid_key(&point.spec) else {
            jobs.push(vec![point]);
            continue;
        };
        match open.iter().position(|(k, _)| *k == key) {
            Some(slot) if jobs[open[slot].1].len() < superscale_grid::LANES => {
                jobs[open[slot].1].push(point)
            }
            Some(slot) => {
                open[slot].1 = jobs.len();
                jobs.push(vec![point]);
            }
            None => {
                open.push((key, jobs.len()));
                jobs.push(vec![point]);
            }
        }
    }
    jobs
}

/// One run trained alone on the calling worker.
fn run_alone(
    point: &RunPoint,
    simd: Simd,
    on_event: &(dyn Fn(Event<'_>) + Sync),
) -> Result<RunResult> {
    on_event(Event::Started(point));
    let steps = point.spec.train.steps;
    let result = execute(point, simd, &mut |step| {
        if step % 100 == 99 || step + 1 == steps {
            on_event(Event::Step(point, step + 1));
        }
    });
    // Reported from the worker as soon as the run ends, so a store can commit it
    // before anything else happens (a kill then loses only the runs in flight).
    match &result {
        Ok(result) => on_event(Event::Finished(result)),
        Err(err) => on_event(Event::Failed(point, err)),
    }
    result
}

/// A run's cost in multiply-adds of its dense product: steps · B · n · m.
fn cost(point: &RunPoint) -> u128 {
    let (n, m) = point.spec.model.shape();
    u128::from(point.spec.train.steps) * point.spec.train.batch_size as u128 * n as u128 * m as u128
}
