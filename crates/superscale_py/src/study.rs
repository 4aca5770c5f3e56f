//! The `Study` that `superscale.run` returns: results held in memory.
//!
//! A `Study` owns its runs' results; their weights were moved into numpy arrays once, when
//! the study was made, so `Study.weights` hands out the same read-only arrays every time
//! without copying. `Study.open(path)` fills the same fields from a run store; its runs'
//! weights come from the store's `.safetensors` files when they were saved.

use crate::errors::{detached, guard, report_error, store_error, StoreError};
use crate::measure::{geometry_dict, Floats};
use crate::spec::PySpec;
use numpy::ndarray::Array2;
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::{PyIndexError, PyKeyError, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyString};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use superscale_report::{curves_csv, exponents_csv, results_csv, write_study};
use superscale_kinds::{fit_width_exponents, RunResult, WidthExponent};
use superscale_spec::Experiment;
use superscale_store::{read_weights, weights_file, Store};

/// W (n × m) and b (n) of one run.
type Weights<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray1<f32>>);
/// The same arrays, held by the study between calls.
type HeldWeights = (Py<PyArray2<f32>>, Py<PyArray1<f32>>);

/// The results of a study: every run's losses, curve, geometry and weights.
///
/// Returned by :func:`superscale.run`. Runs are addressed by their index in the study's
/// order (the ``index`` column of :meth:`results`) or by run id and replicate.
#[pyclass(name = "Study", module = "superscale", frozen)]
pub struct PyStudy {
    experiment: Arc<Experiment>,
    results: Vec<RunResult>,
    exponents: Vec<WidthExponent>,
    /// (W, b) of each result, when held in memory (a run trained by this process)
    arrays: Vec<Option<HeldWeights>>,
    /// the store the study was read from or written to, where saved weights are looked up
    store: Option<PathBuf>,
    report: Mutex<Option<PathBuf>>,
    interrupted: bool,
}

/// Creates `out` and its parents, with the CLI's message on failure.
pub fn create_dir(out: &std::path::Path) -> PyResult<()> {
    std::fs::create_dir_all(out).map_err(|err| {
        PyOSError::new_err(format!(
            "cannot create the output directory {}: {err}",
            out.display()
        ))
    })
}

fn read_only(array: &Bound<'_, PyAny>) -> PyResult<()> {
    let flags = PyDict::new(array.py());
    flags.set_item("write", false)?;
    array.call_method("setflags", (), Some(&flags)).map(drop)
}

impl PyStudy {
    /// A study of `results` (in the study's order); their weights move into numpy arrays.
    pub fn new(
        py: Python<'_>,
        experiment: Arc<Experiment>,
        results: Vec<RunResult>,
        interrupted: bool,
    ) -> PyResult<Self> {
        Self::assemble(py, experiment, results, interrupted, None)
    }

    /// The finished runs of `store`; those in `fresh` (trained by this call) keep their
    /// weights in memory, the others are read from their weights files when asked for.
    pub fn from_store(
        py: Python<'_>,
        store: &Store,
        fresh: Vec<RunResult>,
        interrupted: bool,
    ) -> PyResult<Self> {
        let (experiment, mut results) = guard("Study.open", || {
            let experiment = store.experiment().map_err(|err| store_error(&err))?;
            let results = store.results().map_err(|err| store_error(&err))?;
            Ok((experiment, results))
        })?;
        let mut fresh: HashMap<(String, u32), RunResult> = fresh
            .into_iter()
            .map(|r| ((r.point.run_id.clone(), r.point.replicate), r))
            .collect();
        for result in &mut results {
            let key = (result.point.run_id.clone(), result.point.replicate);
            if let Some(trained) = fresh.remove(&key) {
                result.weights = trained.weights;
                result.bias = trained.bias;
            }
        }
        let experiment = Arc::new(experiment);
        Self::assemble(
            py,
            experiment,
            results,
            interrupted,
            Some(store.dir().to_path_buf()),
        )
    }

    fn assemble(
        py: Python<'_>,
        experiment: Arc<Experiment>,
        mut results: Vec<RunResult>,
        interrupted: bool,
        store: Option<PathBuf>,
    ) -> PyResult<Self> {
        let exponents = fit_width_exponents(&results);
        let mut arrays = Vec::with_capacity(results.len());
        for result in &mut results {
            if result.weights.is_empty() && store.is_some() {
                arrays.push(None);
                continue;
            }
            let (n, m) = result.point.spec.model.shape();
            let weights = std::mem::take(&mut result.weights);
            let bias = std::mem::take(&mut result.bias);
            arrays.push(Some(Self::arrays(py, (n, m), weights, bias, result)?));
        }
        let report = store
            .as_ref()
            .map(|dir| dir.join("report.html"))
            .filter(|path| path.is_file());
        Ok(Self {
            experiment,
            results,
            exponents,
            arrays,
            store,
            report: Mutex::new(report),
            interrupted,
        })
    }

