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
    /// Rows x = one-hot(index) ⊕ bits, every value 0 or 1 (the multitask sparse-parity
    /// input, `docs/science/quanta.md` §1), stored as the one-hot index and the bit words of
    /// each row. The first layer of a row then adds the bias, the index's row of W₀ and
    /// the rows of its set bits; in f32 at depth 2 the whole step runs fused
    /// (`mlp::fused`).
    OneHotBits(&'a OneHotBits),
}

/// Rows x = one-hot(index) ⊕ bits of `one_hot + bits` columns: column `index` of the
/// one-hot part and column `one_hot + b` for every set bit b. Bit b of a row is bit `b % 64`
/// of its word `b / 64`; each row has `bits.div_ceil(64)` words, and the bits past `bits`
/// in its last word are zero.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OneHotBits {
    /// columns of the one-hot part (the number of tasks)
    pub one_hot: usize,
    /// columns of the bit part
    pub bits: usize,
    /// the one-hot index of each row (< `one_hot`)
    pub index: Vec<u32>,
    /// `words_per_row()` words per row
    pub words: Vec<u64>,
}

impl OneHotBits {
    /// No rows, `one_hot + bits` columns.
    pub fn new(one_hot: usize, bits: usize) -> Self {
        Self {
            one_hot,
            bits,
            index: Vec::new(),
            words: Vec::new(),
        }
    }

    /// Words per row, ⌈bits / 64⌉.
    pub fn words_per_row(&self) -> usize {
        self.bits.div_ceil(64)
    }

    /// Number of columns, `one_hot + bits`.
    pub fn cols(&self) -> usize {
        self.one_hot + self.bits
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.index.len()
    }

    /// Empties the rows, keeping the capacity.
    pub fn clear(&mut self) {
        self.index.clear();
        self.words.clear();
    }

    /// The bit words of row `row`.
    #[inline]
    pub fn row_words(&self, row: usize) -> &[u64] {
        let per_row = self.words_per_row();
        &self.words[row * per_row..(row + 1) * per_row]
    }

    /// Appends a row; `words` must have `words_per_row()` words (unchecked here: the MLP
    /// checks every row's shape before it reads the batch).
    pub fn push_row(&mut self, index: u32, words: &[u64]) {
        self.index.push(index);
        self.words.extend_from_slice(words);
    }

    /// Appends row `row` of `other` (of the same shape).
    pub fn push_row_of(&mut self, other: &OneHotBits, row: usize) {
        self.push_row(other.index[row], other.row_words(row));
    }

    /// The columns of row `row`'s ones in increasing order (the index, then the bits).
    pub fn row_columns(&self, row: usize, columns: &mut Vec<u32>) {
        columns.clear();
        columns.push(self.index[row]);
        for (word_index, &word) in self.row_words(row).iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let bit = word_index * 64 + word.trailing_zeros() as usize;
                columns.push((self.one_hot + bit) as u32);
                word &= word - 1;
            }
        }
    }

    /// The same rows in compressed sparse form (values 1).
    pub fn to_sparse(&self) -> SparseRows {
        let mut sparse = SparseRows::with_capacity(self.rows(), self.cols(), 0);
        let mut columns = Vec::new();
        for row in 0..self.rows() {
            self.row_columns(row, &mut columns);
            sparse.columns.extend_from_slice(&columns);
            sparse
                .values
                .extend(std::iter::repeat_n(1.0, columns.len()));
            sparse.row_offsets.push(sparse.columns.len() as u32);
        }
        sparse
    }

    /// Checks the shape against `input_dim`: every index inside the one-hot part, whole
    /// rows of words, no bit set past `bits`.
    pub(crate) fn check(&self, input_dim: usize) -> Result<()> {
        check_length("one-hot ⊕ bits input columns", input_dim, self.cols())?;
        let per_row = self.words_per_row();
        check_length(
            "one-hot ⊕ bits words",
            self.rows() * per_row,
            self.words.len(),
        )?;
        if let Some(row) = self.index.iter().position(|&i| i as usize >= self.one_hot) {
            return Err(Error::OneHotBits {
                row,
                reason: format!(
                    "index {} is not below the one-hot width {}",
                    self.index[row], self.one_hot
                ),
            });
        }
        let spare = per_row * 64 - self.bits;
        if spare > 0 && per_row > 0 {
            let outside = !(u64::MAX >> spare);
            for row in 0..self.rows() {
                if self.words[(row + 1) * per_row - 1] & outside != 0 {
                    return Err(Error::OneHotBits {
                        row,
                        reason: format!("a bit is set past the {} bits", self.bits),
                    });
                }
            }
        }
        Ok(())
    }
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
            Input::OneHotBits(rows) => {
                rows.check(input_dim)?;
                Ok(rows.rows())
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
