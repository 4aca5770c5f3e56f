//! The scheduler: a study's jobs over a thread pool, written once for every kind.

use crate::error::{Error, Result, RunError};
use crate::event::Event;
use crate::kind::{Kind, Run};
use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use superscale_spec::RunPoint;
use superscale_store::RunOutput;

/// The payload an event callback unwinds with to stop a study at once (Python's Ctrl-C):
/// the job in flight is abandoned, no other job starts, and the runs finished so far are
/// returned as usual. Any other unwinding payload is a bug and is raised again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

/// The outcome of one run: its position in the runs given, and what it produced.
pub type Outcome = (usize, std::result::Result<RunOutput, RunError>);

/// The worker threads to start for `asked`: at least one, and at most four per core the
/// process may use (runs are CPU-bound, so more only costs memory and OS threads; results do
/// not depend on the count). `--threads 100000` thus starts a sensible number of threads
/// instead of tens of thousands (`docs/reliability.md`, "Resource limits").
pub fn worker_threads(asked: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    asked.clamp(1, 4 * cores)
}

/// Trains `runs` on `threads` worker threads and returns every outcome, in the runs' order.
///
/// Runs are grouped into jobs by [`Kind::job_key`] (in the runs' order), and the jobs are
/// taken largest first (a greedy longest-processing-time schedule) by workers that each
/// train one job at a time. Each run's bits depend on its spec and seed only, never on the
/// thread count or the order. Events are reported from the workers as they happen; once
/// `stop` is set no new job starts (runs in flight finish, or stop at their kind's next
/// progress report if the event callback unwinds with [`Stopped`]). Fewer outcomes than
/// runs means the study was stopped.
pub fn run_jobs<K: Kind>(
    kind: &K,
    runs: &[RunPoint<Run<K>>],
    threads: usize,
    stop: &AtomicBool,
    on_event: &(dyn Fn(Event<'_, Run<K>>) + Sync),
) -> Result<Vec<Outcome>> {
    let threads = worker_threads(threads).min(runs.len().max(1));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|err| Error::ThreadPool {
            threads,
            message: err.to_string(),
        })?;
    let mut order = jobs(kind, runs);
    order.sort_by_key(|job| {
        std::cmp::Reverse(job.iter().map(|&i| kind.cost(&runs[i])).sum::<u128>())
    });
    let next = AtomicUsize::new(0);
    let collected: Mutex<Vec<Outcome>> = Mutex::new(Vec::with_capacity(runs.len()));
    let halted = AtomicBool::new(false);
    let bug: Mutex<Option<Box<dyn Any + Send>>> = Mutex::new(None);
    let step = |run: &RunPoint<Run<K>>, step: u64| on_event(Event::Step(run, step));
    pool.scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|_| loop {
                if stop.load(Ordering::Relaxed) || halted.load(Ordering::Relaxed) {
                    break;
                }
                let position = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = order.get(position) else {
                    break;
                };
                let members: Vec<&RunPoint<Run<K>>> = job.iter().map(|&i| &runs[i]).collect();
                let trained = catch_unwind(AssertUnwindSafe(|| {
                    for run in &members {
                        on_event(Event::Started(run));
                    }
                    kind.train(&members, &step)
                }));
                let outcomes = match trained {
                    Ok(outcomes) => outcomes,
                    Err(payload) => {
                        halted.store(true, Ordering::Relaxed);
                        if !payload.is::<Stopped>() {
                            bug.lock()
                                .unwrap_or_else(|poisoned| poisoned.into_inner())
                                .get_or_insert(payload);
                        }
                        break;
                    }
                };
                debug_assert_eq!(outcomes.len(), members.len());
                // Reported from the worker as soon as the job ends, so a store commits
                // each run before this worker takes another job.
                for (&index, outcome) in job.iter().zip(outcomes) {
                    match &outcome {
                        Ok(output) => on_event(Event::Finished(&runs[index], output)),
                        Err(err) => on_event(Event::Failed(&runs[index], err)),
                    }
                    collected
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .push((index, outcome));
                }
            });
        }
    });
    if let Some(payload) = bug
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
    {
        resume_unwind(payload);
    }
    let mut finished = collected
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    finished.sort_by_key(|(index, _)| *index);
    Ok(finished)
}

/// The jobs of a study as positions into `runs`: each run that trains alone, and runs
/// with the same job key packed in order into jobs of at most the key's capacity.
fn jobs<K: Kind>(kind: &K, runs: &[RunPoint<Run<K>>]) -> Vec<Vec<usize>> {
    let mut jobs: Vec<Vec<usize>> = Vec::new();
    // (key, position in `jobs` of its open job)
    let mut open: Vec<(String, usize)> = Vec::new();
    for (index, run) in runs.iter().enumerate() {
        let Some((key, capacity)) = kind.job_key(run) else {
            jobs.push(vec![index]);
            continue;
        };
        match open.iter().position(|(k, _)| *k == key) {
            Some(slot) if jobs[open[slot].1].len() < capacity => jobs[open[slot].1].push(index),
            Some(slot) => {
                open[slot].1 = jobs.len();
                jobs.push(vec![index]);
            }
            None => {
                open.push((key, jobs.len()));
                jobs.push(vec![index]);
            }
        }
    }
    jobs
}

#[cfg(test)]
mod thread_tests {
    use super::worker_threads;

    #[test]
    fn thread_counts_are_capped_at_four_per_core_and_at_least_one() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(worker_threads(0), 1);
        assert_eq!(worker_threads(1), 1);
        assert_eq!(worker_threads(100_000), 4 * cores);
        assert_eq!(worker_threads(4 * cores), 4 * cores);
    }
}
