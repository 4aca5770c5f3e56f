//! Row-compressed sparse matrices and the two products the toy model needs with them.
//!
//! A superposition-scaling batch has about B·E non-zeros out of B·n (E = 1, n = 1000:
//! 0.1 %), so the products with the input, x·W in the forward pass and xᵀ·dH in the
//! backward, cost B·E·m instead of B·n·m (`docs/science/superposition.md` §4.1, cost model).

use crate::error::{check, Result};
use crate::simd::{dispatch, Arith, Simd};

/// A sparse matrix in compressed-row form; within a row, columns are increasing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseRows {
    /// `row_offsets[r]..row_offsets[r + 1]` indexes row r's entries; length rows + 1.
    pub row_offsets: Vec<u32>,
    /// column of each entry
    pub columns: Vec<u32>,
    /// value of each entry
    pub values: Vec<f32>,
    /// number of columns
    pub cols: usize,
}

impl SparseRows {
    /// An empty matrix with capacity for `rows` rows and `entries` entries.
    pub fn with_capacity(rows: usize, cols: usize, entries: usize) -> Self {
        let mut row_offsets = Vec::with_capacity(rows + 1);
        row_offsets.push(0);
        Self {
            row_offsets,
            columns: Vec::with_capacity(entries),
            values: Vec::with_capacity(entries),
            cols,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.row_offsets.len().saturating_sub(1)
    }

    /// Number of stored entries.
    pub fn entries(&self) -> usize {
        self.values.len()
    }

    /// The columns and values of row `row`.
    pub fn row(&self, row: usize) -> (&[u32], &[f32]) {
        let range = self.row_offsets[row] as usize..self.row_offsets[row + 1] as usize;
        (&self.columns[range.clone()], &self.values[range])
    }

    /// The dense `rows × cols` row-major copy (for tests and small problems).
    pub fn to_dense(&self) -> Vec<f32> {
        let mut dense = vec![0.0; self.rows() * self.cols];
        for row in 0..self.rows() {
            let (columns, values) = self.row(row);
            for (&column, &value) in columns.iter().zip(values) {
                dense[row * self.cols + column as usize] = value;
            }
        }
        dense
    }

    /// Builds the compressed form of a dense row-major matrix, keeping non-zeros.
    pub fn from_dense(dense: &[f32], rows: usize, cols: usize) -> Self {
        let mut sparse = Self::with_capacity(rows, cols, 0);
        for row in dense.chunks_exact(cols.max(1)).take(rows) {
            for (column, &value) in row.iter().enumerate() {
                if value != 0.0 {
                    sparse.columns.push(column as u32);
                    sparse.values.push(value);
                }
            }
            sparse.row_offsets.push(sparse.values.len() as u32);
        }
        sparse
    }
}

#[inline(always)]
pub(crate) fn axpy<A: Arith>(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = A::fmadd(alpha, xi, *yi);
    }
}

#[inline(always)]
fn sparse_times_dense_generic<A: Arith>(
    out: &mut [f32],
    sparse: &SparseRows,
    first_row: usize,
    dense: &[f32],
    width: usize,
) {
    for (row, out_row) in out.chunks_exact_mut(width).enumerate() {
        let (columns, values) = sparse.row(first_row + row);
        // The first entry writes the row (no zero fill and re-read): with E ≈ 1 non-zero
        // per row this halves the passes over `out`, which dominate when `dense` is K.
        let Some((&first, &value)) = columns.first().zip(values.first()) else {
            out_row.fill(0.0);
            continue;
        };
        let start = first as usize * width;
        for (o, &d) in out_row.iter_mut().zip(&dense[start..start + width]) {
            *o = value * d;
        }
        for (&column, &value) in columns[1..].iter().zip(&values[1..]) {
            let start = column as usize * width;
            axpy::<A>(value, &dense[start..start + width], out_row);
        }
    }
}

dispatch!(fn sparse_times_dense_kernel(out: &mut [f32], sparse: &SparseRows, first_row: usize, dense: &[f32], width: usize) => sparse_times_dense_generic);

/// Checks a product of rows `first_row..first_row + r` of S (r × k) with a row-major block
/// of `block_len` = r·width values on one side and `k_len` = k·width values on the other.
fn check_block(
    op: &'static str,
    sparse: &SparseRows,
    first_row: usize,
    block_len: usize,
    k_len: usize,
    width: usize,
) -> Result<()> {
    let rows = block_len / width.max(1);
    check(
        op,
        width > 0
            && block_len == rows * width
            && first_row + rows <= sparse.rows()
            && k_len == sparse.cols * width,
        || {
            (
                format!(
                    "rows {first_row}..{} of a {}×{} sparse matrix, width {width}",
                    first_row + rows,
                    sparse.rows(),
                    sparse.cols
                ),
                format!("{block_len} and {k_len} values"),
            )
        },
    )
}

/// Checks that a whole-matrix product covers every row of S.
fn check_all_rows(
    op: &'static str,
    sparse: &SparseRows,
    block_len: usize,
    width: usize,
) -> Result<()> {
    check(op, block_len == sparse.rows() * width, || {
        (
            format!("{}×{width} values for every row", sparse.rows()),
            format!("{block_len} values"),
        )
    })
}

/// `out ← S · D` for sparse S (rows × k) and row-major dense D (k × width).
pub fn sparse_times_dense(
    simd: Simd,
    out: &mut [f32],
    sparse: &SparseRows,
    dense: &[f32],
    width: usize,
) -> Result<()> {
    check_all_rows("sparse_times_dense", sparse, out.len(), width)?;
    sparse_block_times_dense(simd, out, sparse, 0, dense, width)
}

