//! The tied ReLU-output toy model, y = ReLU(x·W·Wᵀ + b), with a hand-written, fused
//! forward and backward pass over sparse inputs.
//!
//! With z = h·Wᵀ + b, h = x·W and G = ∂L/∂z from the fused output pass:
//! ∂L/∂W = Gᵀ·h + xᵀ·(G·W) (W appears on both sides of the tied model) and ∂L/∂b = Σ_b G.
//! x is sparse, so x·W and xᵀ·(G·W) cost B·E·m; h·Wᵀ is one dense product; G·W and Gᵀ·h
//! are dense products early in training and sparse scans once ReLU switches most outputs
//! off (`superposition_scaling.md` §4, cost model).

use crate::error::{invalid, Result};
use rand::Rng;
use rand_distr::StandardNormal;
use superscale_kernels::{
    matmul, output_gradient_dense, output_gradient_sparse, relu_loss_forward, relu_loss_gradient,
    sparse_times_dense, sparse_transpose_times_dense_add, MatMut, MatRef, RowLoss, Simd, SparseRows,
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
        Self { weights: vec![0.0; n_features * width], bias: vec![0.0; n_features] }
    }
}

/// Every intermediate of one step, allocated once for a batch size.
#[derive(Debug, Clone)]
pub struct StepBuffers {
    batch: usize,
    hidden: Vec<f32>,
    pre: Vec<f32>,
    grad_hidden: Vec<f32>,
    active_pre: Vec<f32>,
}

impl StepBuffers {
    /// Buffers for batches of `batch` samples of a model of this shape.
    pub fn new(n_features: usize, width: usize, batch: usize) -> Self {
        Self {
            batch,
            hidden: vec![0.0; batch * width],
            pre: vec![0.0; batch * n_features],
            grad_hidden: vec![0.0; batch * width],
            active_pre: Vec::new(),
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
        let weights = (0..n_features * width).map(|_| rng.sample::<f32, _>(StandardNormal) * std).collect();
        let bias = match init {
            Init::SuperpositionScaling => (0..n_features).map(|_| rng.sample::<f32, _>(StandardNormal)).collect(),
            Init::XavierNormal => vec![0.0; n_features],
        };
        Ok(Self { n_features, width, weights, bias })
    }

    /// A model from given parameters (checked for shape).
    pub fn from_parts(n_features: usize, width: usize, weights: Vec<f32>, bias: Vec<f32>) -> Result<Self> {
        if weights.len() != n_features * width || bias.len() != n_features || width == 0 {
            return Err(invalid(
                "weights",
                format!("{} weights and {} biases", weights.len(), bias.len()),
                format!("expected {n_features}×{width} weights and {n_features} biases"),
            ));
        }
        Ok(Self { n_features, width, weights, bias })
    }

    /// Whether every parameter is finite (a diverged model is not).
    pub fn is_finite(&self) -> bool {
        self.weights.iter().chain(&self.bias).all(|v| v.is_finite())
    }

    fn forward_pre(&self, simd: Simd, x: &SparseRows, buffers: &mut StepBuffers) -> Result<()> {
        if x.rows() != buffers.batch || x.cols != self.n_features {
            return Err(invalid(
                "batch",
                format!("{}×{}", x.rows(), x.cols),
                format!("buffers were made for {}×{}", buffers.batch, self.n_features),
            ));
        }
        let (n, m, batch) = (self.n_features, self.width, buffers.batch);
        sparse_times_dense(simd, &mut buffers.hidden, x, &self.weights, m)?;
        matmul(
            MatMut::row_major(&mut buffers.pre, batch, n)?,
            MatRef::row_major(&buffers.hidden, batch, m)?,
            MatRef::row_major(&self.weights, n, m)?.transpose(),
            false,
        )?;
        Ok(())
    }

    /// Σ_b Σ_i I_i (y_bi − x_bi)² over the batch (forward only).
    pub fn loss_sum(&self, simd: Simd, x: &SparseRows, importance: &[f32], buffers: &mut StepBuffers) -> Result<f64> {
        self.forward_pre(simd, x, buffers)?;
        Ok(relu_loss_forward(simd, &mut buffers.pre, &self.bias, importance, x)?)
    }

    /// The loss sum Σ_b Σ_i I_i (y_bi − x_bi)² and, in `grads`, the gradient of the
    /// weighted mean (that sum divided by B·n: `nn.MSELoss`, and the TMS notebook's mean).
    ///
    /// The backward of the output layer scans G sparsely when the fraction of non-zero
    /// entries is below `sparse_below`, and uses two dense products otherwise.
    pub fn loss_and_gradient(
        &self,
        simd: Simd,
        x: &SparseRows,
        importance: &[f32],
        buffers: &mut StepBuffers,
        grads: &mut Gradients,
        sparse_below: f32,
    ) -> Result<RowLoss> {
        self.forward_pre(simd, x, buffers)?;
        let (n, m, batch) = (self.n_features, self.width, buffers.batch);
        let scale = 2.0 / (batch * n) as f32;
        let loss = relu_loss_gradient(
            simd,
            &mut buffers.pre,
            &self.bias,
            importance,
            x,
            scale,
            &mut grads.bias,
            &mut buffers.active_pre,
        )?;
        let density = loss.nonzero_gradients as f32 / (batch * n).max(1) as f32;
        if density < sparse_below {
            output_gradient_sparse(simd, &buffers.pre, &self.weights, &buffers.hidden, &mut buffers.grad_hidden, &mut grads.weights, m)?;
        } else {
            output_gradient_dense(&buffers.pre, &self.weights, &buffers.hidden, &mut buffers.grad_hidden, &mut grads.weights, m)?;
        }
        sparse_transpose_times_dense_add(simd, &mut grads.weights, x, &buffers.grad_hidden, m)?;
        Ok(loss)
    }
}

#[cfg(test)]
#[path = "toy_model_tests.rs"]
mod tests;
