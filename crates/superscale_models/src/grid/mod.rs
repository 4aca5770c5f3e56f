//! Many small toy models trained as one computation.
//!
//! A grid of Anthropic-style tied models y = ReLU(x·W·Wᵀ + b) of one shape (n features, m
//! hidden) — a phase diagram over importance × sparsity, or many seeds — is cut into
//! blocks of [`LANES`] models whose parameters, gradients and Adam moments are stored
//! lane-interleaved (model index fastest), so one AVX2 instruction advances eight models.
//! Each model keeps its own random stream, draws the very batches the single-model trainer
//! (`crate::train::train`) would draw, and is updated by the same AdamW arithmetic;
//! only the summation order of a few gradient products may differ (the single-model
//! trainer hands dense blocks to GEMM), so a model trained in a grid matches the same
//! model trained alone to rounding (tests/single_model_agreement.rs states by how much).
//! Blocks run in parallel over rayon and share nothing: the bits of a model never depend
//! on the thread count or on the other members of its block.

mod cost;
mod entry_lanes;
mod error;
mod kernel;
mod layout;
mod optimizer;
mod sampler;
mod simd;
mod trainer;
mod wide_hidden;
mod wide_kernel;
mod wide_occupancy;

pub use cost::{step_cost, StepCost};
pub use error::{Error, Result};
pub use kernel::{MAX_FEATURES, MAX_HIDDEN};
pub use layout::LANES;
pub use trainer::{train_block, train_grid, validate, GridConfig, Member, Trained};