/// `out ← S[first_row..first_row + r] · D`: the product for a block of `r` consecutive rows
/// of S (r = `out.len() / width`), so a row block can be formed where it is consumed.
pub fn sparse_block_times_dense(
    simd: Simd,
    out: &mut [f32],
    sparse: &SparseRows,
    first_row: usize,
    dense: &[f32],
    width: usize,
) -> Result<()> {
    check_block(
        "sparse_times_dense",
        sparse,
        first_row,
        out.len(),
        dense.len(),
        width,
    )?;
    sparse_times_dense_kernel(simd, out, sparse, first_row, dense, width);
    Ok(())
}

#[inline(always)]
fn sparse_transpose_generic<A: Arith>(
    out: &mut [f32],
    sparse: &SparseRows,
    first_row: usize,
    dense: &[f32],
    width: usize,
) {
    for (row, dense_row) in dense.chunks_exact(width).enumerate() {
        let (columns, values) = sparse.row(first_row + row);
        for (&column, &value) in columns.iter().zip(values) {
            let start = column as usize * width;
            axpy::<A>(value, dense_row, &mut out[start..start + width]);
        }
    }
}

dispatch!(fn sparse_transpose_kernel(out: &mut [f32], sparse: &SparseRows, first_row: usize, dense: &[f32], width: usize) => sparse_transpose_generic);

/// `out ← out + Sᵀ · D` for sparse S (rows × k) and dense D (rows × width); out is k × width.
pub fn sparse_transpose_times_dense_add(
    simd: Simd,
    out: &mut [f32],
    sparse: &SparseRows,
    dense: &[f32],
    width: usize,
) -> Result<()> {
    check_all_rows(
        "sparse_transpose_times_dense_add",
        sparse,
        dense.len(),
        width,
    )?;
    sparse_block_transpose_times_dense_add(simd, out, sparse, 0, dense, width)
}

/// `out ← out + S[first_row..first_row + r]ᵀ · D` for a block of `r` consecutive rows of S
/// and dense D (r × width, r = `dense.len() / width`); out is k × width.
pub fn sparse_block_transpose_times_dense_add(
    simd: Simd,
    out: &mut [f32],
    sparse: &SparseRows,
    first_row: usize,
    dense: &[f32],
    width: usize,
) -> Result<()> {
    let op = "sparse_transpose_times_dense_add";
    check_block(op, sparse, first_row, dense.len(), out.len(), width)?;
    sparse_transpose_kernel(simd, out, sparse, first_row, dense, width);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(rows: usize, cols: usize) -> Vec<f32> {
        (0..rows * cols)
            .map(|v| {
                if v % 3 == 0 {
                    (v as f32 * 0.7).sin()
                } else {
                    0.0
                }
            })
            .collect()
    }

    #[test]
    fn products_match_dense_loops_for_every_instruction_set() {
        for simd in Simd::under_test() {
            for width in [1, 3, 8, 17, 64] {
                let (rows, k) = (6, 11);
                let mut x = example(rows, k);
                // An empty row: the product must write zeros over whatever `out` held.
                x[k..2 * k].fill(0.0);
                let sparse = SparseRows::from_dense(&x, rows, k);
                assert_eq!(sparse.to_dense(), x);
                let dense: Vec<f32> = (0..k * width).map(|v| (v as f32 * 0.3).cos()).collect();
                let mut out = vec![7.0; rows * width];
                sparse_times_dense(simd, &mut out, &sparse, &dense, width).unwrap();
                for r in 0..rows {
                    for c in 0..width {
                        let want: f32 = (0..k).map(|t| x[r * k + t] * dense[t * width + c]).sum();
                        assert!((out[r * width + c] - want).abs() < 1e-5, "{simd:?}");
                    }
                }
                let mut block = vec![7.0; 3 * width];
                sparse_block_times_dense(simd, &mut block, &sparse, 2, &dense, width).unwrap();
                assert_eq!(block[..], out[2 * width..5 * width]);
                // The transposed block product: rows 2..5 of S against 3 rows of D.
                let rhs_block: Vec<f32> = (0..3 * width).map(|v| (v as f32 * 0.4).cos()).collect();
                let mut sum = vec![0.5; k * width];
                sparse_block_transpose_times_dense_add(
                    simd, &mut sum, &sparse, 2, &rhs_block, width,
                )
                .unwrap();
                for t in 0..k {
                    for c in 0..width {
                        let want: f32 = 0.5
                            + (0..3)
                                .map(|r| x[(2 + r) * k + t] * rhs_block[r * width + c])
                                .sum::<f32>();
                        assert!((sum[t * width + c] - want).abs() < 1e-5, "{simd:?}");
                    }
                }
                let rhs: Vec<f32> = (0..rows * width).map(|v| (v as f32 * 0.2).sin()).collect();
                let mut acc = vec![1.0; k * width];
                sparse_transpose_times_dense_add(simd, &mut acc, &sparse, &rhs, width).unwrap();
                for t in 0..k {
                    for c in 0..width {
                        let want: f32 = 1.0
                            + (0..rows)
                                .map(|r| x[r * k + t] * rhs[r * width + c])
                                .sum::<f32>();
                        assert!((acc[t * width + c] - want).abs() < 1e-5, "{simd:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn wrong_shapes_are_rejected() {
        let sparse = SparseRows::from_dense(&[1.0, 0.0, 0.0, 2.0], 2, 2);
        let mut out = vec![0.0; 3];
        assert!(sparse_times_dense(Simd::Scalar, &mut out, &sparse, &[1.0; 4], 2).is_err());
        let mut block = vec![0.0; 4];
        assert!(
            sparse_block_times_dense(Simd::Scalar, &mut block, &sparse, 1, &[1.0; 4], 2).is_err()
        );
    }
}
