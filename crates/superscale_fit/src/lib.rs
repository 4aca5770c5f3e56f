//! Scaling-law fitting for superscale.
//!
//! The first member is the superposition paper's protocol: ordinary least squares of
//! ln L on ln m with the slope's standard error and R² (Liu, Liu & Gore 2025, App. D;
//! `shared/science/superposition_scaling.md` §2 "Model exponent α_m").

mod error;
mod ols;

pub use error::{Error, Result};
pub use ols::{ols_log_log, LogLogFit};
