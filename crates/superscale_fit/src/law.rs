//! One entry point over every form, for callers (the CLI, reports) that choose the form at
//! run time: fit, refit from a previous fit, predict, and bootstrap with derived quantities.

use crate::bnsl::{fit_bnsl, refit_bnsl, BnslOptions, BnslParameters};
use crate::bootstrap::{run_bootstrap_observed, Bootstrap, BootstrapOptions};
use crate::chinchilla::{
    fit_chinchilla, refit_chinchilla, ChinchillaFit, ChinchillaOptions, ChinchillaParameters,
};
use crate::error::{Error, Result};
use crate::multistart::StartsSummary;
use crate::offset_power_law::{
    fit_offset_power_law, refit_offset_power_law, OffsetPowerLaw, OffsetPowerLawFit,
    OffsetPowerLawOptions,
};
use crate::ols::ols_log_log;

/// A functional form of a scaling law.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// y = A·x^(−α), by log-log least squares
    Power,
    /// y = E + A·x^(−α), robust log-space fit
    OffsetPower,
    /// L = E + A/N^α + B/D^β with x = N and the second input = D
    Chinchilla,
    /// broken neural scaling law with this many breaks
    Bnsl {
        /// number of breaks
        breaks: usize,
    },
}

/// Observations: one or two inputs per point and the target.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    /// the first input (x, or N for Chinchilla)
    pub x: Vec<f64>,
    /// the second input (D for Chinchilla), if the form has one
    pub second: Option<Vec<f64>>,
    /// the target (loss)
    pub y: Vec<f64>,
}

impl Points {
    /// Points with one input.
    pub fn new(x: Vec<f64>, y: Vec<f64>) -> Self {
        Self { x, second: None, y }
    }

    /// Points with two inputs.
    pub fn with_second_input(x: Vec<f64>, second: Vec<f64>, y: Vec<f64>) -> Self {
        Self {
            x,
            second: Some(second),
            y,
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The points at `indices` (repetitions allowed), in that order.
    pub fn select(&self, indices: &[usize]) -> Self {
        let pick = |v: &[f64]| indices.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        Self {
            x: pick(&self.x),
            second: self.second.as_deref().map(pick),
            y: pick(&self.y),
        }
    }

    fn second_input(&self) -> Result<&[f64]> {
        self.second.as_deref().ok_or(Error::InvalidOption {
            name: "points",
            reason: "the Chinchilla form needs a second input (tokens D)".into(),
        })
    }
}

/// Options of every form, so one value configures whichever is chosen.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LawOptions {
    /// for [`Form::OffsetPower`]
    pub offset_power: OffsetPowerLawOptions,
    /// for [`Form::Chinchilla`]
    pub chinchilla: ChinchillaOptions,
    /// for [`Form::Bnsl`]
    pub bnsl: BnslOptions,
}

/// A fitted law in natural units, with the quantities derived from it.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedLaw {
    /// the form
    pub form: Form,
    /// parameters in [`Form::parameter_names`] order
    pub parameters: Vec<f64>,
    /// derived quantities in [`Form::derived_names`] order
    pub derived: Vec<f64>,
    /// the form's own objective at the fit
    pub objective: f64,
    /// whether the optimiser converged (the parameters are the best attempt either way)
    pub converged: bool,
    /// for the multi-start forms (offset power, Chinchilla), how the runs from all starts
    /// ended, including the spread of the final objective
    pub starts: Option<StartsSummary>,
}

impl Form {
    /// Names of the parameters, in the paper's notation.
    pub fn parameter_names(&self) -> Vec<String> {
        let names: &[&str] = match self {
            Form::Power => &["A", "alpha"],
            Form::OffsetPower => &["A", "alpha", "E"],
            Form::Chinchilla => &["A", "B", "E", "alpha", "beta"],
            Form::Bnsl { breaks } => return BnslParameters::names(*breaks),
        };
        names.iter().map(|s| s.to_string()).collect()
    }