    /// Read-only numpy arrays owning `weights` and `bias`.
    fn arrays(
        py: Python<'_>,
        shape: (usize, usize),
        weights: Vec<f32>,
        bias: Vec<f32>,
        result: &RunResult,
    ) -> PyResult<HeldWeights> {
        let weights = Array2::from_shape_vec(shape, weights).map_err(|err| {
            PyValueError::new_err(format!("weights of run {}: {err}", result.point.index))
        })?;
        let weights = PyArray2::from_owned_array(py, weights);
        let bias = PyArray1::from_vec(py, bias);
        read_only(weights.as_any())?;
        read_only(bias.as_any())?;
        Ok((weights.unbind(), bias.unbind()))
    }

    /// The position in `results` of the run at study index `key` (an int) or with run id
    /// `key` (a str) and `replicate`.
    fn position(&self, key: &Bound<'_, PyAny>, replicate: u32) -> PyResult<usize> {
        if key.is_instance_of::<PyString>() {
            let run_id: String = key.extract()?;
            return self
                .results
                .iter()
                .position(|r| r.point.run_id == run_id && r.point.replicate == replicate)
                .ok_or_else(|| {
                    PyKeyError::new_err(format!(
                        "no run {run_id} replicate {replicate} in this study"
                    ))
                });
        }
        if !key.is_instance_of::<PyInt>() {
            return Err(PyTypeError::new_err(
                "a run is addressed by its index (int) or run id (str)",
            ));
        }
        let index: i64 = key.extract()?;
        let total = self.experiment.points.len() as i64;
        let wanted = if index < 0 { index + total } else { index };
        self.results
            .iter()
            .position(|r| r.point.index as i64 == wanted)
            .ok_or_else(|| {
                PyIndexError::new_err(format!(
                    "no run with index {index} in this study of {} results",
                    self.results.len()
                ))
            })
    }

    fn frame<'py>(py: Python<'py>, helper: &str, text: String) -> PyResult<Bound<'py, PyAny>> {
        py.import("superscale._frames")?
            .getattr(helper)?
            .call1((text,))
    }
}

#[pymethods]
impl PyStudy {
    /// Opens a study from its run store (written by :func:`superscale.run` with ``store=``
    /// or by ``superscale run``), holding every finished run of the store.
    ///
    /// Parameters
    /// ----------
    /// path : str or os.PathLike
    ///     The store directory (holding ``superscale.db``).
    ///
    /// Returns
    /// -------
    /// Study
    ///     ``interrupted`` is True when the store still has runs to do. Weights come from
    ///     the store's ``.safetensors`` files; :meth:`weights` raises :class:`StoreError`
    ///     for a run whose weights were not saved.
    ///
    /// Raises
    /// ------
    /// StoreError
    ///     If ``path`` holds no store, or a damaged one.
    #[staticmethod]
    fn open(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let (store, runs) = guard("Study.open", || {
            let store = Store::open(&path).map_err(|err| store_error(&err))?;
            let runs = store.runs().map_err(|err| store_error(&err))?;
            Ok((store, runs))
        })?;
        let unfinished = runs.iter().any(|r| !r.state.is_finished());
        Self::from_store(py, &store, Vec::new(), unfinished)
    }

    /// The experiment this study ran.
    #[getter]
    fn spec(&self) -> PySpec {
        PySpec {
            inner: self.experiment.clone(),
        }
    }

    /// The run id of every run held, in the study's order.
    #[getter]
    fn run_ids(&self) -> Vec<String> {
        self.results
            .iter()
            .map(|r| r.point.run_id.clone())
            .collect()
    }

