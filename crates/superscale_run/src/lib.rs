//! Runs an experiment: every sweep point and replicate is trained, measured and
//! collected; runs are spread over a thread pool, one run per thread with
//! single-threaded kernels inside, so results do not depend on the thread count.
#![deny(missing_docs)]

mod error;
mod execute;
mod exponents;
mod grid_runs;
mod study;

pub use error::{Error, Result};
pub use execute::{execute, RunResult, RunStatus};
pub use exponents::{fit_width_exponents, WidthExponent};
pub use grid_runs::{GRID_MAX_FEATURES, GRID_MAX_HIDDEN, GRID_MAX_PARAMETERS};
pub use study::{run_study, Event};
