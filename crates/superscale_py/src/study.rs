//! The `Study` that `superscale.run` returns, for every kind: its tables (as the CLI writes
//! them) and report, and for toy-model studies the runs' results and weights.
//!
//! A `Study` owns its analysis. The toy runs' weights were moved into numpy arrays once,
//! when the study was made, so `Study.weights` hands out the same read-only arrays every
//! time without copying. `Study.open(path)` analyses a run store of any kind; its toy runs'
//! weights come from the store's `.safetensors` files when they were saved.

use crate::errors::{detached, engine_error, guard, report_error, store_error, StoreError};
use crate::measure::{geometry_dict, Floats};
use crate::spec::PySpec;
use numpy::ndarray::Array2;
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::{PyIndexError, PyKeyError, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyString};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use superscale_kinds::toy::RunResult;
use superscale_kinds::{Analysed, AnyExperiment};
use superscale_store::{read_weights, weights_file, Store};

/// W (n × m) and b (n) of one run.
type Weights<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray1<f32>>);
/// The same arrays, held by the study between calls.
type HeldWeights = (Py<PyArray2<f32>>, Py<PyArray1<f32>>);

/// What only toy-model studies have: each run's result and weights.
struct Toy {
    results: Vec<RunResult>,
    /// (W, b) of each result, when held in memory
    arrays: Vec<Option<HeldWeights>>,
}

