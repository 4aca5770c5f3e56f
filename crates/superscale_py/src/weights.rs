//! Real weight matrices from Python: everything `superscale weights` does (listing, reading
//! `.safetensors/.npy/.npz/.gguf`, the full geometry with exact or sampled overlaps; the
//! family fits of MSO and loss against m are in `weights_family.rs`): files read by
//! `superscale_weights`, measured by `superscale_measure`.
//!
//! Errors are [`MeasureError`] with the CLI's messages (the weights crate's `Display` text);
//! reading, measuring and fitting run with the GIL released.

use crate::errors::{detached, MeasureError};
use numpy::{AllowTypeChange, PyArray1, PyArrayLike2, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use superscale_measure::{
    measure_matrix, AmbiguityOptions, MeasureOptions, NonFiniteRows, OverlapMethod, Precision,
    WeightStats,
};
use superscale_weights::{chosen_tensor, Matrix, Orientation, WeightFile};

pub(crate) fn weights_error(err: &superscale_weights::Error) -> PyErr {
    MeasureError::new_err(err.to_string())
}

pub(crate) fn orientation(features: &str) -> PyResult<Orientation> {
    match features {
        "rows" => Ok(Orientation::Rows),
        "columns" => Ok(Orientation::Columns),
        other => Err(MeasureError::new_err(format!(
            "features={other:?}: expected \"rows\" or \"columns\""
        ))),
    }
}

/// The options of `superscale weights`, checked as the CLI checks them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn options(
    thresholds: Option<Vec<f64>>,
    exact_limit: usize,
    sampled: bool,
    pairs: usize,
    seed: u64,
    precision: &str,
    ambiguity: bool,
    ambiguity_tolerance: f64,
    non_finite: &str,
) -> PyResult<MeasureOptions> {
    let non_finite = NonFiniteRows::from_name(non_finite).ok_or_else(|| {
        MeasureError::new_err(format!(
            "non_finite={non_finite:?}: expected \"refuse\", \"drop\" or \"zero\""
        ))
    })?;
    let thresholds = thresholds.unwrap_or_default();
    if let Some(t) = thresholds.iter().find(|t| !t.is_finite()) {
        return Err(MeasureError::new_err(format!(
            "--threshold {t}: must be a finite number"
        )));
    }
    if pairs == 0 {
        return Err(MeasureError::new_err("--pairs must be at least 1"));
    }
    if !(ambiguity_tolerance > 0.0 && ambiguity_tolerance < 1.0) {
        return Err(MeasureError::new_err(format!(
            "--ambiguity-tolerance {ambiguity_tolerance}: must lie in (0, 1)"
        )));
    }
    let precision = match precision {
        "f64" => Precision::F64,
        "f32" => Precision::F32,
        other => {
            return Err(MeasureError::new_err(format!(
                "precision={other:?}: expected \"f64\" or \"f32\""
            )))
        }
    };
    Ok(MeasureOptions {
        exact_limit,
        force_sampled: sampled,
        pairs,
        seed,
        thresholds,
        precision,
        ambiguity: ambiguity.then_some(AmbiguityOptions {
            tolerance: ambiguity_tolerance,
            ..AmbiguityOptions::default()
        }),
        non_finite,
        ..MeasureOptions::default()
    })
}

