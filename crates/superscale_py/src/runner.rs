//! `superscale.run`: runs a study without holding the GIL, and stops it on Ctrl-C.
//!
//! `run_study` trains on its own worker thread while the calling thread waits with the GIL
//! released, waking every [`POLL`] to take the GIL briefly: it runs Python's signal
//! handlers (`PyErr_CheckSignals`, which only the main thread may do) and reports progress.
//! When a handler raises (KeyboardInterrupt from Ctrl-C), a stop flag is set; every worker
//! sees it at its next progress event (at most 100 training steps later) and leaves its job
//! by unwinding with the engine's `Stopped` payload ([`std::panic::resume_unwind`] throws it
//! without calling the panic hook, so nothing is printed); the scheduler catches it and
//! starts no other job. Runs that had finished are kept: in memory they are analysed into
//! the partial study, and with a store they were committed as they finished, exactly as
//! the CLI commits them, so a second call resumes the study.
//!
//! A progress callable is called before the worker that finished the run takes another:
//! that worker waits until the callback has returned and pending signals have been checked.
//! So a callback that raises (or calls `_thread.interrupt_main()`) after the k-th finished
//! run stops a one-thread study with exactly k runs done, whatever the speed of the
//! machine; the wait costs a worker one wake-up of the calling thread per finished run.

use crate::errors::{engine_error, guard, panic_error, spec_error, SuperscaleError};
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
use superscale_engine::{Observer, Options, RunLabel, Summary, Update};
use superscale_kinds::AnyExperiment;
use superscale_store::{End, Store};

/// How often the waiting thread takes the GIL to check for signals and report progress.
const POLL: Duration = Duration::from_millis(50);

/// What the caller asked to hear while the study runs.
pub enum Progress {
    /// nothing
    Silent,
    /// one line per finished run on `sys.stderr`, as the CLI prints
    Print,
    /// a Python callable receiving a dict per finished run
    Callback(Py<PyAny>),
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A finished or failed run, queued by a worker for the calling thread to report.
enum Ended {
    Finished(RunLabel, Summary),
    Failed(RunLabel, String),
}

/// The study's plan line, its number of runs to do and its headline column.
type Planned = (String, usize, Option<String>);

/// What the workers and the waiting thread share, under one lock.
#[derive(Default)]
struct Shared {
    /// the study's plan line, its number of runs to do and its headline column
    planned: Option<Planned>,
    /// runs ended so far, in the order they ended
    ended: Vec<Ended>,
    /// how many of `ended` the caller has been told about (callbacks returned, signals
    /// checked after them)
    delivered: usize,
    /// the study has returned
    done: bool,
}

/// The engine's observer of a Python call, and the board both sides wait on: workers post
/// what ended (and, with a progress callable, wait until the caller has been told), the
/// calling thread (the only one that may run Python code and signal handlers) reports it,
/// and a worker stops at its next progress report once a stop is asked for.
#[derive(Default)]
struct Board {
    shared: Mutex<Shared>,
    changed: Condvar,
    stop: AtomicBool,
    /// workers wait for delivery (a progress callable is listening)
    synchronous: bool,
}

impl Board {
    fn update<T>(&self, change: impl FnOnce(&mut Shared) -> T) -> T {
        let value = change(&mut lock(&self.shared));
        self.changed.notify_all();
        value
    }

    /// Waits up to `timeout` for the study to return or for news beyond the first
    /// `reported` runs; returns whether it has returned, the plan (once) and the new runs.
    fn wait_news(&self, reported: usize, timeout: Duration) -> (bool, Option<Planned>, Vec<Ended>) {
        let guard = lock(&self.shared);
        let (mut guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |shared| {
                !shared.done && shared.ended.len() == reported && shared.planned.is_none()
            })
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let fresh = guard.ended[reported..]
            .iter()
            .map(|ended| match ended {
                Ended::Finished(label, summary) => Ended::Finished(label.clone(), *summary),
                Ended::Failed(label, message) => Ended::Failed(label.clone(), message.clone()),
            })
            .collect();
        (guard.done, guard.planned.take(), fresh)
    }