/// The results of a study of any kind.
///
/// Returned by :func:`superscale.run` and :meth:`Study.open`. Every kind's tables are
/// :meth:`tables` (pandas DataFrames named as the CLI's CSV files); toy-model studies also
/// hand out each run's weights, measurements and loss curve, addressed by the run's index
/// in the study's order (the ``index`` column of :meth:`results`) or by run id and
/// replicate.
#[pyclass(name = "Study", module = "superscale", frozen)]
pub struct PyStudy {
    experiment: Arc<AnyExperiment>,
    analysed: Analysed,
    toy: Option<Toy>,
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
    /// A study of an analysis; toy runs' weights move into numpy arrays.
    pub fn new(
        py: Python<'_>,
        experiment: Arc<AnyExperiment>,
        mut analysed: Analysed,
        store: Option<PathBuf>,
        interrupted: bool,
    ) -> PyResult<Self> {
        let toy = match analysed.toy.take() {
            Some(mut results) => {
                let mut arrays = Vec::with_capacity(results.len());
                for result in &mut results {
                    if result.weights.is_empty() {
                        arrays.push(None);
                        continue;
                    }
                    let (n, m) = result.point.spec.model.shape();
                    let weights = std::mem::take(&mut result.weights);
                    let bias = std::mem::take(&mut result.bias);
                    arrays.push(Some(Self::arrays(py, (n, m), weights, bias, result)?));
                }
                Some(Toy { results, arrays })
            }
            None => None,
        };
        let report = store
            .as_ref()
            .map(|dir| dir.join("report.html"))
            .filter(|path| path.is_file());
        Ok(Self {
            experiment,
            analysed,
            toy,
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

    /// The toy part, or a TypeError naming the kind.
    fn toy(&self, what: &str) -> PyResult<&Toy> {
        self.toy.as_ref().ok_or_else(|| {
            PyTypeError::new_err(format!(
                "{what} is a toy-model study's: this is a \"{}\" study (see Study.tables())",
                self.experiment.kind()
            ))
        })
    }

    /// The position in the toy results of the run at study index `key` (an int) or with
    /// run id `key` (a str) and `replicate`.
    fn position(&self, key: &Bound<'_, PyAny>, replicate: u32) -> PyResult<usize> {
        let toy = self.toy("a run's result")?;
        if key.is_instance_of::<PyString>() {
            let run_id: String = key.extract()?;
            return toy
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
        let total = self.experiment.runs() as i64;
        let wanted = if index < 0 { index + total } else { index };
        toy.results
            .iter()
            .position(|r| r.point.index as i64 == wanted)
            .ok_or_else(|| {
                PyIndexError::new_err(format!(
                    "no run with index {index} in this study of {} results",
                    toy.results.len()
                ))
            })
    }

    /// The text of the table `name` (with or without `.csv`).
    fn table_text(&self, name: &str) -> PyResult<&str> {
        let file = if name.ends_with(".csv") || name.ends_with(".md") {
            name.to_string()
        } else {
            format!("{name}.csv")
        };
        self.analysed
            .report
            .files
            .iter()
            .find(|(f, _)| *f == file)
            .map(|(_, text)| text.as_str())
            .ok_or_else(|| {
                PyKeyError::new_err(format!(
                    "this \"{}\" study has no table {name:?}; it has {}",
                    self.experiment.kind(),
                    self.table_names().join(", ")
                ))
            })
    }

    /// The CSV tables' names, without `.csv`.
    fn table_names(&self) -> Vec<String> {
        self.analysed
            .report
            .files
            .iter()
            .filter_map(|(f, _)| f.strip_suffix(".csv").map(String::from))
            .collect()
    }

    /// The kind's main table: `results.csv` when it has one, else its first table.
    fn main_table(&self) -> PyResult<&str> {
        let names = self.table_names();
        let name = if names.iter().any(|n| n == "results") {
            "results".to_string()
        } else {
            names.first().cloned().ok_or_else(|| {
                PyKeyError::new_err("this study has no tables (no run has finished)")
            })?
        };
        self.table_text(&name)
    }

    fn frame<'py>(py: Python<'py>, helper: &str, text: &str) -> PyResult<Bound<'py, PyAny>> {
        py.import("superscale._frames")?
            .getattr(helper)?
            .call1((text,))
    }
}

#[pymethods]
impl PyStudy {
    /// Opens a study of any kind from its run store (written by :func:`superscale.run`
    /// with ``store=`` or by ``superscale run``), holding every finished run of the store.
    ///
    /// Parameters
    /// ----------
    /// path : str or os.PathLike
    ///     The store directory (holding ``superscale.db``).
    /// threads : int, optional
    ///     Threads for the analysis (default: ``SUPERSCALE_THREADS``, else the cores).
    ///
    /// Returns
    /// -------
    /// Study
    ///     ``interrupted`` is True when the store still has runs to do. Toy-model weights
    ///     come from the store's ``.safetensors`` files; :meth:`weights` raises
    ///     :class:`StoreError` for a run whose weights were not saved.
    ///
    /// Raises
    /// ------
    /// StoreError
    ///     If ``path`` holds no store, or a damaged one.
    #[staticmethod]
    #[pyo3(signature = (path, threads = None))]
    fn open(py: Python<'_>, path: PathBuf, threads: Option<usize>) -> PyResult<Self> {
        let threads = threads
            .or_else(|| {
                std::env::var("SUPERSCALE_THREADS")
                    .ok()
                    .and_then(|t| t.trim().parse().ok())
            })
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let (experiment, store) = guard("Study.open", || {
            let store = Store::open(&path).map_err(|err| store_error(&err))?;
            let meta = store.meta();
            let experiment = AnyExperiment::parse(&meta.source, &meta.source_path)
                .map_err(|err| crate::errors::spec_error(py, &err))?;
            Ok((experiment, store))
        })?;
        let analysed = py
            .detach(|| experiment.analyse_store(&{ store }, threads, &Default::default()))
            .map_err(|err| engine_error(py, &err))?;
        let interrupted = analysed.incomplete;
        Self::new(py, Arc::new(experiment), analysed, Some(path), interrupted)
    }

    /// The experiment this study ran.
    #[getter]
    fn spec(&self) -> PySpec {
        PySpec {
            inner: self.experiment.clone(),
        }
    }

    /// The kind of the study (``"toy"``, ``"quanta"``, ``"platonic"``).
    #[getter]
    fn kind(&self) -> &str {
        self.experiment.kind()
    }

    /// The run id of every finished run held, in the study's order (toy-model studies), or
    /// of every run of the study (other kinds: see their tables for which finished).
    #[getter]
    fn run_ids(&self) -> Vec<String> {
        match &self.toy {
            Some(toy) => toy.results.iter().map(|r| r.point.run_id.clone()).collect(),
            None => self
                .experiment
                .rows()
                .into_iter()
                .map(|r| r.run_id)
                .collect(),
        }
    }

    /// True when the study was stopped (Ctrl-C) before every run finished, or was opened
    /// from a store with runs still to do; it then holds only the runs that had finished.
    #[getter]
    fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// The lines the CLI prints when the study ends (e.g. α_m per group).
    #[getter]
    fn headlines(&self) -> Vec<String> {
        self.analysed.report.headlines.clone()
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

    /// Every table the CLI writes beside the report, as pandas DataFrames keyed by name
    /// (``results``, ``curves``, ``exponents`` for toy models; ``tasks``, ``emergence``, …
    /// for quanta; ``pairs``, ``summary``, … for platonic studies).
    ///
    /// Returns
    /// -------
    /// dict of str to pandas.DataFrame
    fn tables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let tables = PyDict::new(py);
        for name in self.table_names() {
            tables.set_item(
                &name,
                Self::frame(py, "table_frame", self.table_text(&name)?)?,
            )?;
        }
        Ok(tables)
    }

    /// One table by name (see :meth:`tables`).
    ///
    /// Returns
    /// -------
    /// pandas.DataFrame
    fn table<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        Self::frame(py, "table_frame", self.table_text(name)?)
    }

    /// The text of a table, byte for byte what the CLI writes (``"results"`` or
    /// ``"results.csv"``; also ``"summary.md"`` and other text files of the kind).
    fn table_csv(&self, name: &str) -> PyResult<String> {
        self.table_text(name).map(String::from)
    }

    /// The kind's main table: one row per run for toy models and quanta (the columns of
    /// the CLI's ``results.csv``; toy losses in the paper's units, L = n × MSE, in columns
    /// ending ``_n_mse``), the kind's first table otherwise.
    ///
    /// Returns
    /// -------
    /// pandas.DataFrame
    fn results<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Self::frame(py, "results_frame", self.main_table()?)
    }

