//! A dense ReLU MLP for superscale's small-network experiments (multitask sparse parity,
//! `docs/science/quanta.md` §1; alignment probes).
//!
//! - [`Mlp`]: Linear → ReLU → … → Linear of any depth, all parameters in one contiguous
//!   buffer (layout in [`Mlp`]'s doc), torch-default initialisation from a seed.
//! - [`loss_and_gradient`]: softmax cross-entropy ([`Targets::Labels`]) or mean squared
//!   error ([`Targets::Values`]) and its gradient, for dense or sparse ([`Input::Sparse`])
//!   inputs, generic over f32/f64 ([`Real`]).
//! - [`evaluate`]: per-row loss, correctness, label probability and Brier score.
//! - [`AdamW`]: torch's AdamW through `superscale_kernels`.
//!
//! Every call takes a caller-owned [`Workspace`]; the batch is cut into fixed chunks that
//! run on rayon and are reduced in chunk order, so the bits never depend on the thread
//! count. GEMMs go through `superscale_kernels::matmul`.
//!
//! ```
//! use superscale_models::mlp::{loss_and_gradient, AdamW, Input, Mlp, Targets, Workspace};
//! let mlp = Mlp::new(&[4, 8, 2]).unwrap();
//! let mut params: Vec<f32> = mlp.init_params(0);
//! let mut gradient = vec![0.0; mlp.n_params()];
//! let mut workspace = Workspace::new(&mlp);
//! let mut optimizer = AdamW::new(mlp.n_params(), 1e-2, 0.0);
//! let x = [1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0];
//! let labels = [0, 1];
//! let first = loss_and_gradient(&mlp, &params, Input::Dense(&x), Targets::Labels(&labels),
//!     &mut gradient, &mut workspace).unwrap();
//! for _ in 0..200 {
//!     loss_and_gradient(&mlp, &params, Input::Dense(&x), Targets::Labels(&labels),
//!         &mut gradient, &mut workspace).unwrap();
//!     optimizer.step(&mut params, &gradient).unwrap();
//! }
//! let last = loss_and_gradient(&mlp, &params, Input::Dense(&x), Targets::Labels(&labels),
//!     &mut gradient, &mut workspace).unwrap();
//! assert!(last < 0.1 * first);
//! ```

mod architecture;
mod batch;
mod error;
mod fused;
mod input;
mod optimizer;
mod pass;
mod real;

pub use architecture::Mlp;
pub use batch::{
    evaluate, forward_outputs, loss_and_gradient, Workspace, DEFAULT_CHUNK_ROWS, DEFAULT_SLOTS,
};
pub use error::{Error, Result};
pub use input::{Input, OneHotBits, RowOutcome, Targets};
pub use optimizer::AdamW;
pub use real::Real;
pub use superscale_kernels::{AdamHyper, Simd, SparseRows};
