//! `superscale.weights.family`: a family of widths, its table and the fits of MSO and loss
//! against m (`docs/science/superposition.md` §3.6), as `superscale weights FILE…` prints them.

use crate::errors::{detached, MeasureError};
use crate::weights::{measure_error, options, orientation, read_matrix, stats_dict, weights_error};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::path::PathBuf;
use superscale_measure::{fit_family, measure_matrix, BootstrapOptions, FitOutcome, WeightStats};
use superscale_weights::{
    assign_losses, member_loss, parse_loss, read_loss_table, LossEntry, LossSource, Matrix,
};

const TABLE_COLUMNS: [&str; 27] = [
    "file",
    "tensor",
    "features",
    "n",
    "m",
    "norm_mean",
    "norm_sd",
    "norm_min",
    "norm_max",
    "phi_half",
    "phi_one",
    "dims_per_feature",
    "mso",
    "mso_ci",
    "var_sq_overlap",
    "mean_abs_cos",
    "mean_abs_cos_ci",
    "welch_sq",
    "m_mso",
    "method",
    "mean_dimensionality",
    "ambiguity",
    "zero_rows",
    "non_finite_rows",
    "non_finite",
    "loss",
    "loss_source",
];

fn fit_dict<'py>(py: Python<'py>, outcome: &FitOutcome) -> PyResult<Option<Bound<'py, PyDict>>> {
    let Ok(fit) = outcome else {
        return Ok(None);
    };
    let d = PyDict::new(py);
    d.set_item("exponent", fit.exponent)?;
    d.set_item("exponent_se", fit.exponent_se)?;
    d.set_item("intercept", fit.intercept)?;
    d.set_item("r_squared", fit.r_squared)?;
    d.set_item("n_points", fit.n_points)?;
    d.set_item("lower", fit.lower)?;
    d.set_item("upper", fit.upper)?;
    d.set_item("level", fit.level)?;
    d.set_item("failed_resamples", fit.failed_resamples)?;
    Ok(Some(d))
}