    /// Waits until the caller has been told about the first `count` runs, or the study is
    /// stopping.
    fn wait_delivered(&self, count: usize) {
        let guard = lock(&self.shared);
        let _unused = self
            .changed
            .wait_while(guard, |shared| {
                shared.delivered < count && !self.stop.load(Ordering::Relaxed)
            })
            .unwrap_or_else(|poisoned| poisoned.into_inner());
    }

    fn ended(&self, ended: Ended) {
        let count = self.update(|shared| {
            shared.ended.push(ended);
            shared.ended.len()
        });
        if self.synchronous {
            self.wait_delivered(count);
        }
    }
}

impl Observer for Board {
    fn update(&self, update: Update<'_>) {
        match update {
            Update::Planned {
                summary,
                todo,
                headline,
            } => {
                let planned = (summary.to_string(), todo.len(), headline.map(String::from));
                Board::update(self, |shared| shared.planned = Some(planned));
            }
            Update::Started(_) | Update::Step(..) => {
                if self.stop.load(Ordering::Relaxed) {
                    resume_unwind(Box::new(superscale_engine::Stopped));
                }
            }
            Update::Finished(label, summary) => self.ended(Ended::Finished(label.clone(), summary)),
            Update::Failed(label, err) => {
                self.ended(Ended::Failed(label.clone(), err.message.clone()))
            }
        }
    }
}

/// Runs `work` (a study, given the board as its observer and the stop flag) on its own
/// thread with the GIL released, reporting progress and checking signals from the calling
/// thread whenever a run ends and at least every [`POLL`]. Returns what `work` returned and
/// the Python exception that stopped it, if any.
fn interruptible<T: Send>(
    py: Python<'_>,
    progress: &Progress,
    announce: bool,
    work: impl FnOnce(&Board) -> T + Send,
) -> PyResult<(Option<T>, Option<PyErr>)> {
    let board = Board {
        synchronous: matches!(progress, Progress::Callback(_)),
        ..Board::default()
    };
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let outcome = catch_unwind(AssertUnwindSafe(|| work(&board)));
            board.update(|shared| shared.done = true);
            outcome
        });
        let mut stopped_by: Option<PyErr> = None;
        let mut reported = 0;
        let mut total = 0;
        let mut headline = None;
        loop {
            let (done, planned, fresh) = py.detach(|| board.wait_news(reported, POLL));
            // After a stop, later signals are drained so a second Ctrl-C does not escape
            // while the workers wind down. Signals are checked again after the callbacks,
            // so an interrupt they raise stops the study before their workers go on.
            let checked = py.check_signals().and_then(|()| {
                if let Some((summary, todo, name)) = planned {
                    total = todo;
                    headline = name;
                    if let (Progress::Print, true) = (progress, announce) {
                        write_stderr(py, &format!("{summary}\n"))?;
                    }
                }
                fresh.iter().enumerate().try_for_each(|(k, ended)| {
                    report(
                        py,
                        progress,
                        ended,
                        reported + k + 1,
                        total,
                        headline.as_deref(),
                    )
                })?;
                py.check_signals()
            });
            reported += fresh.len();
            if let Err(err) = checked {
                if stopped_by.is_none() {
                    board.stop.store(true, Ordering::Relaxed);
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
        match worker.join().unwrap_or_else(Err) {
            Ok(value) => Ok((Some(value), stopped_by)),
            Err(payload) => Err(panic_error("run", &*payload)),
        }
    })
}

fn write_stderr(py: Python<'_>, text: &str) -> PyResult<()> {
    let stderr = py.import("sys")?.getattr("stderr")?;
    stderr.call_method1("write", (text,))?;
    stderr.call_method0("flush").map(drop)
}

