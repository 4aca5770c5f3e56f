//! Alignment metrics between two representations of the same items, through
//! `superscale_measure::align` (`docs/science/alignment.md`). The pure-Python `superscale.align` wraps the
//! returned dict in a dataclass.

use crate::errors::{detached, MeasureError};
use numpy::{AllowTypeChange, PyArrayLike2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use superscale_measure::align::{
    align, AlignOptions, Alignment, Clip, Features, Metric, MetricParams, Preprocess,
};

type Matrix<'py> = PyArrayLike2<'py, f64, AllowTypeChange>;

fn align_error(err: &superscale_measure::align::Error) -> PyErr {
    MeasureError::new_err(err.to_string())
}

fn features(name: &'static str, matrix: &Matrix<'_>) -> PyResult<Features> {
    let width = matrix.shape()[1];
    let values: Vec<f64> = match matrix.as_slice() {
        Ok(values) => values.to_vec(),
        Err(_) => matrix.as_array().iter().copied().collect(),
    };
    Features::new(name, values, width).map_err(|e| align_error(&e))
}

fn result_dict<'py>(py: Python<'py>, result: &Alignment) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("metric", result.metric.name())?;
    dict.set_item("score", result.score)?;
    dict.set_item("n", result.n)?;
    dict.set_item("k", result.k)?;
    dict.set_item("chance", result.chance)?;
    let null = match &result.null {
        Some(null) => {
            let d = PyDict::new(py);
            d.set_item("permutations", null.permutations)?;
            d.set_item("mean", null.mean)?;
            d.set_item("sd", null.sd)?;
            d.set_item("z", null.z)?;
            d.set_item("p_value", null.p_value)?;
            d.set_item("calibrated", null.calibrated)?;
            Some(d)
        }
        None => None,
    };
    dict.set_item("null", null)?;
    let interval = match &result.interval {
        Some(interval) => {
            let d = PyDict::new(py);
            d.set_item("replicates", interval.replicates)?;
            d.set_item("confidence", interval.confidence)?;
            d.set_item("low", interval.low)?;
            d.set_item("high", interval.high)?;
            d.set_item("sd", interval.sd)?;
            Some(d)
        }
        None => None,
    };
    dict.set_item("interval", interval)?;
    Ok(dict)
}

/// Alignment of two representations of the same n items (rows paired).
///
/// Both matrices are clipped at the ``clip_quantile`` of |x| (``clip="exact"``: one
/// threshold over all entries; ``"per_row"``: the mean of the rows' quantiles; ``None``: no
/// clipping), then rows are L2-normalised (``normalize``), as in the Platonic
/// Representation Hypothesis pipeline. The score comes with the chance level, a permutation
/// null (B's rows shuffled ``permutations`` times) and a bootstrap percentile interval over
/// items (``bootstrap`` resamples), all seeded by ``seed``. Runs without the GIL.
///
/// Parameters
/// ----------
/// a : array_like, shape (n, d_a)
/// b : array_like, shape (n, d_b)
/// metric : str
///     ``mutual_knn``, ``cycle_knn``, ``lcs_knn``, ``edit_distance_knn``, ``cka``,
///     ``unbiased_cka``, ``rbf_cka``, ``cknna`` or ``svcca``.
/// k : int
///     Neighbours per item (k-NN metrics and CKNNA).
/// permutations, bootstrap : int
///     Draws of the null and of the bootstrap (0 for none).
/// confidence : float
/// seed : int
/// normalize : bool
/// clip_quantile : float or None
/// clip : str
///     ``exact`` or ``per_row``.
/// rbf_sigma : float
/// cca_dim : int
///
/// Returns
/// -------
/// dict
///     ``metric``, ``score``, ``n``, ``k``, ``chance`` (k/(n−1) for mutual k-NN, else None),
///     ``null`` (dict ``permutations``, ``mean``, ``sd``, ``z``, ``p_value``, ``calibrated``
///     or None) and ``interval`` (dict ``replicates``, ``confidence``, ``low``, ``high``,
///     ``sd`` or None).
///
/// Raises
/// ------
/// MeasureError
///     Row counts that differ, k ≥ n, an unknown metric, a NaN, an option out of range.
#[pyfunction]
#[pyo3(name = "align_pair", signature = (
    a, b, metric = "mutual_knn", k = 10, permutations = 100, bootstrap = 0,
    confidence = 0.95, seed = 0, normalize = true, clip_quantile = Some(0.95),
    clip = "exact", rbf_sigma = 1.0, cca_dim = 10
))]
#[allow(clippy::too_many_arguments)]
pub fn align_pair<'py>(
    py: Python<'py>,
    a: Matrix<'py>,
    b: Matrix<'py>,
    metric: &str,
    k: usize,
    permutations: usize,
    bootstrap: usize,
    confidence: f64,
    seed: u64,
    normalize: bool,
    clip_quantile: Option<f64>,
    clip: &str,
    rbf_sigma: f64,
    cca_dim: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let metric = Metric::parse(metric).map_err(|e| align_error(&e))?;
    let clip = match (clip_quantile, clip) {
        (None, _) => Clip::None,
        (Some(q), "exact") => Clip::Exact(q),
        (Some(q), "per_row") => Clip::PerRow(q),
        (Some(_), other) => {
            return Err(MeasureError::new_err(format!(
                "clip = {other:?}: expected \"exact\" or \"per_row\""
            )))
        }
    };
    let options = AlignOptions {
        params: MetricParams {
            k,
            rbf_sigma,
            cca_dim,
        },
        preprocess: Preprocess { clip, normalize },
        permutations,
        bootstrap,
        confidence,
        seed,
    };
    let (a, b) = (features("A", &a)?, features("B", &b)?);
    let result = detached(py, "align", move || align(a, b, metric, &options))?
        .map_err(|e| align_error(&e))?;
    result_dict(py, &result)
}

/// The names of the alignment metrics, in the order ``superscale align --metric all``
/// prints them.
///
/// Returns
/// -------
/// list of str
#[pyfunction]
#[pyo3(name = "align_metrics")]
pub fn align_metrics() -> Vec<&'static str> {
    Metric::ALL.iter().map(|m| m.name()).collect()
}
