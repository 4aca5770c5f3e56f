//! `superscale.run`: runs a study without holding the GIL, and stops it on Ctrl-C.
//!
//! `run_study` trains on its own worker thread while the calling thread waits with the GIL
//! released, waking every [`POLL`] to take the GIL briefly: it runs Python's signal
//! handlers (`PyErr_CheckSignals`, which only the main thread may do) and reports progress.
//! When a handler raises (KeyboardInterrupt from Ctrl-C), a stop flag is set; every worker
//! sees it at its next progress event (at most 100 training steps later) and unwinds out of
//! `run_study` with a private payload that [`std::panic::resume_unwind`] throws without
//! calling the panic hook, so nothing is printed. Runs that had finished are kept: they
//! were copied as they finished.

use crate::errors::{guard, panic_error, run_error, spec_error};
use crate::spec::PySpec;
use crate::study::{create_dir, PyStudy};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;
use superscale_run::{run_study, Event, RunResult, RunStatus};
use superscale_spec::Experiment;

/// How often the waiting thread takes the GIL to check for signals and report progress.
const POLL: Duration = Duration::from_millis(50);

/// The unwinding payload that stops workers.
struct Interrupted;

/// What the caller asked to hear while the study runs.
pub enum Progress {
    /// nothing
    Silent,
    /// one line per finished run on `sys.stderr`, as the CLI prints
    Print,
    /// a Python callable receiving a dict per finished run
    Callback(Py<PyAny>),
}

/// The results of a study, and the error that stopped it early, if any.
pub struct Outcome {
    /// finished runs in the study's order (all of them unless `stopped_by` is set)
    pub results: Vec<RunResult>,
    /// the Python exception (KeyboardInterrupt, or one raised by a progress callback) that
    /// stopped the study; the workers have stopped when it is returned
    pub stopped_by: Option<PyErr>,
}

/// A one-shot flag a thread can wait on with a timeout.
#[derive(Default)]
struct Latch {
    done: Mutex<bool>,
    changed: Condvar,
}

impl Latch {
    fn set(&self) {
        *lock(&self.done) = true;
        self.changed.notify_all();
    }

    /// Waits up to `timeout`; true once the latch is set.
    fn wait(&self, timeout: Duration) -> bool {
        let guard = lock(&self.done);
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |done| !*done)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *guard
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Trains every run of `experiment` on `threads` workers with the GIL released.
pub fn run_interruptible(
    py: Python<'_>,
    experiment: &Experiment,
    threads: usize,
    progress: &Progress,
) -> PyResult<Outcome> {
    let stop = AtomicBool::new(false);
    let finished: Mutex<Vec<RunResult>> = Mutex::new(Vec::new());
    let latch = Latch::default();
    let on_event = |event: Event<'_>| match event {
        Event::Finished(result) => lock(&finished).push(result.clone()),
        Event::Started(_) | Event::Step(..) if stop.load(Ordering::Relaxed) => {
            resume_unwind(Box::new(Interrupted));
        }
        _ => {}
    };
    let total = experiment.points.len();
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                run_study(&experiment.points, threads, &on_event)
            }));
            latch.set();
            outcome
        });
        let mut stopped_by: Option<PyErr> = None;
        let mut reported = 0;
        loop {
            let done = py.detach(|| latch.wait(POLL));
            // After a stop, later signals are drained so a second Ctrl-C does not escape
            // while the workers wind down.
            let checked = py.check_signals().and_then(|()| {
                let fresh: Vec<RunResult> = lock(&finished)[reported..].to_vec();
                reported += fresh.len();
                fresh.iter().enumerate().try_for_each(|(k, result)| {
                    report(py, progress, result, reported - fresh.len() + k + 1, total)
                })
            });
            if let Err(err) = checked {
                if stopped_by.is_none() {
                    stop.store(true, Ordering::Relaxed);
                    stopped_by = Some(err);
                }
            }
            if done {
                break;
            }
        }
        let joined = worker.join().unwrap_or_else(Err);
        let results = match joined {
            Ok(Ok(results)) => results,
            Ok(Err(err)) if stopped_by.is_none() => return Err(run_error(&err)),
            Err(payload) if payload.downcast_ref::<Interrupted>().is_none() => {
                return Err(panic_error("run", &*payload));
            }
            // Stopped early: the runs that finished before the stop, in the study's order.
            Ok(Err(_)) | Err(_) => {
                let mut partial = std::mem::take(&mut *lock(&finished));
                partial.sort_by_key(|result| result.point.index);
                partial
            }
        };
        Ok(Outcome {
            results,
            stopped_by,
        })
    })
}

