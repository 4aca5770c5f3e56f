//! The kinds of experiment superscale runs, each one module implementing the engine's
//! [`superscale_engine::Kind`]: `toy` (toy models of superposition), `quanta` (the
//! quantization model on multitask sparse parity), `platonic` (Platonic representation
//! alignment in a synthetic world) and `llc` (the local learning coefficient, calibrated
//! against closed forms). See `docs/architecture.md`, "Adding a kind".
#![deny(missing_docs)]

mod any;
pub mod llc;
mod markdown;
pub mod platonic;
pub mod quanta;
pub mod seed_pairs;
pub mod toy;

pub use any::{Analysed, AnyExperiment, KINDS};

pub use toy::{
    execute, fit_width_exponents, run_study, Error, Result, RunResult, RunStatus, WidthExponent,
    GRID_MAX_FEATURES, GRID_MAX_HIDDEN, GRID_MAX_PARAMETERS,
};
