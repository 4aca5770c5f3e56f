//! The tied ReLU-output toy model, y = ReLU(x·W·Wᵀ + b), with a hand-written, fused
//! forward and backward pass over sparse inputs.
//!
//! With z = h·Wᵀ + b, h = x·W and G = ∂L/∂z from the fused output pass:
//! ∂L/∂W = Gᵀ·h + xᵀ·(G·W) (W appears on both sides of the tied model) and ∂L/∂b = Σ_b G.
//! x is sparse, so x·W and xᵀ·(G·W) cost B·E·m; x·W·Wᵀ is either h·Wᵀ per row block or
//! rows of K = W·Wᵀ combined by the sparse input, whichever counts fewer FLOP
//! (`forward.rs`); G·W and Gᵀ·h are dense products early in training and sparse scans once
//! ReLU switches most outputs off (`docs/science/superposition.md` §4.1, cost model).

use crate::backward::add_projected_gradient;
use crate::error::{invalid, Result};
use crate::forward::{
    block_pre_activations, gram_pays, projection_pays, Forward, ForwardForm, GramScratch,
};
use crate::step_buffers::Chunk;
pub use crate::step_buffers::{StepBuffers, CHUNK_ROWS, ROW_BLOCK};
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use superscale_kernels::{
    output_gradient_dense, output_gradient_sparse, relu_loss_forward, relu_loss_gradient,
    sparse_block_transpose_times_dense_add, sparse_times_dense, sparse_transpose_times_dense_add,
    RowLoss, Simd, SparseRows,
};

/// How the parameters are initialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    /// W_ij ~ N(0, 1/m), b_i ~ N(0, 1) (Liu, Liu & Gore 2025, `exp-10.py` l.18–28).
    SuperpositionScaling,
    /// W xavier-normal, std √(2/(n+m)) for the n × m matrix, and b = 0 (Elhage et al.
    /// 2022, notebook cell 4, per model rather than over the stacked instances tensor).
    XavierNormal,
}

/// The parameters of one tied toy model: W (n × m, row-major, row i = feature i) and b.
#[derive(Debug, Clone, PartialEq)]
pub struct ToyModel {
    /// number of features n
    pub n_features: usize,
    /// hidden width m
    pub width: usize,
    /// W, n × m row-major
    pub weights: Vec<f32>,
    /// b, length n
    pub bias: Vec<f32>,
}

/// Gradients with the shapes of the parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    /// ∂L/∂W, n × m
    pub weights: Vec<f32>,
    /// ∂L/∂b, length n
    pub bias: Vec<f32>,
}

impl Gradients {
    /// Zero gradients for a model of this shape.
    pub fn zeros(n_features: usize, width: usize) -> Self {
        Self {
            weights: vec![0.0; n_features * width],
            bias: vec![0.0; n_features],
        }
    }
}

impl ToyModel {
    /// A freshly initialised model.
    pub fn new<R: Rng>(n_features: usize, width: usize, init: Init, rng: &mut R) -> Result<Self> {
        if n_features == 0 {
            return Err(invalid("n_features", n_features, "must be at least 1"));
        }
        if width == 0 {
            return Err(invalid("n_hidden", width, "must be at least 1"));
        }
        let std = match init {
            Init::SuperpositionScaling => 1.0 / (width as f64).sqrt(),
            Init::XavierNormal => (2.0 / (n_features + width) as f64).sqrt(),
        } as f32;
        let weights = (0..n_features * width)
            .map(|_| rng.sample::<f32, _>(StandardNormal) * std)
            .collect();
        let bias = match init {
            Init::SuperpositionScaling => (0..n_features)
                .map(|_| rng.sample::<f32, _>(StandardNormal))
                .collect(),
            Init::XavierNormal => vec![0.0; n_features],
        };
        Ok(Self {
            n_features,
            width,
            weights,
            bias,
        })
    }

    /// A model from given parameters (checked for shape).
    pub fn from_parts(
        n_features: usize,
        width: usize,
        weights: Vec<f32>,
        bias: Vec<f32>,
    ) -> Result<Self> {
        if weights.len() != n_features * width || bias.len() != n_features || width == 0 {
            return Err(invalid(
                "weights",
                format!("{} weights and {} biases", weights.len(), bias.len()),
                format!("expected {n_features}×{width} weights and {n_features} biases"),
            ));
        }
        Ok(Self {
            n_features,
            width,
            weights,
            bias,
        })
    }

