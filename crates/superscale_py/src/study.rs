//! The `Study` that `superscale.run` returns: results held in memory.
//!
//! A `Study` owns its runs' results; their weights were moved into numpy arrays once, when
//! the study was made, so `Study.weights` hands out the same read-only arrays every time
//! without copying. A later `Study.open(path)` (the SQLite store) only needs another way to
//! fill the same fields.

use crate::errors::{detached, report_error};
use crate::measure::{geometry_dict, Floats};
use crate::spec::PySpec;
use numpy::ndarray::Array2;
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::{PyIndexError, PyKeyError, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyString};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use superscale_report::{curves_csv, exponents_csv, results_csv, write_study};
use superscale_run::{fit_width_exponents, RunResult, WidthExponent};
use superscale_spec::Experiment;

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
    /// (W, b) of each result
    arrays: Vec<HeldWeights>,
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
        mut results: Vec<RunResult>,
        interrupted: bool,
    ) -> PyResult<Self> {
        let exponents = fit_width_exponents(&results);
        let mut arrays = Vec::with_capacity(results.len());
        for result in &mut results {
            let (n, m) = result.point.spec.model.shape();
            let weights = Array2::from_shape_vec((n, m), std::mem::take(&mut result.weights))
                .map_err(|err| {
                    PyValueError::new_err(format!("weights of run {}: {err}", result.point.index))
                })?;
            let weights = PyArray2::from_owned_array(py, weights);
            let bias = PyArray1::from_vec(py, std::mem::take(&mut result.bias));
            read_only(weights.as_any())?;
            read_only(bias.as_any())?;
            arrays.push((weights.unbind(), bias.unbind()));
        }
        let report = Mutex::new(None);
        Ok(Self {
            experiment,
            results,
            exponents,
            arrays,
            report,
            interrupted,
        })
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

    /// True when the study was stopped (Ctrl-C) before every run finished; it then holds
    /// only the runs that had finished.
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
    ///     float32, shape (n_features, n_hidden); read-only, shared with the study (no copy).
    /// b : numpy.ndarray
    ///     float32, shape (n_features,); read-only.
    #[pyo3(signature = (run, replicate = 0))]
    fn weights<'py>(
        &self,
        py: Python<'py>,
        run: &Bound<'py, PyAny>,
        replicate: u32,
    ) -> PyResult<Weights<'py>> {
        let (weights, bias) = &self.arrays[self.position(run, replicate)?];
        Ok((weights.bind(py).clone(), bias.bind(py).clone()))
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