    /// :meth:`results` as a polars DataFrame (needs polars).
    ///
    /// Returns
    /// -------
    /// polars.DataFrame
    fn to_polars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Self::frame(py, "results_polars", self.main_table()?)
    }

    /// The curves in long form, as the CLI's ``curves.csv`` (toy: ``index, run_id,
    /// replicate, step, loss_batch_n_mse``; quanta: test loss per evaluation).
    ///
    /// Returns
    /// -------
    /// pandas.DataFrame
    fn curves<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Self::frame(py, "curves_frame", self.table_text("curves")?)
    }

    /// The fitted exponents, as the CLI's ``exponents.csv`` (toy: α_m of every group of
    /// runs that differ only in width; quanta: α_N and α_S per code exponent).
    ///
    /// Returns
    /// -------
    /// pandas.DataFrame
    fn exponents<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Self::frame(py, "exponents_frame", self.table_text("exponents")?)
    }

    /// The text of ``results.csv``, byte for byte what the CLI writes.
    fn results_csv(&self) -> PyResult<String> {
        self.table_text("results").map(String::from)
    }

    /// The text of ``curves.csv``.
    fn curves_csv(&self) -> PyResult<String> {
        self.table_text("curves").map(String::from)
    }

    /// The text of ``exponents.csv``.
    fn exponents_csv(&self) -> PyResult<String> {
        self.table_text("exponents").map(String::from)
    }

    /// The final parameters of one run of a toy-model study.
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
        let toy = self.toy("weights")?;
        if let Some((weights, bias)) = &toy.arrays[position] {
            return Ok((weights.bind(py).clone(), bias.bind(py).clone()));
        }
        let result = &toy.results[position];
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
        let tensor = |name: &str| {
            read.tensors
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, a)| match &a.data {
                    superscale_store::ArrayData::F32(v) => Some(v.clone()),
                    superscale_store::ArrayData::F64(_) => None,
                })
                .ok_or_else(|| {
                    StoreError::new_err(format!(
                        "{}: no f32 tensor {name} in the weights file",
                        path.display()
                    ))
                })
        };
        let shape = result.point.spec.model.shape();
        let (weights, bias) = Self::arrays(py, shape, tensor("W")?, tensor("b")?, result)?;
        Ok((weights.into_bound(py), bias.into_bound(py)))
    }

    /// The measurements recorded for one run of a toy-model study (see
    /// :func:`superscale.measure.geometry`), or None if it diverged.
    #[pyo3(signature = (run, replicate = 0))]
    fn geometry<'py>(
        &self,
        py: Python<'py>,
        run: &Bound<'py, PyAny>,
        replicate: u32,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let position = self.position(run, replicate)?;
        let result = &self.toy("measurements")?.results[position];
        let width = result.point.spec.model.width();
        result
            .geometry
            .as_ref()
            .map(|g| geometry_dict(py, g, width))
            .transpose()
    }

    /// The loss curve of one run of a toy-model study: (steps, batch losses) at log-spaced
    /// steps.
    #[pyo3(signature = (run, replicate = 0))]
    fn curve<'py>(
        &self,
        py: Python<'py>,
        run: &Bound<'py, PyAny>,
        replicate: u32,
    ) -> PyResult<(Bound<'py, PyArray1<u64>>, Floats<'py>)> {
        let position = self.position(run, replicate)?;
        let curve = &self.toy("a loss curve")?.results[position].curve;
        let steps = curve.iter().map(|(s, _)| *s).collect();
        let losses = curve.iter().map(|(_, l)| *l).collect();
        Ok((
            PyArray1::from_vec(py, steps),
            PyArray1::from_vec(py, losses),
        ))
    }

    /// Writes ``report.html``, the tables and ``spec.toml`` into ``out`` (created if
    /// needed), as ``superscale run --out`` does.
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
            self.analysed
                .report
                .write(&out)
                .map(|written| written.report)
                .map_err(|err| match err {
                    superscale_engine::Error::Report(err) => report_error(&err),
                    other => StoreError::new_err(other.to_string()),
                })
        })??;
        let text = path.display().to_string();
        *self.report.lock().unwrap_or_else(|p| p.into_inner()) = Some(path);
        Ok(text)
    }

    /// The figures of the study's report, in page order, as ``(id, title, svg)``: the
    /// figure's name (``"loss-vs-width"``, unique in the report and safe as a file name),
    /// what it shows (its caption, else its section's title) and its SVG text.
    ///
    /// Returns
    /// -------
    /// list of tuple of (str, str, str)
    fn figures(&self) -> Vec<(String, String, String)> {
        self.analysed
            .report
            .page
            .figures()
            .into_iter()
            .map(|f| (f.id, f.title, f.svg))
            .collect()
    }

    /// Writes each figure of the study's report into ``out`` (created if needed) as
    /// ``<id>.svg`` and ``<id>.png``, as ``superscale run --figures`` does: the report's
    /// SVG at its own size (SVG pixels, 96 per inch; 560 px wide for the common charts) and
    /// a PNG of it at ``scale`` pixels per SVG pixel, text in the bundled DejaVu Sans.
    ///
    /// Parameters
    /// ----------
    /// out : str or os.PathLike
    /// formats : sequence of str, optional
    ///     ``"svg"`` and/or ``"png"`` (default both).
    /// scale : float, optional
    ///     PNG pixels per SVG pixel, above 0 and at most 8 (default 2: 192 pixels per
    ///     inch, recorded in the PNG).
    ///
    /// Returns
    /// -------
    /// list of str
    ///     The paths written, in figure order, each figure's formats in the order given.
    ///
    /// Raises
    /// ------
    /// ValueError
    ///     For an unknown format or a scale out of range.
    /// OSError
    ///     If a file cannot be written.
    #[pyo3(signature = (out, formats = vec!["svg".to_string(), "png".to_string()], scale = superscale_report::export::DEFAULT_SCALE))]
    fn save_figures(
        &self,
        py: Python<'_>,
        out: PathBuf,
        formats: Vec<String>,
        scale: f32,
    ) -> PyResult<Vec<String>> {
        use superscale_report::export::{write_figures, ExportOptions, Format, MAX_SCALE};
        let formats = formats
            .iter()
            .map(|name| {
                Format::parse(name).ok_or_else(|| {
                    PyValueError::new_err(format!(
                        "formats: {name:?} is not a figure format (\"svg\" or \"png\")"
                    ))
                })
            })
            .collect::<PyResult<Vec<Format>>>()?;
        if !(scale.is_finite() && scale > 0.0 && scale <= MAX_SCALE) {
            return Err(PyValueError::new_err(format!(
                "scale {scale}: expected a number above 0 and at most {MAX_SCALE}"
            )));
        }
        let figures = self.analysed.report.page.figures();
        let options = ExportOptions { formats, scale };
        let paths = detached(py, "Study.save_figures", || {
            write_figures(&figures, &out, &options)
        })?
        .map_err(|err| report_error(&err))?;
        Ok(paths.iter().map(|p| p.display().to_string()).collect())
    }

    /// Number of finished runs held.
    fn __len__(&self) -> usize {
        self.analysed.report.finished
    }

    /// The study as HTML for Jupyter: its name, runs done and failed, the key table (the
    /// kind's exponents or headline numbers) and the main figure of its report, inline.
    fn _repr_html_(&self) -> String {
        let report = &self.analysed.report;
        let mut status = format!(
            "{} study, {} of {} runs done, {} failed",
            self.experiment.kind(),
            report.finished,
            self.experiment.runs(),
            report.failed
        );
        if self.interrupted {
            status += ", interrupted";
        }
        // The table of every run and the spec are the report's, not a summary's.
        superscale_report::preview(&report.page, &status, &["Runs", "Spec"], 12)
    }

    fn __repr__(&self) -> String {
        let state = if self.interrupted {
            ", interrupted"
        } else {
            ""
        };
        format!(
            "Study(name={:?}, kind={:?}, runs={}/{}{state})",
            self.experiment.name(),
            self.experiment.kind(),
            self.analysed.report.finished,
            self.experiment.runs()
        )
    }
}
