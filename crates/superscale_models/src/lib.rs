//! The toy models of superposition and the sparse feature data they are trained on.
//!
//! Two variants share one tied architecture y = ReLU(x·W·Wᵀ + b), W ∈ R^{n×m} (rows are
//! features): the superposition-scaling model of Liu, Liu & Gore 2025 (power-law feature
//! frequencies, values U(0,2), W ~ N(0, 1/m), b ~ N(0,1), unweighted MSE) and the
//! Anthropic model of Elhage et al. 2022 (uniform sparsity, values U(0,1), importance
//! weights, xavier-normal W, b = 0). See `docs/science/superposition.md` §1 and
//! `docs/science/tms.md` §1–3.
#![deny(missing_docs)]

mod backward;
mod batch_sampler;
mod data;
mod entries;
mod error;
mod forward;
pub mod grid;
pub mod mlp;
pub mod reference;
mod step_buffers;
mod toy_model;
pub mod train;

pub use batch_sampler::{BatchSampler, Sampler, Sampling};
pub use data::{geometric_gap, power_law_probabilities, FeatureSampler};
pub use entries::{entry_value, gate_threshold, EntrySampler, EntryStream};
pub use error::{Error, Result};
pub use forward::{gram_pays, projection_pays, ForwardForm};
pub use toy_model::{Gradients, Init, StepBuffers, ToyModel, CHUNK_ROWS, ROW_BLOCK};
