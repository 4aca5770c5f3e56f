//! The batch driver: fixed chunks of rows on rayon, reduced in chunk order.
//!
//! A batch is cut into chunks of `chunk_rows` rows, processed `slots` chunks at a time;
//! each chunk has its own scratch and gradient, and the chunk gradients are summed in
//! chunk order. Which thread runs a chunk never changes a bit, so the results are the same
//! for any thread count (`common` rule: deterministic for any thread count). They do
//! depend on `chunk_rows` (the order of additions), which is part of the workspace.

use crate::mlp::architecture::Mlp;
use crate::mlp::error::{check_length, Error, Result};
use crate::mlp::input::{check_labels, Input, RowOutcome, Targets};
use crate::mlp::pass::{backward, forward, loss_delta, outcomes, ChunkScratch};
use crate::mlp::real::Real;
use rayon::prelude::*;

/// Rows per chunk by default: large enough for the GEMMs to run near peak, small enough
/// that a batch of a few thousand rows still spreads over the cores.
pub const DEFAULT_CHUNK_ROWS: usize = 256;

/// Chunks in flight at once by default (memory: that many gradient copies).
pub const DEFAULT_SLOTS: usize = 16;

/// Parameters summed per task in the ordered gradient reduction.
const REDUCE_BLOCK: usize = 4096;

/// Caller-owned scratch for [`loss_and_gradient`], [`evaluate`] and [`forward_outputs`]:
/// allocate once, reuse for every step (the hot loop then never allocates).
#[derive(Debug, Clone)]
pub struct Workspace<T> {
    layer_sizes: Vec<usize>,
    chunk_rows: usize,
    chunks: Vec<ChunkScratch<T>>,
}

impl<T: Real> Workspace<T> {
    /// Scratch for `mlp` with [`DEFAULT_CHUNK_ROWS`] and [`DEFAULT_SLOTS`].
    pub fn new(mlp: &Mlp) -> Self {
        Self::with_chunks(mlp, DEFAULT_CHUNK_ROWS, DEFAULT_SLOTS)
    }

    /// Scratch with `chunk_rows` rows per chunk and `slots` chunks in flight (both ≥ 1).
    pub fn with_chunks(mlp: &Mlp, chunk_rows: usize, slots: usize) -> Self {
        let chunk_rows = chunk_rows.max(1);
        Self {
            layer_sizes: mlp.layer_sizes().to_vec(),
            chunk_rows,
            chunks: (0..slots.max(1))
                .map(|_| ChunkScratch::new(mlp, chunk_rows))
                .collect(),
        }
    }

    /// Rows per chunk.
    pub fn chunk_rows(&self) -> usize {
        self.chunk_rows
    }

    fn check(&self, mlp: &Mlp) -> Result<()> {
        if self.layer_sizes == mlp.layer_sizes() {
            Ok(())
        } else {
            Err(Error::Workspace {
                workspace: self.layer_sizes.clone(),
                model: mlp.layer_sizes().to_vec(),
            })
        }
    }

    /// How many chunks the pass starting at row `start` of `total` runs.
    fn pass_chunks(&self, start: usize, total: usize) -> usize {
        let per_pass = self.chunk_rows * self.chunks.len();
        (total - start).min(per_pass).div_ceil(self.chunk_rows)
    }
}

