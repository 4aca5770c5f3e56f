//! What the network reads (dense rows or sparse rows) and what its loss compares with.

use crate::mlp::error::{check_length, Error, Result};
use crate::mlp::real::Real;
use superscale_kernels::SparseRows;

/// A batch of inputs, `rows × input_dim`.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a, T> {
    /// Row-major dense rows; the first layer is one GEMM.
    Dense(&'a [T]),
    /// Compressed sparse rows (f32 values, converted to `T`). The first layer then costs
    /// rows·(non-zeros per row)·width instead of rows·input_dim·width: the multitask
    /// sparse-parity input (one-hot task ⊕ bits) has about 1 + n/2 non-zeros out of
    /// n_tasks + n (`docs/science/quanta.md` §1).
    Sparse(&'a SparseRows),
}

impl<T: Real> Input<'_, T> {
    /// Number of rows, after checking the shape against `input_dim`.
    pub(crate) fn checked_rows(&self, input_dim: usize) -> Result<usize> {
        match self {
            Input::Dense(values) => {
                let rows = values.len() / input_dim;
                check_length("dense input", rows * input_dim, values.len())?;
                Ok(rows)
            }
            Input::Sparse(sparse) => {
                check_length("sparse input columns", input_dim, sparse.cols)?;
                for row in 0..sparse.rows() {
                    if let Some(&column) =
                        sparse.row(row).0.iter().find(|&&c| c as usize >= input_dim)
                    {
                        return Err(Error::SparseColumn {
                            row,
                            column,
                            input_dim,
                        });
                    }
                }
                Ok(sparse.rows())
            }
        }
    }
}

/// What the loss compares the outputs with.
#[derive(Debug, Clone, Copy)]
pub enum Targets<'a, T> {
    /// One class per row: softmax cross-entropy, mean over rows (torch `CrossEntropyLoss`).
    Labels(&'a [u32]),
    /// `rows × output_dim` values: mean squared error over all rows·outputs
    /// (torch `MSELoss(reduction = "mean")`).
    Values(&'a [T]),
}

impl<T: Real> Targets<'_, T> {
    pub(crate) fn check(&self, rows: usize, classes: usize) -> Result<()> {
        match self {
            Targets::Labels(labels) => {
                check_length("labels", rows, labels.len())?;
                check_labels(labels, classes)
            }
            Targets::Values(values) => check_length("target values", rows * classes, values.len()),
        }
    }
}

pub(crate) fn check_labels(labels: &[u32], classes: usize) -> Result<()> {
    match labels.iter().position(|&label| label as usize >= classes) {
        Some(row) => Err(Error::Label {
            row,
            label: labels[row],
            classes,
        }),
        None => Ok(()),
    }
}

/// Per-row outcome of a classification evaluation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RowOutcome {
    /// cross-entropy of the label, in nats (divide by ln 2 for bits)
    pub loss: f64,
    /// whether the arg-max class is the label (ties go to the lower class index)
    pub correct: bool,
    /// softmax probability of the label
    pub probability: f64,
    /// Brier score Σ_k (p_k − 1[k = label])², a continuous metric (`docs/science/quanta.md` §6.1)
    pub brier: f64,
}