/// Tells the caller about one finished or failed run.
fn report(
    py: Python<'_>,
    progress: &Progress,
    ended: &Ended,
    count: usize,
    total: usize,
    headline: Option<&str>,
) -> PyResult<()> {
    let (label, status, value, seconds) = match ended {
        Ended::Finished(label, summary) => {
            let status = match summary.end {
                End::Done => "done".to_string(),
                End::Diverged { step } => format!("diverged at step {step}"),
            };
            let value = match summary.end {
                End::Done => summary.headline.unwrap_or(f64::NAN),
                End::Diverged { .. } => f64::NAN,
            };
            (label, status, value, summary.seconds)
        }
        Ended::Failed(label, message) => (label, format!("failed: {message}"), f64::NAN, f64::NAN),
    };
    match progress {
        Progress::Silent => Ok(()),
        Progress::Print => {
            let outcome = match (ended, headline) {
                (Ended::Finished(_, s), _) if matches!(s.end, End::Diverged { .. }) => {
                    status.to_uppercase()
                }
                (Ended::Finished(..), Some(name)) => format!("{name} = {value:.5}"),
                _ => status.clone(),
            };
            write_stderr(
                py,
                &format!(
                    "[{count:>3}/{total}] {}  {outcome}  ({seconds:.1} s)\n",
                    label.text()
                ),
            )
        }
        Progress::Callback(callback) => {
            let event = PyDict::new(py);
            event.set_item("finished", count)?;
            event.set_item("total", total)?;
            event.set_item("index", label.index)?;
            event.set_item("run_id", &label.run_id)?;
            event.set_item("replicate", label.replicate)?;
            event.set_item("status", status)?;
            event.set_item("headline", headline)?;
            event.set_item("value", value)?;
            // The toy kind's headline under its old name, for callbacks written before kinds.
            if headline == Some("loss_heldout_n_mse") {
                event.set_item("loss_heldout", value)?;
            }
            event.set_item("seconds", seconds)?;
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
///     ``replicate``, ``status``, ``headline`` (the kind's headline column, e.g.
///     ``loss_heldout_n_mse``), ``value`` (its value), ``seconds``, and for toy models
///     ``loss_heldout``; ``total`` counts the runs this call trains); an exception it
///     raises stops the study like Ctrl-C.
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
                AnyExperiment::load(&path).map_err(|err| spec_error(py, &err))
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
        let (analysed, stopped_by) = interruptible(py, &progress, false, |board| {
            experiment.run_in_memory(threads, &board.stop, board)
        })?;
        let analysed = match analysed {
            Some(analysed) => analysed.map_err(|err| engine_error(py, &err))?,
            // Stopped by unwinding: the runs in memory are lost with the workers' stacks.
            None => {
                return Err(stopped_by.unwrap_or_else(|| {
                    SuperscaleError::new_err("the study stopped without a result")
                }))
            }
        };
        let study = PyStudy::new(py, experiment, analysed, None, stopped_by.is_some())?;
        return finish(py, study, stopped_by);
    };
    let options = Options {
        dir: dir.clone(),
        extend,
        shard: None,
        save_weights,
        threads,
        keep_trained: true,
        write_report: false,
    };
    let (outcome, stopped_by) = interruptible(py, &progress, true, |board| {
        experiment.run(&options, &board.stop, board)
    })?;
    let mut trained = superscale_engine::Trained::new();
    if let Some(outcome) = outcome {
        let outcome = outcome.map_err(|err| engine_error(py, &err))?;
        if let (Some(first), None) = (outcome.failures.first(), &stopped_by) {
            return Err(crate::errors::RunError::new_err(format!(
                "{first} ({} run(s) failed; with a store they are marked failed and rerun by the next call)",
                outcome.failures.len()
            )));
        }
        trained = outcome.trained;
    }
    // The study as the store now holds it: every finished run, earlier calls' included.
    let store = guard("run", || {
        Store::open(&dir).map_err(|err| crate::errors::store_error(&err))
    })?;
    let analysed = py
        .detach(|| experiment.analyse_store(&{ store }, threads, &trained))
        .map_err(|err| engine_error(py, &err))?;
    let interrupted = stopped_by.is_some() || analysed.incomplete;
    let study = PyStudy::new(py, experiment, analysed, Some(dir.clone()), interrupted)?;
    if !interrupted {
        study.write(py, dir)?;
    }
    finish(py, study, stopped_by)
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
