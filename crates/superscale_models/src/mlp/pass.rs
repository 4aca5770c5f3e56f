//! Forward, loss and backward of one fixed chunk of rows, into that chunk's own scratch.
//!
//! The batch driver (`batch.rs`) runs chunks in parallel and reduces their gradients in
//! chunk order, so nothing here depends on which thread runs which chunk.

use crate::mlp::architecture::Mlp;
use crate::mlp::error::Result;
use crate::mlp::fused::FusedChunk;
use crate::mlp::input::{Input, OneHotBits, RowOutcome, Targets};
use crate::mlp::real::Real;
use superscale_kernels::{matmul, MatMut, MatRef};

/// Scratch of one chunk: activations of every layer, two delta buffers and a gradient.
#[derive(Debug, Clone)]
pub(crate) struct ChunkScratch<T> {
    /// per layer l, `chunk_rows × out_l`: ReLU outputs of hidden layers, logits of the last
    pub(crate) activations: Vec<Vec<T>>,
    delta: Vec<T>,
    delta_next: Vec<T>,
    /// this chunk's gradient of the batch-mean loss (allocated only for training)
    pub(crate) gradient: Vec<T>,
    /// this chunk's sum of per-row losses
    pub(crate) loss_sum: f64,
    /// scratch of the fused one-hot ⊕ bits path (sized on first use)
    pub(crate) fused: FusedChunk<T>,
}

impl<T: Real> ChunkScratch<T> {
    pub(crate) fn new(mlp: &Mlp, chunk_rows: usize) -> Self {
        let activations = mlp.layer_sizes()[1..]
            .iter()
            .map(|&size| vec![T::ZERO; chunk_rows * size])
            .collect();
        Self {
            activations,
            delta: vec![T::ZERO; chunk_rows * mlp.widest_layer()],
            delta_next: vec![T::ZERO; chunk_rows * mlp.widest_layer()],
            gradient: Vec::new(),
            loss_sum: 0.0,
            fused: FusedChunk::default(),
        }
    }
}

fn add_bias<T: Real>(values: &mut [T], bias: &[T]) {
    for row in values.chunks_exact_mut(bias.len()) {
        for (v, &b) in row.iter_mut().zip(bias) {
            *v += b;
        }
    }
}

fn relu<T: Real>(values: &mut [T]) {
    for v in values {
        if *v < T::ZERO {
            *v = T::ZERO;
        }
    }
}

/// Calls `visit` with the column of every one of row `row`, in increasing order.
#[inline]
fn for_each_column(binary: &OneHotBits, row: usize, mut visit: impl FnMut(usize)) {
    visit(binary.index[row] as usize);
    for (word_index, &word) in binary.row_words(row).iter().enumerate() {
        let mut word = word;
        while word != 0 {
            visit(binary.one_hot + word_index * 64 + word.trailing_zeros() as usize);
            word &= word - 1;
        }
    }
}

/// Forward pass of rows `start..start + rows` into `scratch.activations`.
pub(crate) fn forward<T: Real>(
    mlp: &Mlp,
    params: &[T],
    input: &Input<'_, T>,
    start: usize,
    rows: usize,
    scratch: &mut ChunkScratch<T>,
) -> Result<()> {
    let sizes = mlp.layer_sizes();
    for layer in 0..mlp.depth() {
        let (fan_in, fan_out) = (sizes[layer], sizes[layer + 1]);
        let weights = &params[mlp.weight_range(layer)];
        let bias = &params[mlp.bias_range(layer)];
        let (before, rest) = scratch.activations.split_at_mut(layer);
        let out = &mut rest[0][..rows * fan_out];
        if layer == 0 {
            match input {
                Input::Dense(values) => {
                    let x = &values[start * fan_in..(start + rows) * fan_in];
                    matmul(
                        MatMut::row_major(out, rows, fan_out)?,
                        MatRef::row_major(x, rows, fan_in)?,
                        MatRef::row_major(weights, fan_in, fan_out)?,
                        false,
                    )?;
                    add_bias(out, bias);
                }
                Input::Sparse(sparse) => {
                    // x·W₀ + b₀ for a sparse row: b₀ plus the rows of W₀ it selects.
                    for (row, out_row) in out.chunks_exact_mut(fan_out).enumerate() {
                        out_row.copy_from_slice(bias);
                        let (columns, values) = sparse.row(start + row);
                        for (&column, &value) in columns.iter().zip(values) {
                            let weight_row = &weights[column as usize * fan_out..][..fan_out];
                            let value = T::from_f64(f64::from(value));
                            for (o, &w) in out_row.iter_mut().zip(weight_row) {
                                *o += value * w;
                            }
                        }
                    }
                }
                Input::OneHotBits(binary) => {
                    // b₀ plus the index's row of W₀, then the rows of the set bits in
                    // increasing order: the sparse path's sums with every value 1.
                    for (row, out_row) in out.chunks_exact_mut(fan_out).enumerate() {
                        out_row.copy_from_slice(bias);
                        for_each_column(binary, start + row, |column| {
                            let weight_row = &weights[column * fan_out..][..fan_out];
                            for (o, &w) in out_row.iter_mut().zip(weight_row) {
                                *o += w;
                            }
                        });
                    }
                }
            }
        } else {
            let previous = &before[layer - 1][..rows * fan_in];
            matmul(
                MatMut::row_major(out, rows, fan_out)?,
                MatRef::row_major(previous, rows, fan_in)?,
                MatRef::row_major(weights, fan_in, fan_out)?,
                false,
            )?;
            add_bias(out, bias);
        }
        if layer + 1 < mlp.depth() {
            relu(out);
        }
    }
    Ok(())
}

