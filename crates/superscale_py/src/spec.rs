//! `superscale.Spec`: a validated, expanded experiment of any kind
//! (`superscale_kinds::AnyExperiment`).
//!
//! Every constructor ends in `AnyExperiment::parse` on TOML text, the CLI's own path, so the
//! canonical JSON and the run ids are the CLI's by construction.

use crate::errors::{guard, spec_error};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyMapping, PyString};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use superscale_kinds::AnyExperiment;

/// An experiment of any kind: its tables, a sweep and replicates, validated and expanded
/// into runs.
///
/// Build one from a TOML file (:meth:`Spec.from_toml`), from TOML text
/// (:meth:`Spec.from_str`) or from keyword arguments that mirror the TOML tables.
///
/// Parameters
/// ----------
/// name : str
///     The study's name (letters, digits, ``-``, ``_``, ``.``).
/// kind : str, optional
///     The kind of experiment (``"toy"``, the default, ``"quanta"``, ``"platonic"``).
/// sweep : dict, optional
///     Dotted field paths to lists of values, e.g. ``{"model.n_hidden": [10, 20, 40]}``.
///     Axes expand in the TOML order (sorted by path), the first varying slowest.
/// replicates : int, optional
///     Replicates per sweep point (default 1).
/// seed : int, optional
///     The study's seed (default 0).
/// description : str, optional
///     Free text.
/// **tables : dict
///     The kind's tables, e.g. for the toy kind ``model={"variant": "superposition_scaling",
///     "n_features": 1000, "n_hidden": 10, "alpha": 1.0, "weight_decay": -0.5556}``,
///     ``train={"steps": ..., "batch_size": ..., "schedule": {"kind": ...}}``, ``record=...``
///     and ``analysis=...``.
///
/// Raises
/// ------
/// SpecError
///     If a field is unknown or has an impossible value; the message names the line of the
///     TOML text generated from the arguments (``<Spec>:LINE``) and the field.
///
/// Examples
/// --------
/// >>> spec = superscale.Spec("demo", model={...}, train={...}, sweep={"model.n_hidden": [5, 10]})
/// >>> spec.run_ids
#[pyclass(name = "Spec", module = "superscale", frozen)]
#[derive(Clone)]
pub struct PySpec {
    pub inner: Arc<AnyExperiment>,
}

impl PySpec {
    fn parse(py: Python<'_>, text: &str, path: &Path) -> PyResult<Self> {
        guard("Spec", || {
            let experiment =
                AnyExperiment::parse(text, path).map_err(|err| spec_error(py, &err))?;
            // The study tables too, as `superscale run` checks them before training.
            experiment
                .check()
                .map_err(|err| crate::errors::engine_error(py, &err))?;
            Ok(Self {
                inner: Arc::new(experiment),
            })
        })
    }
}

