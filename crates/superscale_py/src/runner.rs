//! `superscale.run`: runs a study without holding the GIL, and stops it on Ctrl-C.
//!
//! `run_study` trains on its own worker thread while the calling thread waits with the GIL
//! released, waking when a run finishes and at least every [`POLL`] to take the GIL
//! briefly: it runs Python's signal handlers (`PyErr_CheckSignals`, which only the main
//! thread may do) and reports progress. When a handler raises (KeyboardInterrupt from
//! Ctrl-C), a stop flag is set; every worker sees it at its next progress event (at most
//! 100 training steps later) and unwinds out of `run_study` with a private payload that
//! [`std::panic::resume_unwind`] throws without calling the panic hook, so nothing is
//! printed. Runs that had finished are kept: they were copied as they finished and, with a
//! store, committed by the store crate's [`Recorder`] as the CLI commits them, so a second
//! call resumes the study.
//!
//! A progress callable is called before the worker that finished the run takes another:
//! that worker waits until the callback has returned and pending signals have been checked.
//! So a callback that raises (or calls `_thread.interrupt_main()`) after the k-th finished
//! run stops a one-thread study with exactly k runs done, whatever the speed of the
//! machine; the wait costs a worker one wake-up of the calling thread per finished run.

use crate::errors::{guard, panic_error, run_error, spec_error, store_error, StoreError};
use crate::spec::PySpec;
use crate::study::PyStudy;
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
use superscale_spec::{Experiment, RunPoint};
use superscale_store::{Plan, Recorder, Store};

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

/// What the workers and the waiting thread share, under one lock.
#[derive(Default)]
struct Shared {
    /// runs finished so far, in the order they finished
    finished: Vec<RunResult>,
    /// how many of `finished` the caller has been told about (callbacks returned, signals
    /// checked after them)
    delivered: usize,
    /// `run_study` has returned
    done: bool,
}

/// [`Shared`] and the condition both sides wait on.
#[derive(Default)]
struct Board {
    shared: Mutex<Shared>,
    changed: Condvar,
}

impl Board {
    fn update<T>(&self, change: impl FnOnce(&mut Shared) -> T) -> T {
        let value = change(&mut lock(&self.shared));
        self.changed.notify_all();
        value
    }