/// Tells the caller about one finished run.
fn report(
    py: Python<'_>,
    progress: &Progress,
    result: &RunResult,
    count: usize,
    total: usize,
) -> PyResult<()> {
    let (status, loss) = match result.status {
        RunStatus::Done => ("done".to_string(), result.loss_heldout),
        RunStatus::Diverged { step } => (format!("diverged at step {step}"), f64::NAN),
    };
    match progress {
        Progress::Silent => Ok(()),
        Progress::Print => {
            let axes: Vec<String> = result
                .point
                .axes
                .iter()
                .map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k)))
                .collect();
            let outcome = match result.status {
                RunStatus::Done => format!("L_heldout = {:.5}", result.loss_heldout),
                RunStatus::Diverged { step } => format!("DIVERGED at step {step}"),
            };
            let line = format!(
                "[{count:>3}/{total}] {} r{} {}  {outcome}  ({:.1} s)\n",
                result.point.run_id,
                result.point.replicate,
                axes.join(" "),
                result.seconds
            );
            let stderr = py.import("sys")?.getattr("stderr")?;
            stderr.call_method1("write", (line,))?;
            stderr.call_method0("flush").map(drop)
        }
        Progress::Callback(callback) => {
            let event = PyDict::new(py);
            event.set_item("finished", count)?;
            event.set_item("total", total)?;
            event.set_item("index", result.point.index)?;
            event.set_item("run_id", &result.point.run_id)?;
            event.set_item("replicate", result.point.replicate)?;
            event.set_item("status", status)?;
            event.set_item("loss_heldout", loss)?;
            event.set_item("seconds", result.seconds)?;
            callback.call1(py, (event,)).map(drop)
        }
    }
}

/// Trains every run of an experiment and returns the study.
///
/// Training runs with the GIL released, on ``threads`` worker threads (one run per thread;
/// results are bit-identical for any thread count). Ctrl-C stops the workers within about
/// 100 training steps and raises ``KeyboardInterrupt``; the runs that had finished are kept
/// on the exception as ``err.study`` (a :class:`Study` with ``interrupted == True``;
/// nothing is written to ``out`` then, call ``err.study.write(out)`` to keep them).
///
/// Parameters
/// ----------
/// spec : Spec or str or os.PathLike
///     The experiment, or the path of its TOML file.
/// out : str or os.PathLike, optional
///     If given, the report and tables are written there, as ``superscale run --out OUT``.
/// threads : int, optional
///     Worker threads (default: ``SUPERSCALE_THREADS``, else the number of cores).
/// progress : bool or callable, optional
///     True prints one line per finished run to ``sys.stderr`` as the CLI does; a callable
///     receives a dict per finished run (``finished``, ``total``, ``index``, ``run_id``,
///     ``replicate``, ``status``, ``loss_heldout``, ``seconds``); an exception it raises
///     stops the study like Ctrl-C.
///
/// Returns
/// -------
/// Study
///
/// Raises
/// ------
/// SpecError
///     If ``spec`` is a path to an invalid file.
/// RunError
///     If a run cannot be built or trained.
/// KeyboardInterrupt
///     On Ctrl-C, once the workers have stopped (``err.study`` holds the finished runs).
#[pyfunction]
#[pyo3(signature = (spec, out = None, threads = None, progress = None))]
pub fn run(
    py: Python<'_>,
    spec: &Bound<'_, PyAny>,
    out: Option<PathBuf>,
    threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyStudy> {
    let experiment = match spec.extract::<PyRef<'_, PySpec>>() {
        Ok(spec) => spec.inner.clone(),
        Err(_) => {
            let path: PathBuf = spec.extract().map_err(|_| {
                PyTypeError::new_err("spec must be a Spec or the path of a TOML file")
            })?;
            Arc::new(guard("run", || {
                Experiment::load(&path).map_err(|err| spec_error(py, &err))
            })?)
        }
    };
    let threads = match threads {
        Some(threads) => threads,
        None => match std::env::var("SUPERSCALE_THREADS") {
            Ok(text) => text.trim().parse().map_err(|_| {
                PyValueError::new_err(format!("SUPERSCALE_THREADS={text:?} is not a number"))
            })?,
            Err(_) => std::thread::available_parallelism().map_or(1, |n| n.get()),
        },
    };
    if threads == 0 {
        return Err(PyValueError::new_err("threads must be at least 1"));
    }
    let progress = match progress {
        None => Progress::Silent,
        Some(value) if value.is_callable() => Progress::Callback(value.clone().unbind()),
        Some(value) if value.extract::<bool>()? => Progress::Print,
        Some(_) => Progress::Silent,
    };
    if let Some(out) = &out {
        create_dir(out)?;
    }
    let outcome = run_interruptible(py, &experiment, threads, &progress)?;
    let interrupted = outcome.stopped_by.is_some();
    let study = PyStudy::new(py, experiment, outcome.results, interrupted)?;
    if let Some(err) = outcome.stopped_by {
        // Attaching the partial study can only fail for an exception type without a
        // __dict__; the exception is raised either way.
        let _ = err.value(py).setattr("study", Bound::new(py, study)?);
        return Err(err);
    }
    if let Some(out) = out {
        study.write(py, out)?;
    }
    Ok(study)
}
