//! Numeric kernels of superscale: the dense product through the `gemm` crate, and the
//! hand-fused sparse and element-wise passes of a toy-model training step.
//!
//! Every kernel takes explicit output buffers and never allocates, so a training loop can
//! allocate once and run millions of steps (`docs/science/conventions.md` §3). Kernels that profit from
//! AVX2/FMA are compiled twice, once for the baseline target and once with those features
//! enabled, and chosen at run time through [`Simd`]; a test checks that both agree.
#![deny(missing_docs)]
// Kernels take every buffer explicitly (outputs, inputs, scratch) so they never allocate;
// that is more than clippy's seven arguments by design.
#![allow(clippy::too_many_arguments)]

mod adamw;
mod error;
mod matmul;
mod nonzero;
mod output_layer;
mod simd;
mod sparse;
mod subnormals;

pub use adamw::{adam_update, decay_rows_signed, decay_uniform, AdamHyper, AdamState};
pub use error::{Error, Result};
pub use matmul::{matmul, Element, MatMut, MatRef};
pub use output_layer::{
    output_gradient_dense, output_gradient_sparse, relu_loss_forward, relu_loss_gradient, RowLoss,
};
pub use simd::{Arith, Fused, Plain, Simd};
pub use sparse::{
    sparse_block_times_dense, sparse_block_transpose_times_dense_add, sparse_times_dense,
    sparse_transpose_times_dense_add, SparseRows,
};
pub use subnormals::SubnormalsFlushed;