    /// True when the study was stopped (Ctrl-C) before every run finished, or was opened
    /// from a store with runs still to do; it then holds only the runs that had finished.
    #[getter]
    fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// Path of the last ``report.html`` written for this study, or None.
    #[getter]
    fn report(&self) -> Option<String> {
        self.report
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|p| p.display().to_string())
    }

    /// One row per run, the columns of the CLI's ``results.csv`` (losses in the paper's
    /// units, L = n × MSE, in columns ending ``_n_mse``).
    ///
    /// Returns
    /// -------
    /// pandas.DataFrame
    fn results<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Self::frame(py, "results_frame", results_csv(&self.results))
    }

    /// :meth:`results` as a polars DataFrame (needs polars).
    ///
    /// Returns
    /// -------
    /// polars.DataFrame
    fn to_polars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Self::frame(py, "results_polars", results_csv(&self.results))
    }

    /// The loss curves in long form (``index, run_id, replicate, step, loss_batch_n_mse``),
    /// as the CLI's ``curves.csv``.
    ///
    /// Returns
    /// -------
    /// pandas.DataFrame
    fn curves<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Self::frame(py, "curves_frame", curves_csv(&self.results))
    }

    /// The model exponent α_m of every group of runs that differ only in width: the OLS
    /// slope of ln L_heldout on ln m with its standard error and R², as ``exponents.csv``.
    ///
    /// Returns
    /// -------
    /// pandas.DataFrame
    fn exponents<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Self::frame(py, "exponents_frame", exponents_csv(&self.exponents))
    }

    /// The text of ``results.csv``, byte for byte what the CLI writes.
    fn results_csv(&self) -> String {
        results_csv(&self.results)
    }

    /// The text of ``curves.csv``.
    fn curves_csv(&self) -> String {
        curves_csv(&self.results)
    }

    /// The text of ``exponents.csv``.
    fn exponents_csv(&self) -> String {
        exponents_csv(&self.exponents)
    }

    /// The final parameters of one run.
    ///
    /// Parameters
    /// ----------
    /// run : int or str
    ///     The run's index in the study (negative counts from the end), or its run id.
    /// replicate : int, optional
    ///     The replicate, when ``run`` is a run id (default 0).
    ///
    /// Returns
    /// -------
    /// W : numpy.ndarray
    ///     float32, shape (n_features, n_hidden); read-only, shared with the study (no copy)
    ///     for a run trained in this process; read from the store's ``.safetensors`` file
    ///     for a study opened with :meth:`open` (or runs finished by an earlier call).
    /// b : numpy.ndarray
    ///     float32, shape (n_features,); read-only.
    #[pyo3(signature = (run, replicate = 0))]
    fn weights<'py>(
        &self,
        py: Python<'py>,
        run: &Bound<'py, PyAny>,
        replicate: u32,
    ) -> PyResult<Weights<'py>> {
        let position = self.position(run, replicate)?;
        if let Some((weights, bias)) = &self.arrays[position] {
            return Ok((weights.bind(py).clone(), bias.bind(py).clone()));
        }
        let result = &self.results[position];
        let point = &result.point;
        let dir = self.store.as_deref().unwrap_or(std::path::Path::new("."));
        let path = dir.join(weights_file(&point.run_id, point.replicate));
        if !path.is_file() {
            return Err(StoreError::new_err(format!(
                "{}: run {} replicate {} has no saved weights (no {}); weights are kept only \
                 when the study runs with save_weights=True (superscale run --save-weights)",
                dir.display(),
                point.run_id,
                point.replicate,
                weights_file(&point.run_id, point.replicate)
            )));
        }
        let read = detached(py, "Study.weights", || read_weights(&path))?
            .map_err(|err| store_error(&err))?;
        let (weights, bias) = Self::arrays(py, read.shape, read.weights, read.bias, result)?;
        Ok((weights.into_bound(py), bias.into_bound(py)))
    }

    /// The measurements recorded for one run (see :func:`superscale.measure.geometry`), or
    /// None if it diverged.
    #[pyo3(signature = (run, replicate = 0))]
    fn geometry<'py>(
        &self,
        py: Python<'py>,
        run: &Bound<'py, PyAny>,
        replicate: u32,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let result = &self.results[self.position(run, replicate)?];
        let width = result.point.spec.model.shape().1;
        result
            .geometry
            .as_ref()
            .map(|g| geometry_dict(py, g, width))
            .transpose()
    }

    /// The loss curve of one run: (steps, batch losses) at log-spaced steps.
    #[pyo3(signature = (run, replicate = 0))]
    fn curve<'py>(
        &self,
        py: Python<'py>,
        run: &Bound<'py, PyAny>,
        replicate: u32,
    ) -> PyResult<(Bound<'py, PyArray1<u64>>, Floats<'py>)> {
        let curve = &self.results[self.position(run, replicate)?].curve;
        let steps = curve.iter().map(|(s, _)| *s).collect();
        let losses = curve.iter().map(|(_, l)| *l).collect();
        Ok((
            PyArray1::from_vec(py, steps),
            PyArray1::from_vec(py, losses),
        ))
    }

    /// Writes ``report.html``, ``results.csv``, ``exponents.csv``, ``curves.csv`` and
    /// ``spec.toml`` into ``out`` (created if needed), as ``superscale run --out`` does.
    ///
    /// Parameters
    /// ----------
    /// out : str or os.PathLike
    ///
    /// Returns
    /// -------
    /// str
    ///     The path of ``report.html``.
    pub fn write(&self, py: Python<'_>, out: PathBuf) -> PyResult<String> {
        let path = detached(py, "Study.write", || -> PyResult<PathBuf> {
            create_dir(&out)?;
            write_study(&out, &self.experiment, &self.results, &self.exponents)
                .map_err(|err| report_error(&err))
        })??;
        let text = path.display().to_string();
        *self.report.lock().unwrap_or_else(|p| p.into_inner()) = Some(path);
        Ok(text)
    }

    /// Number of runs held.
    fn __len__(&self) -> usize {
        self.results.len()
    }

    fn __repr__(&self) -> String {
        let state = if self.interrupted {
            ", interrupted"
        } else {
            ""
        };
        format!(
            "Study(name={:?}, runs={}/{}{state})",
            self.experiment.name,
            self.results.len(),
            self.experiment.points.len()
        )
    }
}