fn open(path: &Path) -> superscale_weights::Result<WeightFile> {
    if !path.exists() {
        // The CLI's wording (`superscale weights` checks existence before opening).
        return Err(superscale_weights::Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    WeightFile::open(path)
}

pub(crate) fn read_matrix(
    path: &Path,
    tensor: Option<&str>,
    orientation: Orientation,
) -> superscale_weights::Result<(WeightFile, Matrix)> {
    let file = open(path)?;
    let name = chosen_tensor(&file, tensor)?;
    let matrix = file.matrix(&name, orientation)?;
    Ok((file, matrix))
}

/// Everything of [`WeightStats`] as a flat dict: scalars under the `weights.csv` column
/// names, per-feature arrays as numpy.
pub(crate) fn stats_dict<'py>(
    py: Python<'py>,
    matrix: &Matrix,
    stats: &WeightStats,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("tensor", &matrix.tensor)?;
    d.set_item("dtype", &matrix.dtype)?;
    d.set_item("features", matrix.orientation.name())?;
    d.set_item("n", stats.rows)?;
    d.set_item("m", stats.width)?;
    d.set_item("row_norms", PyArray1::from_slice(py, &stats.row_norms))?;
    let n = &stats.norms;
    d.set_item("norm_mean", n.mean)?;
    d.set_item("norm_sd", n.sd)?;
    d.set_item("norm_min", n.min)?;
    d.set_item("norm_max", n.max)?;
    d.set_item("norm_histogram", n.histogram.clone())?;
    d.set_item("phi_half", stats.phi_half)?;
    d.set_item("phi_one", stats.phi_one)?;
    let phi = PyDict::new(py);
    for (threshold, fraction) in &stats.phi {
        phi.set_item(threshold, fraction)?;
    }
    d.set_item("phi", phi)?;
    d.set_item("dims_per_feature", stats.dimensions_per_feature)?;
    let o = &stats.overlap;
    let (method, pairs, seed) = match o.method {
        OverlapMethod::Exact => ("exact", None, None),
        OverlapMethod::Sampled { pairs, seed } => ("sampled", Some(pairs), Some(seed)),
    };
    d.set_item("method", method)?;
    d.set_item("pairs", pairs)?;
    d.set_item("seed", seed)?;
    d.set_item("mso", o.mean_sq)?;
    d.set_item("mso_ci", o.mean_sq_ci)?;
    d.set_item("var_sq_overlap", o.variance_sq)?;
    d.set_item("mean_abs_cos", o.mean_abs)?;
    d.set_item("mean_abs_cos_ci", o.mean_abs_ci)?;
    d.set_item("welch_sq", stats.welch_sq)?;
    d.set_item("m_mso", stats.m_times_mso)?;
    d.set_item("zero_rows", stats.zero_rows)?;
    let found = stats.non_finite.as_ref();
    d.set_item("non_finite_entries", found.map_or(0, |f| f.entries))?;
    d.set_item("non_finite_rows", found.map_or(0, |f| f.rows))?;
    d.set_item("non_finite", found.map(|f| f.handling.name()))?;
    let per = stats.per_feature.as_ref();
    let array = |v: Option<&Vec<f64>>| v.map(|v| PyArray1::from_slice(py, v));
    d.set_item("dimensionality", array(per.map(|p| &p.dimensionality)))?;
    d.set_item("interference", array(per.map(|p| &p.interference)))?;
    d.set_item("mean_dimensionality", per.map(|p| p.mean_dimensionality))?;
    d.set_item("mean_interference", per.map(|p| p.mean_interference))?;
    d.set_item("dimensionality_peaks", per.map(|p| p.peaks.clone()))?;
    let a = stats.ambiguity.as_ref();
    d.set_item("ambiguity", a.map(|a| a.value))?;
    d.set_item("ambiguity_error_bound", a.map(|a| a.error_bound))?;
    d.set_item("ambiguity_iterations", a.map(|a| a.iterations))?;
    d.set_item("ambiguity_converged", a.map(|a| a.converged))?;
    Ok(d)
}

/// The tensors of a weight file (``superscale weights FILE`` without ``--tensor``).
///
/// Parameters
/// ----------
/// path : str or os.PathLike
///     A ``.safetensors``, ``.npy``, ``.npz`` or ``.gguf`` file.
///
/// Returns
/// -------
/// list of dict
///     ``name``, ``dtype`` (as the file spells it) and ``shape`` (row-major; GGUF's ne
///     reversed) of every tensor.
#[pyfunction]
#[pyo3(name = "weights_tensors")]
pub fn tensors<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyList>> {
    let found = detached(py, "weights.tensors", || open(&path)?.tensors())?
        .map_err(|err| weights_error(&err))?;
    let list = PyList::empty(py);
    for t in found {
        let d = PyDict::new(py);
        d.set_item("name", t.name)?;
        d.set_item("dtype", t.dtype)?;
        d.set_item("shape", t.shape)?;
        list.append(d)?;
    }
    Ok(list)
}

/// The string metadata of a safetensors header (``__metadata__``): for files written by
/// ``superscale run --save-weights``, ``loss`` (held-out, n × MSE), ``n_features``,
/// ``n_hidden``, ``weight_decay``, ``alpha``, ``seed``, ``run_id`` and ``spec``.
///
/// Parameters
/// ----------
/// path : str or os.PathLike
///
/// Returns
/// -------
/// dict of str to str
///     Empty for other formats and for files without metadata.
#[pyfunction]
#[pyo3(name = "weights_metadata")]
pub fn metadata(py: Python<'_>, path: PathBuf) -> PyResult<BTreeMap<String, String>> {
    detached(py, "weights.metadata", || open(&path)?.metadata())?.map_err(|err| weights_error(&err))
}

/// One 2-D tensor of a weight file as float64, features as rows.
///
/// Parameters
/// ----------
/// path : str or os.PathLike
/// tensor : str, optional
///     The tensor's name; default the file's only 2-D tensor.
/// features : {"rows", "columns"}
///     Which axis indexes the features; ``"columns"`` transposes.
///
/// Returns
/// -------
/// numpy.ndarray, shape (n_features, m), float64
#[pyfunction]
#[pyo3(name = "weights_read", signature = (path, tensor = None, features = "rows"))]
pub fn read<'py>(
    py: Python<'py>,
    path: PathBuf,
    tensor: Option<String>,
    features: &str,
) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
    let orientation = orientation(features)?;
    let (_, matrix) = detached(py, "weights.read", || {
        read_matrix(&path, tensor.as_deref(), orientation)
    })?
    .map_err(|err| weights_error(&err))?;
    PyArray1::from_vec(py, matrix.data).reshape([matrix.rows, matrix.columns])
}

