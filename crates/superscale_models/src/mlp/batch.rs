//! The batch driver: fixed chunks of rows on rayon, reduced in chunk order.
//!
//! A batch is cut into chunks of `chunk_rows` rows, processed `slots` chunks at a time;
//! each chunk has its own scratch and gradient, and the chunk gradients are summed in
//! chunk order. Which thread runs a chunk never changes a bit, so the results are the same
//! for any thread count (`common` rule: deterministic for any thread count). They do
//! depend on `chunk_rows` (the order of additions), which is part of the workspace.

use crate::mlp::architecture::Mlp;
use crate::mlp::error::{check_length, Error, Result};
use crate::mlp::fused::{self, Tables};
use crate::mlp::input::{check_labels, Input, OneHotBits, RowOutcome, Targets};
use crate::mlp::pass::{backward, forward, loss_delta, outcomes, ChunkScratch};
use crate::mlp::real::Real;
use rayon::prelude::*;
use superscale_kernels::Simd;

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
    /// the fused path's tables, rebuilt from the parameters by every call
    tables: Tables<T>,
    simd: Simd,
    /// whether the fused kernels may use AVX-512 where the CPU has it
    avx512: bool,
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
            tables: Tables::default(),
            simd: Simd::detect(),
            avx512: true,
        }
    }

    /// Runs the fused one-hot ⊕ bits kernels with `simd` (by default the best this CPU
    /// has). They use no fused multiply-add, so every choice gives the same bits; this
    /// exists to test that.
    pub fn set_simd(&mut self, simd: Simd) {
        self.simd = simd;
    }

    /// Lets the fused kernels use AVX-512 instead of AVX2 where the CPU has it (the
    /// default). The bits are the same; this exists to test both on such a CPU.
    pub fn set_avx512(&mut self, allowed: bool) {
        self.avx512 = allowed;
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
    if let (Input::OneHotBits(binary), Targets::Labels(labels)) = (&input, &targets) {
        if fused::applies(mlp) {
            let loss_sum =
                fused_loss_and_gradient(mlp, params, binary, labels, gradient, workspace);
            return Ok(loss_sum / total as f64);
        }
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
    if let Input::OneHotBits(binary) = &input {
        if fused::applies(mlp) {
            fused_evaluate(mlp, params, binary, labels, out, workspace);
            return Ok(());
        }
    }
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
    if let Input::OneHotBits(binary) = &input {
        if fused::applies(mlp) {
            workspace.tables.build(mlp, params, binary);
            let (tables, chunk_rows) = (&workspace.tables, workspace.chunk_rows);
            let scratch = &mut workspace.chunks[0];
            for (chunk, out) in out.chunks_mut(chunk_rows * classes).enumerate() {
                fused::outputs_chunk(tables, binary, chunk * chunk_rows, &mut scratch.fused, out);
            }
            return Ok(());
        }
    }
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

/// Rows of W₀ summed per task in the fused path's ordered reduction.
const REDUCE_ROWS: usize = 32;

/// [`loss_and_gradient`] through the fused depth-2 kernels (`fused/`): the same chunks
/// and passes, each chunk writing only the rows of W₀ it touches, reduced in chunk order.
/// Returns the sum of the per-row losses; `gradient` must be zero on entry.
fn fused_loss_and_gradient<T: Real>(
    mlp: &Mlp,
    params: &[T],
    binary: &OneHotBits,
    labels: &[u32],
    gradient: &mut [T],
    workspace: &mut Workspace<T>,
) -> f64 {
    let total = binary.rows();
    workspace.tables.build(mlp, params, binary);
    for scratch in &mut workspace.chunks {
        scratch.gradient.resize(mlp.n_params(), T::ZERO);
    }
    let (chunk_rows, simd, avx512) = (workspace.chunk_rows, workspace.simd, workspace.avx512);
    let width = mlp.layer_sizes()[1];
    let first_layer = mlp.weight_range(0);
    let mut loss_sum = 0.0;
    let mut pass_start = 0;
    while pass_start < total {
        let n_chunks = workspace.pass_chunks(pass_start, total);
        let tables = &workspace.tables;
        workspace.chunks[..n_chunks]
            .par_iter_mut()
            .enumerate()
            .for_each(|(chunk, scratch)| {
                let start = pass_start + chunk * chunk_rows;
                let rows = chunk_rows.min(total - start);
                scratch.loss_sum = fused::gradient_chunk(
                    simd,
                    avx512,
                    mlp,
                    tables,
                    binary,
                    labels,
                    start,
                    rows,
                    total,
                    &mut scratch.fused,
                    &mut scratch.gradient,
                );
            });
        let chunks = &workspace.chunks[..n_chunks];
        let (first, rest) = gradient.split_at_mut(first_layer.end);
        // W₀: a task row only from the chunks that touched it, every bit row from all.
        first
            .par_chunks_mut(REDUCE_ROWS * width)
            .enumerate()
            .for_each(|(block, out)| {
                for (offset, out_row) in out.chunks_exact_mut(width).enumerate() {
                    let row = block * REDUCE_ROWS + offset;
                    for scratch in chunks {
                        if row < binary.one_hot && !scratch.fused.is_touched[row] {
                            continue;
                        }
                        let part = &scratch.gradient[row * width..(row + 1) * width];
                        for (g, &p) in out_row.iter_mut().zip(part) {
                            *g += p;
                        }
                    }
                }
            });
        // b₀, W₁, b₁: written by every chunk.
        for scratch in chunks {
            for (g, &p) in rest.iter_mut().zip(&scratch.gradient[first_layer.end..]) {
                *g += p;
            }
        }
        loss_sum += chunks.iter().map(|scratch| scratch.loss_sum).sum::<f64>();
        pass_start += n_chunks * chunk_rows;
    }
    loss_sum
}

/// [`evaluate`] through the fused depth-2 forward.
fn fused_evaluate<T: Real>(
    mlp: &Mlp,
    params: &[T],
    binary: &OneHotBits,
    labels: &[u32],
    out: &mut [RowOutcome],
    workspace: &mut Workspace<T>,
) {
    workspace.tables.build(mlp, params, binary);
    let (tables, chunk_rows, simd, avx512) = (
        &workspace.tables,
        workspace.chunk_rows,
        workspace.simd,
        workspace.avx512,
    );
    let total = binary.rows();
    let mut pass_start = 0;
    while pass_start < total {
        let n_chunks = (total - pass_start)
            .min(chunk_rows * workspace.chunks.len())
            .div_ceil(chunk_rows);
        let pass_end = (pass_start + n_chunks * chunk_rows).min(total);
        workspace.chunks[..n_chunks]
            .par_iter_mut()
            .zip(out[pass_start..pass_end].par_chunks_mut(chunk_rows))
            .enumerate()
            .for_each(|(chunk, (scratch, out))| {
                let start = pass_start + chunk * chunk_rows;
                fused::evaluate_chunk(
                    simd,
                    avx512,
                    tables,
                    binary,
                    labels,
                    start,
                    &mut scratch.fused,
                    out,
                );
            });
        pass_start = pass_end;
    }
}
