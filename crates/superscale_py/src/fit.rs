//! Scaling-law fits on any numbers, through `superscale_fit` (the CLI's `fit` command).

use crate::errors::{detached, fit_error, FitError};
use crate::fit_results::{PyBootstrap, PyFittedLaw, PyLogLogFit, Vector};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use superscale_fit::{
    bootstrap_law, fit_law, ols_log_log, BootstrapOptions, FittedLaw, Form, LawOptions, LogLogFit,
    Points,
};

fn parse_form(form: &str, breaks: usize) -> PyResult<Form> {
    match form.replace('_', "-").as_str() {
        "power" => Ok(Form::Power),
        "offset-power" => Ok(Form::OffsetPower),
        "chinchilla" => Ok(Form::Chinchilla),
        "bnsl" => Ok(Form::Bnsl { breaks }),
        other => Err(FitError::new_err(format!(
            "unknown form {other:?}; expected power, offset-power, chinchilla or bnsl"
        ))),
    }
}

/// Group labels (any hashable values) as indices in order of first appearance.
fn group_indices(groups: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<usize>>> {
    let Some(groups) = groups else {
        return Ok(None);
    };
    let seen = PyDict::new(groups.py());
    let mut indices = Vec::new();
    for label in groups.try_iter()? {
        let label = label?;
        let index = match seen.get_item(&label)? {
            Some(index) => index.extract()?,
            None => {
                let index = seen.len();
                seen.set_item(&label, index)?;
                index
            }
        };
        indices.push(index);
    }
    Ok(Some(indices))
}

/// Fits, then bootstraps when `resamples > 0`; without the GIL.
fn fit_and_bootstrap(
    py: Python<'_>,
    form: Form,
    points: Points,
    groups: Option<Vec<usize>>,
    options: LawOptions,
    settings: BootstrapOptions,
) -> PyResult<(FittedLaw, Option<Py<PyBootstrap>>)> {
    let (fit, bootstrap) = detached(py, "fit", || -> superscale_fit::Result<_> {
        let fit = fit_law(form, &points, &options)?;
        let bootstrap = match settings.resamples {
            0 => None,
            _ => Some(bootstrap_law(
                &fit,
                &points,
                groups.as_deref(),
                &options,
                &settings,
            )?),
        };
        Ok((fit, bootstrap))
    })?
    .map_err(|err| fit_error(&err))?;
    let bootstrap = bootstrap
        .map(|inner| Py::new(py, PyBootstrap { inner }))
        .transpose()?;
    Ok((fit, bootstrap))
}

/// A pure power law y = A·x^−α by ordinary least squares on ln y against ln x.
///
/// Parameters
/// ----------
/// x, y : array_like
///     Positive, finite values (at least 3 points).
/// bootstrap : int, optional
///     Resamples for a bootstrap of A and alpha (default 0: none; the CLI uses 1000).
/// seed : int, optional
///     Seed of the bootstrap (default 42).
/// level : float, optional
///     Coverage of the bootstrap intervals (default 0.95).
/// groups : sequence, optional
///     A label per point; the bootstrap then resamples whole groups (e.g. training runs).
///
/// Returns
/// -------
/// LogLogFit
///     ``exponent`` (α), ``exponent_se``, ``intercept``, ``r_squared``, ``n_points``,
///     ``bootstrap``.
///
/// Raises
/// ------
/// FitError
///     On fewer than 3 points, mismatched lengths, or a value ≤ 0 or not finite.
#[pyfunction]
#[pyo3(name = "fit_power_law", signature = (x, y, *, bootstrap = 0, seed = 42, level = 0.95, groups = None))]
pub fn power_law<'py>(
    py: Python<'py>,
    x: Vector<'py>,
    y: Vector<'py>,
    bootstrap: usize,
    seed: u64,
    level: f64,
    groups: Option<&Bound<'py, PyAny>>,
) -> PyResult<PyLogLogFit> {
    let (x, y) = (x.as_array().to_vec(), y.as_array().to_vec());
    let groups = group_indices(groups)?;
    let LogLogFit {
        exponent,
        exponent_se,
        intercept,
        r_squared,
        n_points,
    } = detached(py, "fit.power_law", || ols_log_log(&x, &y))?.map_err(|err| fit_error(&err))?;
    let bootstrap = if bootstrap > 0 {
        let settings = BootstrapOptions {
            resamples: bootstrap,
            seed,
            level,
        };
        fit_and_bootstrap(
            py,
            Form::Power,
            Points::new(x, y),
            groups,
            LawOptions::default(),
            settings,
        )?
        .1
    } else {
        None
    };
    Ok(PyLogLogFit {
        exponent,
        exponent_se,
        intercept,
        r_squared,
        n_points,
        bootstrap,
    })
}

/// Fits a scaling law of the chosen form with its full protocol, as ``superscale fit``.
///
/// Parameters
/// ----------
/// form : {"power", "offset-power", "chinchilla", "bnsl"}
///     y = A·x^−α (log-log OLS); y = E + A·x^−α (robust log-space multi-start);
///     L = E + A/N^α + B/D^β (Huber/L-BFGS from Hoffmann's grid; x = N, x2 = D); or a broken
///     neural scaling law with ``breaks`` breaks (grid + Levenberg–Marquardt).
/// x, y : array_like
///     The scale and the target (loss).
/// x2 : array_like, optional
///     The second input (training tokens D) of the Chinchilla form.
/// breaks : int, optional
///     Breaks of the BNSL form (default 1).
/// bootstrap : int, optional
///     Resamples for standard errors and percentile intervals (default 0: none).
/// seed : int, optional
///     Seed of the bootstrap (default 42).
/// level : float, optional
///     Coverage of the intervals (default 0.95).
/// groups : sequence, optional
///     A label per point; the bootstrap resamples whole groups.
/// compute_budget : float, optional
///     Chinchilla only: the compute C at which N_opt and D_opt are derived.
///
/// Returns
/// -------
/// FittedLaw
///
/// Raises
/// ------
/// FitError
///     On input that cannot be fitted (the message is the CLI's).
#[pyfunction]
#[pyo3(name = "fit_law", signature = (form, x, y, x2 = None, *, breaks = 1, bootstrap = 0, seed = 42, level = 0.95, groups = None, compute_budget = None))]
#[allow(clippy::too_many_arguments)]
pub fn law<'py>(
    py: Python<'py>,
    form: &str,
    x: Vector<'py>,
    y: Vector<'py>,
    x2: Option<Vector<'py>>,
    breaks: usize,
    bootstrap: usize,
    seed: u64,
    level: f64,
    groups: Option<&Bound<'py, PyAny>>,
    compute_budget: Option<f64>,
) -> PyResult<PyFittedLaw> {
    let form = parse_form(form, breaks)?;
    let (x, y) = (x.as_array().to_vec(), y.as_array().to_vec());
    let points = match x2 {
        Some(second) => Points::with_second_input(x, second.as_array().to_vec(), y),
        None => Points::new(x, y),
    };
    if let Some(second) = &points.second {
        if second.len() != points.y.len() {
            return Err(FitError::new_err(format!(
                "x2 has {} values but y has {}",
                second.len(),
                points.y.len()
            )));
        }
    }
    let mut options = LawOptions::default();
    if let Some(budget) = compute_budget {
        options.chinchilla.compute_budget = budget;
    }
    let groups = group_indices(groups)?;
    let settings = BootstrapOptions {
        resamples: bootstrap,
        seed,
        level,
    };
    let (inner, bootstrap) = fit_and_bootstrap(py, form, points, groups, options, settings)?;
    Ok(PyFittedLaw { inner, bootstrap })
}
