//! Geometry measurements on any 2-D array (rows = features), through `superscale_measure`.
//!
//! Arrays are read as float64; a C-contiguous float64 array is read in place (no copy),
//! anything else is converted once by numpy.

use crate::errors::{detached, measure_error};
use numpy::{AllowTypeChange, PyArray1, PyArrayLike2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use superscale_measure::{
    dimensions_per_feature, feature_dimensionality, fraction_above, mean_squared_overlap,
    row_norms, welch_bound, Geometry, OverlapStats,
};

type Matrix<'py> = PyArrayLike2<'py, f64, AllowTypeChange>;

/// A float64 numpy vector handed to Python.
pub type Floats<'py> = Bound<'py, PyArray1<f64>>;

/// Runs `f` on the matrix's values (row-major) and width, with the GIL released.
fn with_rows<T: Send>(
    py: Python<'_>,
    what: &str,
    matrix: &Matrix<'_>,
    f: impl FnOnce(&[f64], usize) -> T + Send,
) -> PyResult<T> {
    let width = matrix.shape()[1];
    match matrix.as_slice() {
        Ok(values) => detached(py, what, || f(values, width)),
        Err(_) => {
            let values: Vec<f64> = matrix.as_array().iter().copied().collect();
            detached(py, what, || f(&values, width))
        }
    }
}

fn overlap_dict<'py>(
    py: Python<'py>,
    stats: &OverlapStats,
    width: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("rows", stats.rows)?;
    dict.set_item("mean", stats.mean)?;
    dict.set_item("variance", stats.variance)?;
    dict.set_item("mean_abs", stats.mean_abs)?;
    dict.set_item("welch_kappa_sq", welch_bound(stats.rows, width).powi(2))?;
    Ok(dict)
}

/// The dict form of a [`Geometry`] of a matrix with `width` columns.
pub fn geometry_dict<'py>(
    py: Python<'py>,
    geometry: &Geometry,
    width: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item(
        "row_norms",
        PyArray1::from_vec(py, geometry.row_norms.clone()),
    )?;
    dict.set_item("phi_half", geometry.phi_half)?;
    dict.set_item("phi_one", geometry.phi_one)?;
    dict.set_item(
        "overlap_all",
        overlap_dict(py, &geometry.overlap_all, width)?,
    )?;
    let strong = geometry
        .overlap_strong
        .as_ref()
        .map(|s| overlap_dict(py, s, width))
        .transpose()?;
    dict.set_item("overlap_strong", strong)?;
    dict.set_item("dimensions_per_feature", geometry.dimensions_per_feature)?;
    Ok(dict)
}

fn geometry_of(weights: &[f64], width: usize) -> superscale_measure::Result<Geometry> {
    let norms = row_norms(weights, width)?;
    let all: Vec<usize> = (0..norms.len()).collect();
    let strong: Vec<usize> = all.iter().copied().filter(|&i| norms[i] > 1.0).collect();
    Ok(Geometry {
        phi_half: fraction_above(&norms, 0.5),
        phi_one: fraction_above(&norms, 1.0),
        overlap_all: mean_squared_overlap(weights, width, &all)?,
        overlap_strong: if strong.len() >= 2 {
            Some(mean_squared_overlap(weights, width, &strong)?)
        } else {
            None
        },
        dimensions_per_feature: dimensions_per_feature(weights, width)?,
        row_norms: norms,
    })
}

/// Every measurement superscale records after a run, on any weight matrix.
///
/// Parameters
/// ----------
/// W : array_like, shape (n_features, n_hidden)
///     Rows are features (read as float64).
///
/// Returns
/// -------
/// dict
///     ``row_norms`` (ndarray, ‖W_i‖), ``phi_half`` and ``phi_one`` (fractions of rows with
///     norm > 1/2 and > 1), ``overlap_all`` and ``overlap_strong`` (dicts ``rows``, ``mean``,
///     ``variance``, ``mean_abs`` of the squared cosines (Ŵ_i·Ŵ_j)² over pairs, and
///     ``welch_kappa_sq``, the Welch bound κ² for that many rows; ``overlap_strong`` is over
///     rows with norm > 1 and None when fewer than two) and ``dimensions_per_feature``
///     (D* = m / ‖W‖²_F).
///
/// Raises
/// ------
/// MeasureError
///     If W has no columns.
#[pyfunction]
#[pyo3(name = "measure_geometry", signature = (W))]
#[allow(non_snake_case)]
pub fn geometry<'py>(py: Python<'py>, W: Matrix<'py>) -> PyResult<Bound<'py, PyDict>> {
    let width = W.shape()[1];
    let geometry =
        with_rows(py, "measure.geometry", &W, geometry_of)?.map_err(|err| measure_error(&err))?;
    geometry_dict(py, &geometry, width)
}

