//! The Python classes of fit results: `LogLogFit`, `FittedLaw` and `Bootstrap`.

use crate::errors::FitError;
use numpy::{AllowTypeChange, PyArray1, PyArray2, PyArrayLike1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use superscale_fit::{Bootstrap, FittedLaw, Form};

/// A 1-D float64 input: any array-like, converted by numpy when it is not one already.
pub type Vector<'py> = PyArrayLike1<'py, f64, AllowTypeChange>;

/// Bootstrap summary of a fit: standard errors and percentile intervals of every quantity.
#[pyclass(name = "Bootstrap", module = "superscale.fit", frozen)]
pub struct PyBootstrap {
    pub inner: Bootstrap,
}

#[pymethods]
impl PyBootstrap {
    /// Coverage of the intervals (e.g. 0.95).
    #[getter]
    fn level(&self) -> f64 {
        self.inner.level
    }

    /// Resamples whose refit failed (left out of the summaries).
    #[getter]
    fn failed(&self) -> usize {
        self.inner.failed
    }

    /// Resamples whose refit did not converge (kept).
    #[getter]
    fn not_converged(&self) -> usize {
        self.inner.not_converged
    }

    /// ``{name: {"estimate", "standard_error", "lower", "upper"}}`` for every quantity.
    #[getter]
    fn quantities<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let all = PyDict::new(py);
        for q in &self.inner.quantities {
            let one = PyDict::new(py);
            one.set_item("estimate", q.estimate)?;
            one.set_item("standard_error", q.standard_error)?;
            one.set_item("lower", q.lower)?;
            one.set_item("upper", q.upper)?;
            all.set_item(&q.name, one)?;
        }
        Ok(all)
    }

    /// The successful resamples' quantities, shape (resamples, quantities), columns in the
    /// order of :attr:`quantities`.
    #[getter]
    fn replicates<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        PyArray2::from_vec2(py, &self.inner.replicates)
            .map_err(|err| FitError::new_err(err.to_string()))
    }

    fn __repr__(&self) -> String {
        let parts: Vec<String> = self
            .inner
            .quantities
            .iter()
            .map(|q| format!("{}={:.6}±{:.2e}", q.name, q.estimate, q.standard_error))
            .collect();
        format!(
            "Bootstrap({}, resamples={})",
            parts.join(", "),
            self.inner.replicates.len()
        )
    }
}

/// A log-log OLS fit ln y = c − α ln x (the superposition paper's α_m protocol).
#[pyclass(name = "LogLogFit", module = "superscale.fit", frozen, get_all)]
pub struct PyLogLogFit {
    /// α in y ∝ x^−α
    pub exponent: f64,
    /// standard error of α
    pub exponent_se: f64,
    /// c, so that y ≈ exp(c)·x^−α
    pub intercept: f64,
    /// R² of the log-log fit
    pub r_squared: f64,
    /// points used
    pub n_points: usize,
    /// bootstrap of ``A`` and ``alpha``, or None
    pub bootstrap: Option<Py<PyBootstrap>>,
}

#[pymethods]
impl PyLogLogFit {
    fn __repr__(&self) -> String {
        format!(
            "LogLogFit(exponent={:.6}, exponent_se={:.3e}, r_squared={:.4}, n_points={})",
            self.exponent, self.exponent_se, self.r_squared, self.n_points
        )
    }
}

/// A fitted scaling law: parameters, derived quantities and the optimiser's outcome.
#[pyclass(name = "FittedLaw", module = "superscale.fit", frozen)]
pub struct PyFittedLaw {
    pub inner: FittedLaw,
    /// bootstrap of every parameter and derived quantity, or None
    #[pyo3(get)]
    pub bootstrap: Option<Py<PyBootstrap>>,
}

fn form_name(form: Form) -> &'static str {
    match form {
        Form::Power => "power",
        Form::OffsetPower => "offset-power",
        Form::Chinchilla => "chinchilla",
        Form::Bnsl { .. } => "bnsl",
    }
}

fn named<'py>(py: Python<'py>, names: Vec<String>, values: &[f64]) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (name, value) in names.iter().zip(values) {
        dict.set_item(name, value)?;
    }
    Ok(dict)
}

#[pymethods]
impl PyFittedLaw {
    /// The form: ``"power"``, ``"offset-power"``, ``"chinchilla"`` or ``"bnsl"``.
    #[getter]
    fn form(&self) -> &'static str {
        form_name(self.inner.form)
    }

    /// ``{name: value}`` in the paper's notation (power: A, alpha; offset-power: A, alpha,
    /// E; chinchilla: A, B, E, alpha, beta; bnsl: a, b, c0, then c, d, f per break).
    #[getter]
    fn parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        named(
            py,
            self.inner.form.parameter_names(),
            &self.inner.parameters,
        )
    }

    /// Derived quantities (chinchilla: a, b, N_opt, D_opt, tokens_per_parameter).
    #[getter]
    fn derived<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        named(py, self.inner.form.derived_names(), &self.inner.derived)
    }

    /// The form's own objective at the fit.
    #[getter]
    fn objective(&self) -> f64 {
        self.inner.objective
    }

    /// Whether the optimiser converged (the parameters are the best attempt either way).
    #[getter]
    fn converged(&self) -> bool {
        self.inner.converged
    }

    /// For multi-start forms, how the starts ended (dict), else None.
    #[getter]
    fn starts<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(s) = &self.inner.starts else {
            return Ok(None);
        };
        let dict = PyDict::new(py);
        dict.set_item("starts", s.starts)?;
        dict.set_item("converged", s.converged)?;
        dict.set_item("best_start", s.best_start)?;
        dict.set_item("best_objective", s.best_objective)?;
        dict.set_item("median_objective", s.median_objective)?;
        dict.set_item("percentile_90_objective", s.percentile_90_objective)?;
        dict.set_item("worst_objective", s.worst_objective)?;
        dict.set_item("near_best", s.near_best)?;
        Ok(Some(dict))
    }

    /// The law's prediction.
    ///
    /// Parameters
    /// ----------
    /// x : array_like
    ///     The scale (N for the Chinchilla form).
    /// x2 : array_like, optional
    ///     The second input (D) of the Chinchilla form.
    ///
    /// Returns
    /// -------
    /// numpy.ndarray
    #[pyo3(signature = (x, x2 = None))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: Vector<'py>,
        x2: Option<Vector<'py>>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let x = x.as_array();
        let second: Vec<f64> = match &x2 {
            Some(values) if values.len()? != x.len() => {
                return Err(FitError::new_err(format!(
                    "x has {} values but x2 has {}",
                    x.len(),
                    values.len()?
                )));
            }
            Some(values) => values.as_array().to_vec(),
            None => vec![f64::NAN; x.len()],
        };
        let predicted = x
            .iter()
            .zip(&second)
            .map(|(&a, &b)| self.inner.predict(a, b))
            .collect();
        Ok(PyArray1::from_vec(py, predicted))
    }

    fn __repr__(&self) -> String {
        let parts: Vec<String> = self
            .inner
            .form
            .parameter_names()
            .iter()
            .zip(&self.inner.parameters)
            .map(|(n, v)| format!("{n}={v:.6}"))
            .collect();
        format!(
            "FittedLaw(form={:?}, {}, converged={})",
            self.form(),
            parts.join(", "),
            self.inner.converged
        )
    }
}