    /// Names of the derived quantities (Chinchilla: exponents a, b of the compute-optimal
    /// allocation and, at the options' compute budget, N_opt, D_opt and D_opt/N_opt).
    pub fn derived_names(&self) -> Vec<String> {
        match self {
            Form::Chinchilla => ["a", "b", "N_opt", "D_opt", "tokens_per_parameter"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The prediction at (x, second input) for `parameters` in [`Form::parameter_names`] order.
    pub fn predict(&self, parameters: &[f64], x: f64, second: f64) -> f64 {
        match self {
            Form::Power => parameters[0] * x.powf(-parameters[1]),
            Form::OffsetPower => parameters[2] + parameters[0] * x.powf(-parameters[1]),
            Form::Chinchilla => chinchilla_from(parameters).predict(x, second),
            Form::Bnsl { .. } => BnslParameters::from_vector(parameters).predict(x),
        }
    }
}

fn chinchilla_from(p: &[f64]) -> ChinchillaParameters {
    ChinchillaParameters::from_coefficients(p[0], p[1], p[2], p[3], p[4])
}

fn chinchilla_law(fit: ChinchillaFit, budget: f64) -> FittedLaw {
    let (objective, converged, starts) = (fit.objective, fit.converged, Some(fit.starts));
    let fit = fit.parameters;
    let allocation = fit.allocation(budget);
    FittedLaw {
        form: Form::Chinchilla,
        parameters: vec![
            fit.coefficient_model_size(),
            fit.coefficient_tokens(),
            fit.irreducible(),
            fit.alpha,
            fit.beta,
        ],
        derived: vec![
            fit.parameter_exponent(),
            fit.token_exponent(),
            allocation.parameters,
            allocation.tokens,
            allocation.tokens_per_parameter,
        ],
        objective,
        converged,
        starts,
    }
}

fn simple_law(form: Form, parameters: Vec<f64>, objective: f64, converged: bool) -> FittedLaw {
    FittedLaw {
        form,
        parameters,
        derived: Vec::new(),
        objective,
        converged,
        starts: None,
    }
}

fn offset_law(fit: OffsetPowerLawFit) -> FittedLaw {
    let law = fit.law;
    let parameters = vec![law.coefficient, law.exponent, law.irreducible];
    let simple = simple_law(Form::OffsetPower, parameters, fit.objective, fit.converged);
    FittedLaw {
        starts: Some(fit.starts),
        ..simple
    }
}

/// Fit `form` to `points` with the form's full protocol (multi-start or grid).
pub fn fit_law(form: Form, points: &Points, options: &LawOptions) -> Result<FittedLaw> {
    // The fitters' own checks (lengths, the second input, too few points) speak first;
    // identifiability is the one they cannot see: many points on too few distinct inputs.
    let lengths_agree = points.x.len() == points.y.len()
        && points
            .second
            .as_ref()
            .is_none_or(|s| s.len() == points.x.len());
    let needs_second = matches!(form, Form::Chinchilla) && points.second.is_none();
    if lengths_agree && !needs_second {
        crate::validate::identifiable(points, form.parameter_names().len())?;
    }
    refit_or_fit(form, points, options, None)
}

/// Refit `start.form` from `start` (one optimiser run; the bootstrap's inner step). The
/// Chinchilla form starts at `options.chinchilla.bootstrap_start` instead when it is set, and
/// the pure power law is refitted in closed form.
pub fn refit_law(points: &Points, options: &LawOptions, start: &FittedLaw) -> Result<FittedLaw> {
    refit_or_fit(start.form, points, options, Some(&start.parameters))
}

fn refit_or_fit(
    form: Form,
    points: &Points,
    options: &LawOptions,
    start: Option<&[f64]>,
) -> Result<FittedLaw> {
    let (x, y) = (&points.x[..], &points.y[..]);
    match form {
        Form::Power => {
            let fit = ols_log_log(x, y)?;
            let residual_sum_of_squares = x
                .iter()
                .zip(y)
                .map(|(a, b)| (b.ln() - fit.intercept + fit.exponent * a.ln()).powi(2))
                .sum();
            let parameters = vec![fit.intercept.exp(), fit.exponent];
            Ok(simple_law(form, parameters, residual_sum_of_squares, true))
        }
        Form::OffsetPower => {
            let o = &options.offset_power;
            let fit = match start {
                None => fit_offset_power_law(x, y, o)?,
                Some(p) => {
                    let law = OffsetPowerLaw {
                        coefficient: p[0],
                        exponent: p[1],
                        irreducible: p[2],
                    };
                    refit_offset_power_law(x, y, &law, o)?
                }
            };
            Ok(offset_law(fit))
        }
        Form::Chinchilla => {
            let (d, o) = (points.second_input()?, &options.chinchilla);
            let fit = match start {
                None => fit_chinchilla(x, d, y, o)?,
                Some(p) => {
                    let begin = o.bootstrap_start.unwrap_or_else(|| chinchilla_from(p));
                    refit_chinchilla(x, d, y, &begin, o)?
                }
            };
            Ok(chinchilla_law(fit, o.compute_budget))
        }
        Form::Bnsl { breaks } => {
            let fit = match start {
                None => fit_bnsl(x, y, breaks, &options.bnsl)?,
                Some(p) => refit_bnsl(x, y, &BnslParameters::from_vector(p), &options.bnsl)?,
            };
            Ok(simple_law(
                form,
                fit.parameters.to_vector(),
                fit.objective,
                fit.converged,
            ))
        }
    }
}

impl FittedLaw {
    /// The prediction at (x, second input); `second` is ignored by one-input forms.
    pub fn predict(&self, x: f64, second: f64) -> f64 {
        self.form.predict(&self.parameters, x, second)
    }

    /// Names of parameters then derived quantities.
    pub fn quantity_names(&self) -> Vec<String> {
        let mut names = self.form.parameter_names();
        names.extend(self.form.derived_names());
        names
    }

    /// Values of parameters then derived quantities.
    pub fn quantities(&self) -> Vec<f64> {
        let mut values = self.parameters.clone();
        values.extend(&self.derived);
        values
    }
}

/// Bootstrap every parameter and derived quantity of `fit`: each resample (of points, or of
/// whole groups when `groups` labels are given) is refitted from `fit` (Chinchilla: from
/// `options.chinchilla.bootstrap_start` when set).
pub fn bootstrap_law(
    fit: &FittedLaw,
    points: &Points,
    groups: Option<&[usize]>,
    options: &LawOptions,
    bootstrap: &BootstrapOptions,
) -> Result<Bootstrap> {
    bootstrap_law_observed(fit, points, groups, options, bootstrap, &|| {})
}

/// [`bootstrap_law`], calling `resampled` after each resample is refitted.
pub fn bootstrap_law_observed(
    fit: &FittedLaw,
    points: &Points,
    groups: Option<&[usize]>,
    options: &LawOptions,
    bootstrap: &BootstrapOptions,
    resampled: &(dyn Fn() + Sync),
) -> Result<Bootstrap> {
    run_bootstrap_observed(
        &fit.quantity_names(),
        &fit.quantities(),
        points.len(),
        groups,
        bootstrap,
        |indices| {
            let refit = refit_law(&points.select(indices), options, fit)?;
            Ok((refit.quantities(), refit.converged))
        },
        resampled,
    )
}
