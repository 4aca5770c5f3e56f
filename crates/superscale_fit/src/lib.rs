//! Scaling-law fitting for superscale.
//!
//! Forms, each with the protocol of the paper it comes from:
//! - pure power law y = A·x^(−α) by log-log OLS, the superposition paper's α_m protocol
//!   (Liu, Liu & Gore 2025, App. D; `docs/science/superposition.md` §2.4);
//! - power law with offset y = E + A·x^(−α), robust log-space fit ([`fit_offset_power_law`]);
//! - the Chinchilla form L = E + A/N^α + B/D^β fitted as Besiroglu et al. 2024 refit
//!   Hoffmann et al. 2022 ([`fit_chinchilla`]);
//! - broken neural scaling laws with n breaks (Caballero et al. 2022, [`fit_bnsl`]).
//!
//! Around them: bootstrap standard errors and percentile intervals, grouped by training run
//! when asked ([`bootstrap_law`], [`run_bootstrap`]); AIC/BIC ([`information_criteria`]);
//! extrapolation to held-out scales ([`holdout`]); CSV input ([`Table`]) and the whole
//! table fit of `superscale fit` ([`fit_table`]).
//!
//! ```
//! use superscale_fit::{fit_law, Form, LawOptions, Points};
//! let x: Vec<f64> = (0..10).map(|i| 100.0 * 2f64.powi(i)).collect();
//! let y: Vec<f64> = x.iter().map(|v| 1.5 + 20.0 * v.powf(-0.5)).collect();
//! let fit = fit_law(Form::OffsetPower, &Points::new(x, y), &LawOptions::default()).unwrap();
//! assert!(fit.converged && (fit.parameters[1] - 0.5).abs() < 1e-6);
//! ```
#![deny(missing_docs)]

pub mod bnsl;
mod bootstrap;
pub mod chinchilla;
mod error;
mod law;
mod lbfgs;
mod levenberg_marquardt;
mod log_sum_exp;
mod multistart;
mod offset_power_law;
mod ols;
mod progress;
mod selection;
mod student_t;
mod table;
mod table_fit;
mod validate;

pub use bnsl::{fit_bnsl, refit_bnsl, BnslFit, BnslGrid, BnslOptions, BnslParameters};
pub use bootstrap::{
    percentile, resample_indices, run_bootstrap, run_bootstrap_observed, Bootstrap,
    BootstrapOptions, QuantitySummary,
};
pub use chinchilla::{
    fit_chinchilla, refit_chinchilla, tokens_from_compute, ChinchillaFit, ChinchillaOptions,
    ChinchillaParameters, ChinchillaStartGrid, CHINCHILLA_COMPUTE,
};
pub use error::{Error, Result};
pub use law::{
    bootstrap_law, bootstrap_law_observed, fit_law, refit_law, FittedLaw, Form, LawOptions, Points,
};
pub use lbfgs::{LbfgsSettings, Termination};
pub use levenberg_marquardt::LevenbergMarquardtSettings;
pub use log_sum_exp::huber;
pub use multistart::{StartsSummary, NEAR_BEST_RELATIVE};
pub use offset_power_law::{
    default_starts, fit_offset_power_law, refit_offset_power_law, OffsetPowerLaw,
    OffsetPowerLawFit, OffsetPowerLawOptions,
};
pub use ols::{ols_line, ols_log_log, Line, LogLogFit, PredictionLine};
pub use progress::{FitObserver, FitStage, FitWork, Silent};
pub use selection::{holdout, information_criteria, rmsle, Holdout, InformationCriteria};
pub use student_t::t_quantile_975;
pub use table::Table;
pub use table_fit::{
    fit_table, fit_table_observed, log_bounds, Band, FitCurve, SecondInput, TableFit,
    TableFitOptions,
};