/// The geometry of one matrix, as ``superscale weights FILE --tensor NAME`` prints it.
///
/// Parameters
/// ----------
/// source : str, os.PathLike or array_like
///     A weight file, or a 2-D array (read as float64).
/// tensor : str, optional
///     The tensor of a file (default: its only 2-D tensor); ignored for arrays.
/// features : {"rows", "columns"}
/// thresholds : sequence of float, optional
///     Extra t for φ_t = fraction of features with norm > t (½ and 1 always).
/// exact_limit : int
///     Largest n measured over all pairs (with D_i and interference); above it pairs are
///     sampled.
/// sampled : bool
///     Sample pairs even below ``exact_limit``.
/// pairs, seed : int
///     Pairs drawn by the sampled estimate, and the seed of the sampler and of Lanczos.
/// precision : {"f64", "f32"}
///     Precision of the exact path's Gram products.
/// ambiguity : bool
///     Compute ‖WWᵀ − P‖₂ by Lanczos, to relative ``ambiguity_tolerance``.
/// non_finite : {"refuse", "drop", "zero"}
///     Rows holding NaN or ±inf: refuse the matrix (``MeasureError`` naming the file, the
///     tensor and the count), leave those rows out, or set them to 0.
///
/// Returns
/// -------
/// dict
///     ``weights.csv``'s columns (``n``, ``m``, ``norm_mean``, …, ``mso``, ``mso_ci`` (95 %
///     half-width, 0 when exact), ``method``, ``ambiguity``), the numpy arrays ``row_norms``,
///     ``dimensionality`` and ``interference`` (None when sampled), ``phi`` ({t: φ_t}),
///     ``norm_histogram`` and ``dimensionality_peaks``; ``zero_rows``,
///     ``non_finite_entries``, ``non_finite_rows`` and ``non_finite`` (``"drop"`` or
///     ``"zero"`` when rows were, else None). ``dims_per_feature`` is NaN when every row is
///     zero, and the overlaps when fewer than two rows are non-zero: undefined, not ∞ or 0.
#[pyfunction]
#[pyo3(name = "weights_measure", signature = (
    source, tensor = None, features = "rows", thresholds = None, exact_limit = 50_000,
    sampled = false, pairs = 1_000_000, seed = 0, precision = "f64", ambiguity = true,
    ambiguity_tolerance = 1e-10, non_finite = "refuse"
))]
#[allow(clippy::too_many_arguments)]
pub fn measure<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    tensor: Option<String>,
    features: &str,
    thresholds: Option<Vec<f64>>,
    exact_limit: usize,
    sampled: bool,
    pairs: usize,
    seed: u64,
    precision: &str,
    ambiguity: bool,
    ambiguity_tolerance: f64,
    non_finite: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let orientation = orientation(features)?;
    let options = options(
        thresholds,
        exact_limit,
        sampled,
        pairs,
        seed,
        precision,
        ambiguity,
        ambiguity_tolerance,
        non_finite,
    )?;
    let path: Option<PathBuf> = source.extract().ok();
    let matrix = match &path {
        Some(path) => {
            let (_, matrix) = detached(py, "weights.measure", || {
                read_matrix(path, tensor.as_deref(), orientation)
            })?
            .map_err(|err| weights_error(&err))?;
            matrix
        }
        None => array_matrix(source, orientation)?,
    };
    let stats = detached(py, "weights.measure", || {
        measure_matrix(&matrix.data, matrix.columns, &options)
    })?
    .map_err(|err| MeasureError::new_err(measure_error(path.as_deref(), &matrix, &err)))?;
    let d = stats_dict(py, &matrix, &stats)?;
    d.set_item("file", path.map(|p| p.display().to_string()))?;
    Ok(d)
}

/// A measuring error's message, naming the file (or "array") and the tensor as the CLI does.
pub(crate) fn measure_error(
    path: Option<&Path>,
    matrix: &Matrix,
    err: &superscale_measure::Error,
) -> String {
    let source = path.map_or_else(|| "array".to_string(), |p| p.display().to_string());
    format!("{source} :: {}: {err}", matrix.tensor)
}

/// A numpy array as a [`Matrix`] (features as rows after `orientation`).
fn array_matrix(source: &Bound<'_, PyAny>, orientation: Orientation) -> PyResult<Matrix> {
    let array: PyArrayLike2<'_, f64, AllowTypeChange> = source
        .extract()
        .map_err(|_| MeasureError::new_err("source: expected a weight file path or a 2-D array"))?;
    let (r, c) = (array.shape()[0], array.shape()[1]);
    if r == 0 || c == 0 {
        return Err(MeasureError::new_err(format!("array is empty ({r} × {c})")));
    }
    let view = array.as_array();
    let data: Vec<f64> = match orientation {
        Orientation::Rows => view.iter().copied().collect(),
        Orientation::Columns => view.t().iter().copied().collect(),
    };
    let (rows, columns) = match orientation {
        Orientation::Rows => (r, c),
        Orientation::Columns => (c, r),
    };
    Ok(Matrix {
        tensor: "array".into(),
        dtype: "float64".into(),
        stored_shape: [r, c],
        orientation,
        rows,
        columns,
        data,
    })
}