/// `losses={file: value}` as the CLI's `--loss FILE=VALUE` entries (the same checks and
/// messages, with `losses[...]` as the origin).
fn loss_entries(losses: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<LossEntry>> {
    let mut out = Vec::new();
    for (key, value) in losses.into_iter().flat_map(|d| d.iter()) {
        let file: PathBuf = key.extract()?;
        let file = file.display().to_string();
        let origin = format!("losses[{file:?}]");
        let text = match value.extract::<f64>() {
            Ok(number) => number.to_string(),
            Err(_) => value.str()?.to_string(),
        };
        let loss = parse_loss(&origin, &text).map_err(|err| weights_error(&err))?;
        out.push(LossEntry {
            origin,
            file,
            loss,
            base: None,
        });
    }
    Ok(out)
}

type Measured = (PathBuf, Matrix, WeightStats, Option<(f64, LossSource)>);

/// A family of widths, as ``superscale weights FILE… [--loss F=V] [--losses CSV]``: every
/// file measured, each member's loss (``losses``, then ``loss_table``, then the safetensors
/// metadata's ``loss``), and the power-law fits of MSO and loss against m (log-log OLS with
/// the slope's standard error and a bootstrap percentile interval, seeded by ``seed``).
///
/// Parameters
/// ----------
/// paths : sequence of str or os.PathLike
/// tensor : str, optional
///     The tensor of every file (default: each file's only 2-D tensor).
/// features : {"rows", "columns"}
/// losses : dict of path to float, optional
///     Explicit losses; keys are paths as given in ``paths`` or bare file names.
/// loss_table : str or os.PathLike, optional
///     A CSV with columns ``file`` and ``loss``.
/// bootstrap : int
///     Resamples of the fits' 95 % intervals.
/// thresholds, exact_limit, sampled, pairs, seed, precision, ambiguity, ambiguity_tolerance, non_finite
///     As for :func:`weights_measure`.
///
/// Returns
/// -------
/// dict
///     ``table`` (a dict of columns, ``weights.csv``'s with ``loss`` and ``loss_source``:
///     ``pandas.DataFrame(result["table"])``), ``mso_fit`` and ``loss_fit`` (dicts
///     ``exponent``, ``exponent_se``, ``intercept``, ``r_squared``, ``n_points``, ``lower``,
///     ``upper``, ``level``, ``failed_resamples``; None when not fitted), ``mso_note`` and
///     ``loss_note`` (why not, else None) and ``with_loss``.
#[pyfunction]
#[pyo3(name = "weights_family", signature = (
    paths, tensor = None, features = "rows", losses = None, loss_table = None,
    bootstrap = 2000, thresholds = None, exact_limit = 50_000, sampled = false,
    pairs = 1_000_000, seed = 0, precision = "f64", ambiguity = true,
    ambiguity_tolerance = 1e-10, non_finite = "refuse"
))]
#[allow(clippy::too_many_arguments)]
pub fn family<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    tensor: Option<String>,
    features: &str,
    losses: Option<&Bound<'py, PyDict>>,
    loss_table: Option<PathBuf>,
    bootstrap: usize,
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
    if bootstrap == 0 {
        return Err(MeasureError::new_err("--bootstrap must be at least 1"));
    }
    let explicit = loss_entries(losses)?;
    // Reading and measuring errors alike reach Python as their message.
    let text = |err: &dyn std::fmt::Display| err.to_string();
    let run = || -> Result<Vec<Measured>, String> {
        let table = match &loss_table {
            Some(path) => Some((path.as_path(), read_loss_table(path).map_err(|e| text(&e))?)),
            None => None,
        };
        let table = table.as_ref().map(|(path, rows)| (*path, rows.as_slice()));
        let mut given = assign_losses(&paths, &explicit, table).map_err(|e| text(&e))?;
        let mut out = Vec::with_capacity(paths.len());
        for (index, path) in paths.iter().enumerate() {
            let (file, mut matrix) =
                read_matrix(path, tensor.as_deref(), orientation).map_err(|e| text(&e))?;
            let stats = measure_matrix(&matrix.data, matrix.columns, &options)
                .map_err(|e| measure_error(Some(path), &matrix, &e))?;
            let loss = member_loss(&file, given[index].take()).map_err(|e| text(&e))?;
            matrix.data = Vec::new();
            out.push((path.clone(), matrix, stats, loss));
        }
        Ok(out)
    };
    let measured = detached(py, "weights.family", run)?.map_err(MeasureError::new_err)?;
    let points: Vec<_> = measured
        .iter()
        .map(|(_, _, s, loss)| (s.width, s.overlap.mean_sq, loss.as_ref().map(|l| l.0)))
        .collect();
    let settings = BootstrapOptions {
        resamples: bootstrap,
        seed,
        level: 0.95,
    };
    let fits = detached(py, "weights.family", || fit_family(&points, &settings))?;
    let table = PyDict::new(py);
    for column in TABLE_COLUMNS {
        table.set_item(column, PyList::empty(py))?;
    }
    for (path, matrix, stats, loss) in &measured {
        let row = stats_dict(py, matrix, stats)?;
        row.set_item("file", path.display().to_string())?;
        row.set_item("loss", loss.as_ref().map(|l| l.0))?;
        row.set_item("loss_source", loss.as_ref().map(|l| l.1.name()))?;
        for column in TABLE_COLUMNS {
            if let Some(values) = table.get_item(column)? {
                values.downcast::<PyList>()?.append(row.get_item(column)?)?;
            }
        }
    }
    let out = PyDict::new(py);
    out.set_item("table", table)?;
    out.set_item("features", orientation.name())?;
    out.set_item("mso_fit", fit_dict(py, &fits.mso)?)?;
    out.set_item("loss_fit", fit_dict(py, &fits.loss)?)?;
    out.set_item("mso_note", fits.mso.as_ref().err())?;
    out.set_item("loss_note", fits.loss.as_ref().err())?;
    out.set_item("with_loss", fits.with_loss)?;
    Ok(out)
}