    /// Whether every parameter is finite (a diverged model is not).
    pub fn is_finite(&self) -> bool {
        self.weights.iter().chain(&self.bias).all(|v| v.is_finite())
    }

    fn check_batch(&self, x: &SparseRows, buffers: &StepBuffers) -> Result<()> {
        if x.rows() != buffers.batch || x.cols != self.n_features {
            return Err(invalid(
                "batch",
                format!("{}×{}", x.rows(), x.cols),
                format!(
                    "buffers were made for {}×{}",
                    buffers.batch, self.n_features
                ),
            ));
        }
        Ok(())
    }

    /// The forward form for this batch (computing K = W·Wᵀ when it is the Gram form).
    fn prepare_forward<'a>(
        &self,
        x: &SparseRows,
        gram: &'a mut GramScratch,
        form: ForwardForm,
    ) -> Result<Forward<'a>> {
        let (n, m) = (self.n_features, self.width);
        if gram.is_allocated() && form != ForwardForm::Direct {
            let active = gram.number_active(x);
            let (batch, entries) = (x.rows(), x.entries());
            let chunks = batch.div_ceil(CHUNK_ROWS);
            // A forced Gram form takes the projected backward too, so tests cover both.
            let forced = form == ForwardForm::Gram;
            if forced || gram_pays(m, batch, active, entries) {
                let project = forced || projection_pays(m, batch, active, entries, chunks);
                return gram.prepare(x, &self.weights, n, m, active, project);
            }
        }
        Ok(Forward::Direct)
    }

    /// Σ_b Σ_i I_i (y_bi − x_bi)² over the batch (forward only, single-threaded).
    pub fn loss_sum(
        &self,
        simd: Simd,
        x: &SparseRows,
        importance: &[f32],
        buffers: &mut StepBuffers,
    ) -> Result<f64> {
        self.check_batch(x, buffers)?;
        let (n, m) = (self.n_features, self.width);
        sparse_times_dense(simd, &mut buffers.hidden, x, &self.weights, m)?;
        let forward = self.prepare_forward(x, &mut buffers.gram, buffers.form)?;
        let pre = &mut buffers.chunks[0].pre;
        let mut total = 0.0;
        for start in (0..buffers.batch).step_by(ROW_BLOCK) {
            let rows = ROW_BLOCK.min(buffers.batch - start);
            let hidden = &buffers.hidden[start * m..(start + rows) * m];
            block_pre_activations(forward, simd, pre, start, hidden, &self.weights, n, m)?;
            total +=
                relu_loss_forward(simd, &mut pre[..rows * n], &self.bias, importance, x, start)?;
        }
        Ok(total)
    }

    /// One chunk of rows: forward, fused loss and output gradient, backward into the
    /// chunk's partial dW and db, and its rows of dH.
    #[allow(clippy::too_many_arguments)]
    fn chunk_gradient(
        &self,
        forward: Forward<'_>,
        simd: Simd,
        x: &SparseRows,
        importance: &[f32],
        first_row: usize,
        hidden: &[f32],
        grad_hidden: &mut [f32],
        chunk: &mut Chunk,
        scale: f32,
        sparse_below: f32,
    ) -> Result<()> {
        let (n, m) = (self.n_features, self.width);
        let rows_in_chunk = hidden.len() / m;
        chunk.grad_weights.fill(0.0);
        chunk.grad_bias.fill(0.0);
        chunk.projection_used = false;
        chunk.loss = RowLoss {
            weighted_sum: 0.0,
            nonzero_gradients: 0,
        };
        for offset in (0..rows_in_chunk).step_by(ROW_BLOCK) {
            let rows = ROW_BLOCK.min(rows_in_chunk - offset);
            let block_hidden = &hidden[offset * m..(offset + rows) * m];
            block_pre_activations(
                forward,
                simd,
                &mut chunk.pre,
                first_row + offset,
                block_hidden,
                &self.weights,
                n,
                m,
            )?;
            let pre = &mut chunk.pre[..rows * n];
            let block = relu_loss_gradient(
                simd,
                pre,
                &self.bias,
                importance,
                x,
                first_row + offset,
                scale,
                &mut chunk.grad_bias,
                &mut chunk.active_pre,
            )?;
            let block_grad_hidden = &mut grad_hidden[offset * m..(offset + rows) * m];
            if (block.nonzero_gradients as f32) < sparse_below * (rows * n) as f32 {
                output_gradient_sparse(
                    simd,
                    pre,
                    &self.weights,
                    block_hidden,
                    block_grad_hidden,
                    &mut chunk.grad_weights,
                    m,
                    &mut chunk.positions,
                )?;
            } else if let (
                Forward::Gram {
                    input,
                    project: true,
                    ..
                },
                false,
            ) = (forward, chunk.projection.is_empty())
            {
                // P += xᵀ·G for this block; its terms reach ∂L/∂W through P after the
                // chunks (`backward.rs`), so this block adds nothing through dH.
                let projection = &mut chunk.projection[..input.cols * n];
                if !chunk.projection_used {
                    projection.fill(0.0);
                    chunk.projection_used = true;
                }
                sparse_block_transpose_times_dense_add(
                    simd,
                    projection,
                    input,
                    first_row + offset,
                    pre,
                    n,
                )?;
                block_grad_hidden.fill(0.0);
            } else {
                output_gradient_dense(
                    pre,
                    &self.weights,
                    block_hidden,
                    block_grad_hidden,
                    &mut chunk.grad_weights,
                    m,
                )?;
            }
            chunk.loss.weighted_sum += block.weighted_sum;
            chunk.loss.nonzero_gradients += block.nonzero_gradients;
        }
        Ok(())
    }

    /// The loss sum Σ_b Σ_i I_i (y_bi − x_bi)² and, in `grads`, the gradient of the
    /// weighted mean (that sum divided by B·n: `nn.MSELoss`, and the TMS notebook's mean).
    ///
    /// The batch runs in chunks of [`CHUNK_ROWS`] rows, in parallel on the current rayon
    /// pool, each in blocks of [`ROW_BLOCK`] rows; in each block the backward of the output
    /// layer scans G sparsely when the fraction of non-zero entries is below `sparse_below`,
    /// and uses two dense products otherwise. Partial gradients are summed in chunk order.
    pub fn loss_and_gradient(
        &self,
        simd: Simd,
        x: &SparseRows,
        importance: &[f32],
        buffers: &mut StepBuffers,
        grads: &mut Gradients,
        sparse_below: f32,
    ) -> Result<RowLoss> {
        self.check_batch(x, buffers)?;
        let (n, m, batch) = (self.n_features, self.width, buffers.batch);
        let scale = 2.0 / (batch * n) as f32;
        sparse_times_dense(simd, &mut buffers.hidden, x, &self.weights, m)?;
        let forward = self.prepare_forward(x, &mut buffers.gram, buffers.form)?;
        let hidden = &buffers.hidden;
        buffers
            .chunks
            .par_iter_mut()
            .zip(buffers.grad_hidden.par_chunks_mut(CHUNK_ROWS * m))
            .enumerate()
            .try_for_each(|(index, (chunk, grad_hidden))| {
                let first_row = index * CHUNK_ROWS;
                let chunk_hidden = &hidden[first_row * m..first_row * m + grad_hidden.len()];
                self.chunk_gradient(
                    forward,
                    simd,
                    x,
                    importance,
                    first_row,
                    chunk_hidden,
                    grad_hidden,
                    chunk,
                    scale,
                    sparse_below,
                )
            })?;
        let mut total = RowLoss {
            weighted_sum: 0.0,
            nonzero_gradients: 0,
        };
        grads.weights.fill(0.0);
        grads.bias.fill(0.0);
        for chunk in &buffers.chunks {
            grads
                .weights
                .iter_mut()
                .zip(&chunk.grad_weights)
                .for_each(|(g, p)| *g += p);
            grads
                .bias
                .iter_mut()
                .zip(&chunk.grad_bias)
                .for_each(|(g, p)| *g += p);
            total.weighted_sum += chunk.loss.weighted_sum;
            total.nonzero_gradients += chunk.loss.nonzero_gradients;
        }
        // The chunks' P summed in chunk order into the first one that has it.
        let mut used = buffers.chunks.iter_mut().filter(|c| c.projection_used);
        if let Some(first) = used.next() {
            let length = buffers.gram.active() * n;
            for other in used {
                first.projection[..length]
                    .iter_mut()
                    .zip(&other.projection[..length])
                    .for_each(|(p, q)| *p += q);
            }
            add_projected_gradient(
                &first.projection,
                &mut buffers.gram,
                &self.weights,
                &mut grads.weights,
                n,
                m,
            )?;
        }
        sparse_transpose_times_dense_add(simd, &mut grads.weights, x, &buffers.grad_hidden, m)?;
        Ok(total)
    }
}

#[cfg(test)]
#[path = "toy_model_tests.rs"]
mod tests;