/// Per-feature dimensionality and interference (Elhage et al. 2022).
///
/// D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)² (the sum includes j = i) and the interference
/// Σ_{j≠i} (Ŵ_i·W_j)², with Ŵ_i = W_i / max(‖W_i‖, 1e-6) as in the TMS notebook.
///
/// Parameters
/// ----------
/// W : array_like, shape (n_features, n_hidden)
///
/// Returns
/// -------
/// dimensionality : numpy.ndarray, shape (n_features,)
/// interference : numpy.ndarray, shape (n_features,)
#[pyfunction]
#[pyo3(name = "measure_feature_dimensionality", signature = (W))]
#[allow(non_snake_case)]
pub fn dimensionality<'py>(
    py: Python<'py>,
    W: Matrix<'py>,
) -> PyResult<(Floats<'py>, Floats<'py>)> {
    let (dims, interference) = with_rows(
        py,
        "measure.feature_dimensionality",
        &W,
        feature_dimensionality,
    )?
    .map_err(|err| measure_error(&err))?;
    Ok((
        PyArray1::from_vec(py, dims),
        PyArray1::from_vec(py, interference),
    ))
}

/// The Euclidean norm of every row.
///
/// Parameters
/// ----------
/// W : array_like, shape (n_features, n_hidden)
///
/// Returns
/// -------
/// numpy.ndarray, shape (n_features,)
#[pyfunction]
#[pyo3(name = "measure_row_norms", signature = (W))]
#[allow(non_snake_case)]
pub fn norms<'py>(py: Python<'py>, W: Matrix<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let norms =
        with_rows(py, "measure.row_norms", &W, row_norms)?.map_err(|err| measure_error(&err))?;
    Ok(PyArray1::from_vec(py, norms))
}

/// Statistics of the squared overlaps (Ŵ_i·Ŵ_j)² over pairs i < j of chosen rows.
///
/// Parameters
/// ----------
/// W : array_like, shape (n_features, n_hidden)
/// rows : sequence of int, optional
///     The rows to use (default: all).
///
/// Returns
/// -------
/// dict
///     ``rows``, ``mean`` (≈ 1/m for random directions), ``variance``, ``mean_abs`` and
///     ``welch_kappa_sq`` (the lower bound κ² of the mean for that many unit vectors).
#[pyfunction]
#[pyo3(name = "measure_mean_squared_overlap", signature = (W, rows = None))]
#[allow(non_snake_case)]
pub fn overlap<'py>(
    py: Python<'py>,
    W: Matrix<'py>,
    rows: Option<Vec<usize>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (n, width) = (W.shape()[0], W.shape()[1]);
    let rows = rows.unwrap_or_else(|| (0..n).collect());
    if let Some(bad) = rows.iter().find(|&&row| row >= n) {
        return Err(pyo3::exceptions::PyIndexError::new_err(format!(
            "row {bad} of a matrix with {n} rows"
        )));
    }
    let stats = with_rows(py, "measure.mean_squared_overlap", &W, |values, width| {
        mean_squared_overlap(values, width, &rows)
    })?
    .map_err(|err| measure_error(&err))?;
    overlap_dict(py, &stats, width)
}

/// Dimensions per feature D* = m / ‖W‖²_F (Elhage et al. 2022).
///
/// Parameters
/// ----------
/// W : array_like, shape (n_features, n_hidden)
///
/// Returns
/// -------
/// float
#[pyfunction]
#[pyo3(name = "measure_dimensions_per_feature", signature = (W))]
#[allow(non_snake_case)]
pub fn per_feature<'py>(py: Python<'py>, W: Matrix<'py>) -> PyResult<f64> {
    with_rows(
        py,
        "measure.dimensions_per_feature",
        &W,
        dimensions_per_feature,
    )?
    .map_err(|err| measure_error(&err))
}

/// The Welch bound κ = √((ν − m)/(m(ν − 1))) on the largest |cos| among ν unit vectors in
/// R^m (0 when ν ≤ m).
///
/// Parameters
/// ----------
/// vectors : int
///     ν, the number of unit vectors.
/// width : int
///     m, their dimension.
///
/// Returns
/// -------
/// float
#[pyfunction]
#[pyo3(name = "measure_welch_bound")]
pub fn welch(vectors: usize, width: usize) -> f64 {
    welch_bound(vectors, width)
}