/// Mean loss of the batch and its gradient with respect to `params` (overwritten).
///
/// Cross-entropy losses are in nats. `gradient` must have `mlp.n_params()` values.
pub fn loss_and_gradient<T: Real>(
    mlp: &Mlp,
    params: &[T],
    input: Input<'_, T>,
    targets: Targets<'_, T>,
    gradient: &mut [T],
    workspace: &mut Workspace<T>,
) -> Result<f64> {
    workspace.check(mlp)?;
    check_length("parameters", mlp.n_params(), params.len())?;
    check_length("gradient", mlp.n_params(), gradient.len())?;
    let total = input.checked_rows(mlp.input_dim())?;
    targets.check(total, mlp.output_dim())?;
    gradient.fill(T::ZERO);
    if total == 0 {
        return Ok(0.0);
    }
    let chunk_rows = workspace.chunk_rows;
    for scratch in &mut workspace.chunks {
        // Allocated on first use only: evaluation-only workspaces never pay for it.
        scratch.gradient.resize(mlp.n_params(), T::ZERO);
    }
    let mut loss_sum = 0.0;
    let mut pass_start = 0;
    while pass_start < total {
        let n_chunks = workspace.pass_chunks(pass_start, total);
        workspace.chunks[..n_chunks]
            .par_iter_mut()
            .enumerate()
            .try_for_each(|(chunk, scratch)| -> Result<()> {
                let start = pass_start + chunk * chunk_rows;
                let rows = chunk_rows.min(total - start);
                forward(mlp, params, &input, start, rows, scratch)?;
                scratch.loss_sum = loss_delta(mlp, &targets, start, rows, total, scratch);
                backward(mlp, params, &input, start, rows, scratch)
            })?;
        let chunks = &workspace.chunks[..n_chunks];
        gradient
            .par_chunks_mut(REDUCE_BLOCK)
            .enumerate()
            .for_each(|(block, out)| {
                let offset = block * REDUCE_BLOCK;
                for scratch in chunks {
                    let part = &scratch.gradient[offset..offset + out.len()];
                    for (g, &p) in out.iter_mut().zip(part) {
                        *g += p;
                    }
                }
            });
        loss_sum += chunks.iter().map(|scratch| scratch.loss_sum).sum::<f64>();
        pass_start += n_chunks * chunk_rows;
    }
    let denominator = match targets {
        Targets::Labels(_) => total,
        Targets::Values(_) => total * mlp.output_dim(),
    };
    Ok(loss_sum / denominator as f64)
}

/// Per-row cross-entropy (nats), correctness, label probability and Brier score.
pub fn evaluate<T: Real>(
    mlp: &Mlp,
    params: &[T],
    input: Input<'_, T>,
    labels: &[u32],
    out: &mut [RowOutcome],
    workspace: &mut Workspace<T>,
) -> Result<()> {
    workspace.check(mlp)?;
    check_length("parameters", mlp.n_params(), params.len())?;
    let total = input.checked_rows(mlp.input_dim())?;
    check_length("labels", total, labels.len())?;
    check_length("row outcomes", total, out.len())?;
    check_labels(labels, mlp.output_dim())?;
    let chunk_rows = workspace.chunk_rows;
    let mut pass_start = 0;
    while pass_start < total {
        let n_chunks = workspace.pass_chunks(pass_start, total);
        let pass_end = (pass_start + n_chunks * chunk_rows).min(total);
        workspace.chunks[..n_chunks]
            .par_iter_mut()
            .zip(out[pass_start..pass_end].par_chunks_mut(chunk_rows))
            .enumerate()
            .try_for_each(|(chunk, (scratch, out))| -> Result<()> {
                let start = pass_start + chunk * chunk_rows;
                forward(mlp, params, &input, start, out.len(), scratch)?;
                outcomes(
                    mlp,
                    &labels[start..start + out.len()],
                    out.len(),
                    scratch,
                    out,
                );
                Ok(())
            })?;
        pass_start = pass_end;
    }
    Ok(())
}

/// The network's raw outputs (logits, or regression values), `rows × output_dim`.
pub fn forward_outputs<T: Real>(
    mlp: &Mlp,
    params: &[T],
    input: Input<'_, T>,
    out: &mut [T],
    workspace: &mut Workspace<T>,
) -> Result<()> {
    workspace.check(mlp)?;
    check_length("parameters", mlp.n_params(), params.len())?;
    let total = input.checked_rows(mlp.input_dim())?;
    let classes = mlp.output_dim();
    check_length("outputs", total * classes, out.len())?;
    let chunk_rows = workspace.chunk_rows;
    let last = mlp.depth() - 1;
    let mut pass_start = 0;
    while pass_start < total {
        let n_chunks = workspace.pass_chunks(pass_start, total);
        let pass_end = (pass_start + n_chunks * chunk_rows).min(total);
        workspace.chunks[..n_chunks]
            .par_iter_mut()
            .zip(out[pass_start * classes..pass_end * classes].par_chunks_mut(chunk_rows * classes))
            .enumerate()
            .try_for_each(|(chunk, (scratch, out))| -> Result<()> {
                let start = pass_start + chunk * chunk_rows;
                forward(mlp, params, &input, start, out.len() / classes, scratch)?;
                out.copy_from_slice(&scratch.activations[last][..out.len()]);
                Ok(())
            })?;
        pass_start = pass_end;
    }
    Ok(())
}