/// Softmax of one row of logits in f64, and its cross-entropy of `label` computed as
/// (max − z_label) + ln(1 + Σ_{k≠argmax} e^{z_k − max}) so that a small loss keeps its
/// digits (ln of a sum near 1 would round it to 0 in f32).
pub(crate) fn softmax_row<T: Real>(
    logits: &[T],
    label: usize,
    probabilities: &mut [f64],
) -> RowOutcome {
    let mut best = 0;
    for (k, z) in logits.iter().enumerate() {
        if *z > logits[best] {
            best = k;
        }
    }
    let max = logits[best].to_f64();
    let mut rest = 0.0;
    for (k, (p, z)) in probabilities.iter_mut().zip(logits).enumerate() {
        // e^0 = 1 exactly: the largest logit needs no call to exp.
        if k == best {
            *p = 1.0;
        } else {
            *p = (z.to_f64() - max).exp();
            rest += *p;
        }
    }
    let total = 1.0 + rest;
    let mut brier = 0.0;
    for (k, p) in probabilities.iter_mut().enumerate() {
        *p /= total;
        let target = if k == label { 1.0 } else { 0.0 };
        brier += (*p - target) * (*p - target);
    }
    RowOutcome {
        loss: (max - logits[label].to_f64()) + rest.ln_1p(),
        correct: best == label,
        probability: probabilities[label],
        brier,
    }
}

/// Largest output dimension whose softmax fits the stack buffer of [`loss_delta`].
pub(crate) const MAX_STACK_CLASSES: usize = 64;

/// Per-row outcomes of the logits of rows `0..rows` (classification evaluation).
pub(crate) fn outcomes<T: Real>(
    mlp: &Mlp,
    labels: &[u32],
    rows: usize,
    scratch: &ChunkScratch<T>,
    out: &mut [RowOutcome],
) {
    let classes = mlp.output_dim();
    let logits = &scratch.activations[mlp.depth() - 1][..rows * classes];
    let mut heap = Vec::new();
    let mut stack = [0.0f64; MAX_STACK_CLASSES];
    let probabilities = probability_buffer(classes, &mut stack, &mut heap);
    for ((row_logits, &label), outcome) in logits.chunks_exact(classes).zip(labels).zip(out) {
        *outcome = softmax_row(row_logits, label as usize, probabilities);
    }
}

fn probability_buffer<'a>(
    classes: usize,
    stack: &'a mut [f64; MAX_STACK_CLASSES],
    heap: &'a mut Vec<f64>,
) -> &'a mut [f64] {
    if classes <= MAX_STACK_CLASSES {
        &mut stack[..classes]
    } else {
        // Only networks with more than 64 outputs allocate here (once per chunk).
        heap.resize(classes, 0.0);
        heap
    }
}