    /// Waits up to `timeout` for `run_study` to return or for runs beyond the first
    /// `reported`; returns whether it has returned and the new runs.
    fn wait_news(&self, reported: usize, timeout: Duration) -> (bool, Vec<RunResult>) {
        let guard = lock(&self.shared);
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |shared| {
                !shared.done && shared.finished.len() == reported
            })
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (guard.done, guard.finished[reported..].to_vec())
    }

    /// Waits until the caller has been told about the first `count` finished runs, or the
    /// study is stopping.
    fn wait_delivered(&self, count: usize, stop: &AtomicBool) {
        let guard = lock(&self.shared);
        let _unused = self
            .changed
            .wait_while(guard, |shared| {
                shared.delivered < count && !stop.load(Ordering::Relaxed)
            })
            .unwrap_or_else(|poisoned| poisoned.into_inner());
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Trains `points` on `threads` workers with the GIL released, recording every event into
/// `recorder` when there is one (a run is committed as it finishes, before the worker
/// takes another; after a stop no run starts, so none is marked running needlessly).
pub fn run_interruptible(
    py: Python<'_>,
    points: &[RunPoint],
    threads: usize,
    progress: &Progress,
    recorder: Option<&Recorder>,
) -> PyResult<Outcome> {
    let stop = AtomicBool::new(false);
    let board = Board::default();
    let synchronous = matches!(progress, Progress::Callback(_));
    let on_event = |event: Event<'_>| {
        if matches!(event, Event::Started(_) | Event::Step(..)) && stop.load(Ordering::Relaxed) {
            resume_unwind(Box::new(Interrupted));
        }
        if let Some(recorder) = recorder {
            recorder.record(&event);
        }
        if let Event::Finished(result) = event {
            let count = board.update(|shared| {
                shared.finished.push(result.clone());
                shared.finished.len()
            });
            if synchronous {
                board.wait_delivered(count, &stop);
            }
        }
    };
    let total = points.len();
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let outcome = catch_unwind(AssertUnwindSafe(|| run_study(points, threads, &on_event)));
            board.update(|shared| shared.done = true);
            outcome
        });
        let mut stopped_by: Option<PyErr> = None;
        let mut reported = 0;
        loop {
            let (done, fresh) = py.detach(|| board.wait_news(reported, POLL));
            // After a stop, later signals are drained so a second Ctrl-C does not escape
            // while the workers wind down. Signals are checked again after the callbacks,
            // so an interrupt they raise stops the study before their workers go on.
            let checked = py.check_signals().and_then(|()| {
                fresh.iter().enumerate().try_for_each(|(k, result)| {
                    report(py, progress, result, reported + k + 1, total)
                })?;
                py.check_signals()
            });
            reported += fresh.len();
            if let Err(err) = checked {
                if stopped_by.is_none() {
                    stop.store(true, Ordering::Relaxed);
                    stopped_by = Some(err);
                }
            }
            // The stop flag is set before this update, so a worker waiting for delivery
            // sees it (or the new count) when woken.
            board.update(|shared| shared.delivered = reported);
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
                let mut partial = std::mem::take(&mut lock(&board.shared).finished);
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
/// on the exception as ``err.study`` (a :class:`Study` with ``interrupted == True``).
///
/// With ``store``, the study is written into that directory exactly as
/// ``superscale run SPEC --store DIR`` writes it: an SQLite store (``superscale.db``) with
/// one row per run, each run committed as soon as it finishes, then the report and tables.
/// An existing store is resumed: finished runs are skipped and runs left unfinished (by
/// Ctrl-C, a kill or a failure) are trained again, so an interrupted study resumed by a
/// second call ends bit-identical to an uninterrupted one. The returned study then holds
/// every finished run of the store, earlier calls' included.
///
/// Parameters
/// ----------
/// spec : Spec or str or os.PathLike
///     The experiment, or the path of its TOML file.
/// store : str or os.PathLike, optional
///     The study's store directory (new, empty or an existing store of this spec), as
///     ``superscale run --store``. Without it nothing is written.
/// threads : int, optional
///     Worker threads (default: ``SUPERSCALE_THREADS``, else the number of cores).
/// progress : bool or callable, optional
///     True prints one line per finished run to ``sys.stderr`` as the CLI does; a callable
///     receives a dict per finished run (``finished``, ``total``, ``index``, ``run_id``,
///     ``replicate``, ``status``, ``loss_heldout``, ``seconds``; ``total`` counts the runs
///     this call trains); an exception it raises stops the study like Ctrl-C. It is called
///     on the calling thread before the worker that trained the run takes another, so with
///     ``threads=1`` a callback that raises after the k-th run leaves exactly k runs done.
/// out : str or os.PathLike, optional
///     An alias of ``store`` (``superscale run --out``).
/// extend : bool, optional
///     Add the spec's new sweep points or replicates to an existing store, as ``--extend``
///     (without it, a spec with runs the store lacks raises :class:`StoreError`).
/// save_weights : bool, optional
///     Keep each run's final W and b as ``weights/<run id>-r<replicate>.safetensors`` in the
///     store, as ``--save-weights``, so :meth:`Study.open` can return them later.
///
/// Returns
/// -------
/// Study
///
/// Raises
/// ------
/// SpecError
///     If ``spec`` is a path to an invalid file.
/// StoreError
///     If the store cannot be opened or written, or holds another study (the CLI's message).
/// RunError
///     If a run cannot be built or trained (with a store, it is marked failed and rerun by
///     the next call).
/// KeyboardInterrupt
///     On Ctrl-C, once the workers have stopped (``err.study`` holds the finished runs; with
///     a store they are committed, and calling ``run`` again resumes).
#[pyfunction]
#[pyo3(signature = (spec, store = None, threads = None, progress = None, *, out = None, extend = false, save_weights = false))]
#[allow(clippy::too_many_arguments)]
pub fn run(
    py: Python<'_>,
    spec: &Bound<'_, PyAny>,
    store: Option<PathBuf>,
    threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
    out: Option<PathBuf>,
    extend: bool,
    save_weights: bool,
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
    let dir = match (store, out) {
        (Some(store), Some(out)) if store != out => {
            return Err(PyValueError::new_err(
                "store and out name the same argument (out is an alias of store); give one",
            ))
        }
        (store, out) => store.or(out),
    };
    if dir.is_none() && (extend || save_weights) {
        return Err(PyValueError::new_err(
            "extend and save_weights apply to a store: pass store=DIR",
        ));
    }
    let progress = match progress {
        None => Progress::Silent,
        Some(value) if value.is_callable() => Progress::Callback(value.clone().unbind()),
        Some(value) if value.extract::<bool>()? => Progress::Print,
        Some(_) => Progress::Silent,
    };
    let Some(dir) = dir else {
        let outcome = run_interruptible(py, &experiment.points, threads, &progress, None)?;
        let interrupted = outcome.stopped_by.is_some();
        let study = PyStudy::new(py, experiment, outcome.results, interrupted)?;
        return finish(py, study, outcome.stopped_by);
    };
    let plan = Plan {
        extend,
        shard: None,
    };
    let prepared = guard("run", || {
        Store::prepare(&dir, &experiment, &plan).map_err(|err| store_error(&err))
    })?;
    if let Progress::Print = progress {
        let line = prepared.summary(&experiment.name, threads);
        let stderr = py.import("sys")?.getattr("stderr")?;
        stderr.call_method1("write", (format!("{line}\n"),))?;
    }
    let recorder = Recorder::new(prepared.store, save_weights);
    let outcome = run_interruptible(py, &prepared.todo, threads, &progress, Some(&recorder));
    let (store, failure) = recorder.finish();
    let outcome = outcome?;
    if let Some(err) = failure {
        return Err(StoreError::new_err(format!(
            "{err} (the store could not record a run; the runs committed before are kept)"
        )));
    }
    let interrupted = outcome.stopped_by.is_some();
    let study = PyStudy::from_store(py, &store, outcome.results, interrupted)?;
    if !interrupted {
        study.write(py, dir)?;
    }
    finish(py, study, outcome.stopped_by)
}

/// The study, or the exception that stopped it with the partial study attached.
fn finish(py: Python<'_>, study: PyStudy, stopped_by: Option<PyErr>) -> PyResult<PyStudy> {
    match stopped_by {
        None => Ok(study),
        Some(err) => {
            // Attaching the partial study can only fail for an exception type without a
            // __dict__; the exception is raised either way.
            let _ = err.value(py).setattr("study", Bound::new(py, study)?);
            Err(err)
        }
    }
}
