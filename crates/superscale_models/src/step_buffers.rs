//! The scratch of a training step, allocated once per run so the step never allocates.

use crate::backward::PROJECTION_BUDGET;
use crate::forward::{gram_possible, ForwardForm, GramScratch};
use superscale_kernels::RowLoss;

/// Rows of the batch processed together: the block's pre-activations (rows × n f32, 256 KiB
/// at n = 1000) stay in L2 cache from the product through the fused pass to the backward,
/// instead of streaming a B × n buffer through memory three times.
pub const ROW_BLOCK: usize = 64;

/// Rows per chunk: the batch is cut into fixed chunks of this many rows, each with its own
/// partial gradient, reduced in chunk order. Chunks may run on different threads, and
/// because the cut and the order of the reduction do not depend on the thread count,
/// neither do the bits of the result.
pub const CHUNK_ROWS: usize = 512;

/// The scratch and partial gradients of one chunk of rows.
#[derive(Debug, Clone)]
pub(crate) struct Chunk {
    pub(crate) pre: Vec<f32>,
    pub(crate) active_pre: Vec<f32>,
    pub(crate) positions: Vec<u32>,
    pub(crate) grad_weights: Vec<f32>,
    pub(crate) grad_bias: Vec<f32>,
    /// P = xᵀ·G over this chunk's dense blocks (a × n; `backward.rs`); empty when the
    /// shape cannot use the projected backward
    pub(crate) projection: Vec<f32>,
    /// whether some block of this step added to `projection`
    pub(crate) projection_used: bool,
    pub(crate) loss: RowLoss,
}

/// Every intermediate of one step, allocated once for a batch size.
#[derive(Debug, Clone)]
pub struct StepBuffers {
    pub(crate) batch: usize,
    pub(crate) hidden: Vec<f32>,
    pub(crate) grad_hidden: Vec<f32>,
    /// Scratch of the Gram forward; empty when no step of this shape would use it.
    pub(crate) gram: GramScratch,
    pub(crate) form: ForwardForm,
    pub(crate) chunks: Vec<Chunk>,
}

impl StepBuffers {
    /// Buffers for batches of `batch` samples of a model of this shape.
    pub fn new(n_features: usize, width: usize, batch: usize) -> Self {
        Self::with_forward_form(n_features, width, batch, ForwardForm::Cheapest)
    }

    /// Buffers whose steps form the forward pass as `form` says.
    pub fn with_forward_form(
        n_features: usize,
        width: usize,
        batch: usize,
        form: ForwardForm,
    ) -> Self {
        let chunk = Chunk {
            pre: vec![0.0; batch.min(ROW_BLOCK) * n_features],
            active_pre: Vec::new(),
            positions: Vec::new(),
            grad_weights: vec![0.0; n_features * width],
            grad_bias: vec![0.0; n_features],
            projection: Vec::new(),
            projection_used: false,
            loss: RowLoss {
                weighted_sum: 0.0,
                nonzero_gradients: 0,
            },
        };
        let mut buffers = Self {
            batch,
            hidden: vec![0.0; batch * width],
            grad_hidden: vec![0.0; batch * width],
            gram: match form {
                ForwardForm::Direct => GramScratch::default(),
                ForwardForm::Gram => GramScratch::new(n_features, width),
                ForwardForm::Cheapest if gram_possible(n_features, width, batch) => {
                    GramScratch::new(n_features, width)
                }
                ForwardForm::Cheapest => GramScratch::default(),
            },
            form,
            chunks: vec![chunk; batch.div_ceil(CHUNK_ROWS).max(1)],
        };
        let projection_values = buffers.chunks.len() * n_features * n_features;
        if buffers.gram.is_allocated() && projection_values <= PROJECTION_BUDGET {
            for chunk in &mut buffers.chunks {
                chunk.projection = vec![0.0; n_features * n_features];
            }
        }
        buffers
    }
}