#[pymethods]
impl PySpec {
    #[new]
    #[pyo3(signature = (name, *, kind = None, sweep = None, replicates = None, seed = None, description = None, **tables))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        kind: Option<&Bound<'_, PyAny>>,
        sweep: Option<&Bound<'_, PyAny>>,
        replicates: Option<&Bound<'_, PyAny>>,
        seed: Option<&Bound<'_, PyAny>>,
        description: Option<&Bound<'_, PyAny>>,
        tables: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let mut table = toml::Table::new();
        let fields = [
            ("name", Some(name)),
            ("description", description),
            ("kind", kind),
            ("seed", seed),
            ("replicates", replicates),
        ];
        for (key, value) in fields {
            if let Some(value) = value.filter(|v| !v.is_none()) {
                table.insert(key.to_string(), to_toml(value, key)?);
            }
        }
        for (key, value) in tables.iter().flat_map(|t| t.iter()) {
            let key: String = key.extract()?;
            if !value.is_none() {
                let value = to_toml(&value, &key)?;
                table.insert(key, value);
            }
        }
        if let Some(sweep) = sweep.filter(|v| !v.is_none()) {
            table.insert("sweep".into(), to_toml(sweep, "sweep")?);
        }
        let text = toml::to_string(&table)
            .map_err(|err| PyTypeError::new_err(format!("cannot write the spec as TOML: {err}")))?;
        Self::parse(py, &text, Path::new("<Spec>"))
    }

    /// Reads and validates an experiment file, exactly as ``superscale run FILE`` does.
    ///
    /// Parameters
    /// ----------
    /// path : str or os.PathLike
    ///     The TOML file.
    ///
    /// Returns
    /// -------
    /// Spec
    ///
    /// Raises
    /// ------
    /// SpecError
    ///     If the file cannot be read or is invalid (``file:line: field `name`: why``).
    #[staticmethod]
    fn from_toml(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        guard("Spec.from_toml", || {
            let experiment = AnyExperiment::load(&path).map_err(|err| spec_error(py, &err))?;
            experiment
                .check()
                .map_err(|err| crate::errors::engine_error(py, &err))?;
            Ok(Self {
                inner: Arc::new(experiment),
            })
        })
    }

    /// Validates an experiment given as TOML text.
    ///
    /// Parameters
    /// ----------
    /// text : str
    ///     The TOML text of an experiment file.
    /// path : str, optional
    ///     The name used in error messages (default ``"<string>"``).
    ///
    /// Returns
    /// -------
    /// Spec
    #[staticmethod]
    #[pyo3(signature = (text, path = "<string>"))]
    fn from_str(py: Python<'_>, text: &str, path: &str) -> PyResult<Self> {
        Self::parse(py, text, Path::new(path))
    }

    /// The study's name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The kind of experiment (``"toy"``, ``"quanta"``, ``"platonic"``).
    #[getter]
    fn kind(&self) -> &str {
        self.inner.kind()
    }

    /// The free-text description.
    #[getter]
    fn description(&self) -> &str {
        self.inner.description()
    }

    /// Replicates per sweep point.
    #[getter]
    fn replicates(&self) -> u32 {
        self.inner.replicates()
    }

    /// Where the spec was read from (``"<Spec>"`` or ``"<string>"`` when built in memory).
    #[getter]
    fn path(&self) -> String {
        self.inner.path().display().to_string()
    }

    /// The TOML text the spec was parsed from (written as ``spec.toml`` beside a report).
    #[getter]
    fn source(&self) -> &str {
        self.inner.source()
    }

    /// The run id of every run, in the study's order (replicates of a point share an id).
    #[getter]
    fn run_ids(&self) -> Vec<String> {
        self.inner.rows().into_iter().map(|p| p.run_id).collect()
    }

    /// The sweep axes in expansion order, as ``{dotted path: [values]}``.
    #[getter]
    fn axes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let axes = PyDict::new(py);
        for (axis, values) in self.inner.axes() {
            let list = PyList::empty(py);
            for value in values {
                list.append(from_toml(py, value)?)?;
            }
            axes.set_item(axis, list)?;
        }
        Ok(axes)
    }

    /// Every run as a dict: ``index``, ``run_id``, ``replicate``, ``seed``, ``axes`` (dict of
    /// the swept values as the CLI labels them) and ``canonical_json``.
    #[getter]
    fn points<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.inner
            .rows()
            .iter()
            .map(|point| {
                let dict = PyDict::new(py);
                dict.set_item("index", point.index)?;
                dict.set_item("run_id", &point.run_id)?;
                dict.set_item("replicate", point.replicate)?;
                dict.set_item("seed", point.seed)?;
                let axes = PyDict::new(py);
                for (axis, value) in &point.axes {
                    axes.set_item(axis, value)?;
                }
                dict.set_item("axes", axes)?;
                dict.set_item("canonical_json", &point.spec_json)?;
                Ok(dict)
            })
            .collect()
    }

    /// The canonical JSON of every run's spec, in the study's order: the text whose
    /// SHA-256 (after ``"superscale-run-v1\n"``) gives the run id.
    ///
    /// Returns
    /// -------
    /// list of str
    fn canonical_json(&self) -> Vec<String> {
        self.inner.rows().into_iter().map(|p| p.spec_json).collect()
    }

    /// The spec's TOML tables as nested dicts, so that ``Spec(**spec.to_dict())`` rebuilds
    /// it (with the same run ids) and a copy can be edited first.
    ///
    /// Returns
    /// -------
    /// dict
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let table: toml::Table =
            self.inner.source().parse().map_err(|err| {
                PyTypeError::new_err(format!("the spec's source is not TOML: {err}"))
            })?;
        from_toml(py, &toml::Value::Table(table))
    }

    /// Number of runs (sweep points × replicates).
    fn __len__(&self) -> usize {
        self.inner.runs()
    }

    fn __repr__(&self) -> String {
        format!(
            "Spec(name={:?}, kind={:?}, runs={})",
            self.inner.name(),
            self.inner.kind(),
            self.inner.runs()
        )
    }
}

/// A Python value as a TOML value: bool, int, float, str, mappings and other iterables.
fn to_toml(value: &Bound<'_, PyAny>, field: &str) -> PyResult<toml::Value> {
    if value.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(value.extract()?));
    }
    if value.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(value.extract()?));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(value.extract()?));
    }
    if let Ok(integer) = value.extract::<i64>() {
        return Ok(toml::Value::Integer(integer));
    }
    if let Ok(mapping) = value.downcast::<PyMapping>() {
        let mut table = toml::Table::new();
        for item in mapping.items()?.iter() {
            let (key, inner): (String, Bound<'_, PyAny>) = item.extract().map_err(|_| {
                PyTypeError::new_err(format!("{field}: the keys of a spec table must be strings"))
            })?;
            let path = format!("{field}.{key}");
            table.insert(key, to_toml(&inner, &path)?);
        }
        return Ok(toml::Value::Table(table));
    }
    if let Ok(iterator) = value.try_iter() {
        let items = iterator
            .map(|item| to_toml(&item?, field))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(toml::Value::Array(items));
    }
    // numpy floating scalars other than float64 (float32, ...) convert through float().
    if let Ok(number) = value.extract::<f64>() {
        return Ok(toml::Value::Float(number));
    }
    Err(PyTypeError::new_err(format!(
        "{field}: a {} cannot be written in a spec (use bool, int, float, str, dict or list)",
        value.get_type().name()?
    )))
}

/// A TOML value as a Python value (datetimes as their TOML text).
fn from_toml<'py>(py: Python<'py>, value: &toml::Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        toml::Value::String(text) => text.into_pyobject(py)?.into_any(),
        toml::Value::Integer(integer) => integer.into_pyobject(py)?.into_any(),
        toml::Value::Float(number) => number.into_pyobject(py)?.into_any(),
        toml::Value::Boolean(flag) => PyBool::new(py, *flag).to_owned().into_any(),
        toml::Value::Datetime(datetime) => datetime.to_string().into_pyobject(py)?.into_any(),
        toml::Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(from_toml(py, item)?)?;
            }
            list.into_any()
        }
        toml::Value::Table(table) => {
            let dict = PyDict::new(py);
            for (key, item) in table {
                dict.set_item(key, from_toml(py, item)?)?;
            }
            dict.into_any()
        }
    })
}