/// The loss of rows `start..start + rows` (sum over rows, returned) and dLoss/dlogits of
/// the batch mean into the delta buffer; `total_rows` is the whole batch's row count.
pub(crate) fn loss_delta<T: Real>(
    mlp: &Mlp,
    targets: &Targets<'_, T>,
    start: usize,
    rows: usize,
    total_rows: usize,
    scratch: &mut ChunkScratch<T>,
) -> f64 {
    let classes = mlp.output_dim();
    let logits = &scratch.activations[mlp.depth() - 1][..rows * classes];
    let delta = &mut scratch.delta[..rows * classes];
    let mut sum = 0.0;
    match targets {
        Targets::Labels(labels) => {
            // d mean CE / dz_k = (p_k − 1[k = y]) / B (softmax cross-entropy).
            let scale = 1.0 / total_rows as f64;
            let mut heap = Vec::new();
            let mut stack = [0.0f64; MAX_STACK_CLASSES];
            let probabilities = probability_buffer(classes, &mut stack, &mut heap);
            let labels = &labels[start..start + rows];
            for ((row_logits, row_delta), &label) in logits
                .chunks_exact(classes)
                .zip(delta.chunks_exact_mut(classes))
                .zip(labels)
            {
                let outcome = softmax_row(row_logits, label as usize, probabilities);
                sum += outcome.loss;
                for (k, (d, p)) in row_delta.iter_mut().zip(probabilities.iter()).enumerate() {
                    let target = if k == label as usize { 1.0 } else { 0.0 };
                    *d = T::from_f64((p - target) * scale);
                }
            }
        }
        Targets::Values(values) => {
            // mean over B·C of (z − t)²: d/dz = 2(z − t)/(B·C).
            let scale = T::from_f64(2.0 / (total_rows * classes) as f64);
            let values = &values[start * classes..(start + rows) * classes];
            for ((d, &z), &t) in delta.iter_mut().zip(logits).zip(values) {
                let residual = z - t;
                sum += (residual * residual).to_f64();
                *d = scale * residual;
            }
        }
    }
    sum
}

/// Backward pass of the chunk: its gradient (overwritten) from the delta of the logits.
pub(crate) fn backward<T: Real>(
    mlp: &Mlp,
    params: &[T],
    input: &Input<'_, T>,
    start: usize,
    rows: usize,
    scratch: &mut ChunkScratch<T>,
) -> Result<()> {
    let sizes = mlp.layer_sizes();
    for layer in (0..mlp.depth()).rev() {
        let (fan_in, fan_out) = (sizes[layer], sizes[layer + 1]);
        let delta = &scratch.delta[..rows * fan_out];
        let (weight_gradient, rest) =
            scratch.gradient[mlp.weight_range(layer).start..].split_at_mut(fan_in * fan_out);
        let bias_gradient = &mut rest[..fan_out];
        // db = Σ_rows δ
        bias_gradient.fill(T::ZERO);
        for row in delta.chunks_exact(fan_out) {
            for (g, &d) in bias_gradient.iter_mut().zip(row) {
                *g += d;
            }
        }
        if layer > 0 {
            // dW_l = A_{l−1}ᵀ · δ
            let previous = &scratch.activations[layer - 1][..rows * fan_in];
            matmul(
                MatMut::row_major(weight_gradient, fan_in, fan_out)?,
                MatRef::row_major(previous, rows, fan_in)?.transpose(),
                MatRef::row_major(delta, rows, fan_out)?,
                false,
            )?;
            // δ_{l−1} = (δ · W_lᵀ) ⊙ 1[A_{l−1} > 0]
            let weights = &params[mlp.weight_range(layer)];
            let next = &mut scratch.delta_next[..rows * fan_in];
            matmul(
                MatMut::row_major(next, rows, fan_in)?,
                MatRef::row_major(delta, rows, fan_out)?,
                MatRef::row_major(weights, fan_in, fan_out)?.transpose(),
                false,
            )?;
            for (d, &a) in next.iter_mut().zip(previous) {
                if a <= T::ZERO {
                    *d = T::ZERO;
                }
            }
            std::mem::swap(&mut scratch.delta, &mut scratch.delta_next);
        } else {
            match input {
                Input::Dense(values) => {
                    let x = &values[start * fan_in..(start + rows) * fan_in];
                    matmul(
                        MatMut::row_major(weight_gradient, fan_in, fan_out)?,
                        MatRef::row_major(x, rows, fan_in)?.transpose(),
                        MatRef::row_major(delta, rows, fan_out)?,
                        false,
                    )?;
                }
                Input::Sparse(sparse) => {
                    // dW₀ = xᵀ·δ: each row adds value·δ_row to the rows of dW₀ it selects.
                    weight_gradient.fill(T::ZERO);
                    for (row, delta_row) in delta.chunks_exact(fan_out).enumerate() {
                        let (columns, values) = sparse.row(start + row);
                        for (&column, &value) in columns.iter().zip(values) {
                            let target =
                                &mut weight_gradient[column as usize * fan_out..][..fan_out];
                            let value = T::from_f64(f64::from(value));
                            for (g, &d) in target.iter_mut().zip(delta_row) {
                                *g += value * d;
                            }
                        }
                    }
                }
                Input::OneHotBits(binary) => {
                    weight_gradient.fill(T::ZERO);
                    for (row, delta_row) in delta.chunks_exact(fan_out).enumerate() {
                        for_each_column(binary, start + row, |column| {
                            let target = &mut weight_gradient[column * fan_out..][..fan_out];
                            for (g, &d) in target.iter_mut().zip(delta_row) {
                                *g += d;
                            }
                        });
                    }
                }
            }
        }
    }
    Ok(())
}
