//! Dense products through the `gemm` crate, behind bounds-checked strided views.
//!
//! The views carry row and column strides so a transpose is a view, not a copy: the
//! forward pass needs H·Wᵀ and the backward Gᵀ·H, both of row-major buffers.

use crate::error::{check, Result};

/// The element types the dense product is instantiated for.
pub trait Element: Copy + Default + 'static {
    /// the multiplicative identity
    const ONE: Self;
}
impl Element for f32 {
    const ONE: Self = 1.0;
}
impl Element for f64 {
    const ONE: Self = 1.0;
}

/// A read-only strided matrix view.
#[derive(Debug, Clone, Copy)]
pub struct MatRef<'a, T = f32> {
    data: &'a [T],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

/// A mutable strided matrix view.
#[derive(Debug)]
pub struct MatMut<'a, T = f32> {
    data: &'a mut [T],
    rows: usize,
    cols: usize,
    row_stride: usize,
}

fn span(rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> usize {
    if rows == 0 || cols == 0 {
        0
    } else {
        (rows - 1) * row_stride + (cols - 1) * col_stride + 1
    }
}

impl<'a, T: Element> MatRef<'a, T> {
    /// A row-major `rows × cols` matrix stored contiguously in `data`.
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Result<Self> {
        check("MatRef::row_major", data.len() == rows * cols, || {
            (
                format!("{} values ({rows}×{cols})", rows * cols),
                format!("{} values", data.len()),
            )
        })?;
        Ok(Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        })
    }

    /// The transposed view (no copy).
    pub fn transpose(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    /// The view of columns `start..end` (no copy).
    pub fn columns(self, start: usize, end: usize) -> Result<Self> {
        check("MatRef::columns", start <= end && end <= self.cols, || {
            (
                format!("columns within 0..{}", self.cols),
                format!("{start}..{end}"),
            )
        })?;
        let offset = if start == end {
            0
        } else {
            start * self.col_stride
        };
        Ok(Self {
            data: &self.data[offset.min(self.data.len())..],
            rows: self.rows,
            cols: end - start,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
}

impl<'a, T: Element> MatMut<'a, T> {
    /// A row-major `rows × cols` matrix stored contiguously in `data`.
    pub fn row_major(data: &'a mut [T], rows: usize, cols: usize) -> Result<Self> {
        check("MatMut::row_major", data.len() == rows * cols, || {
            (
                format!("{} values ({rows}×{cols})", rows * cols),
                format!("{} values", data.len()),
            )
        })?;
        Ok(Self {
            data,
            rows,
            cols,
            row_stride: cols,
        })
    }
}

/// `out ← lhs · rhs` (or `out ← out + lhs · rhs` when `accumulate`), single-threaded.
///
/// Single-threaded on purpose: superscale parallelises over runs, and a product split
/// over threads could change the order of additions, and so the bits of a result, with
/// the thread count (`DEVELOPERS.md`: deterministic whatever the thread count).
pub fn matmul<T: Element>(
    out: MatMut<'_, T>,
    lhs: MatRef<'_, T>,
    rhs: MatRef<'_, T>,
    accumulate: bool,
) -> Result<()> {
    check(
        "matmul",
        lhs.cols == rhs.rows && out.rows == lhs.rows && out.cols == rhs.cols,
        || {
            (
                format!(
                    "({}×k)·(k×{}) into {}×{}",
                    out.rows, out.cols, out.rows, out.cols
                ),
                format!("({}×{})·({}×{})", lhs.rows, lhs.cols, rhs.rows, rhs.cols),
            )
        },
    )?;
    // The views were built from slices whose lengths were checked against their shapes;
    // a transposed view spans the same elements, so these hold for every view.
    debug_assert!(span(lhs.rows, lhs.cols, lhs.row_stride, lhs.col_stride) <= lhs.data.len());
    debug_assert!(span(rhs.rows, rhs.cols, rhs.row_stride, rhs.col_stride) <= rhs.data.len());
    debug_assert!(span(out.rows, out.cols, out.row_stride, 1) <= out.data.len());
    if out.rows == 0 || out.cols == 0 {
        return Ok(());
    }
    if lhs.cols == 0 {
        if !accumulate {
            out.data.fill(T::default());
        }
        return Ok(());
    }
    // SAFETY: every pointer offset gemm computes is (row·row_stride + col·col_stride) for
    // row < rows and col < cols of its view, which is within the slice (checked above),
    // and `out` does not alias the inputs (it is a distinct `&mut`).
    #[allow(unsafe_code)]
    unsafe {
        gemm::gemm(
            out.rows,
            out.cols,
            lhs.cols,
            out.data.as_mut_ptr(),
            1,
            out.row_stride as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], r: usize, k: usize, c: usize) -> Vec<f32> {
        let mut out = vec![0.0; r * c];
        for i in 0..r {
            for j in 0..c {
                out[i * c + j] = (0..k).map(|t| a[i * k + t] * b[t * c + j]).sum();
            }
        }
        out
    }

    #[test]
    fn product_and_transposed_views_match_naive_loops() {
        let (r, k, c) = (7, 5, 3);
        let a: Vec<f32> = (0..r * k).map(|v| (v as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * c).map(|v| (v as f32 * 0.11).cos()).collect();
        let expected = naive(&a, &b, r, k, c);
        let mut out = vec![0.0; r * c];
        matmul(
            MatMut::row_major(&mut out, r, c).unwrap(),
            MatRef::row_major(&a, r, k).unwrap(),
            MatRef::row_major(&b, k, c).unwrap(),
            false,
        )
        .unwrap();
        for (x, y) in out.iter().zip(&expected) {
            assert!((x - y).abs() < 1e-5);
        }
        // (bᵀ aᵀ)ᵀ = a b: compute bᵀ·aᵀ through transposed views into c × r.
        let mut out_t = vec![0.0; c * r];
        matmul(
            MatMut::row_major(&mut out_t, c, r).unwrap(),
            MatRef::row_major(&b, k, c).unwrap().transpose(),
            MatRef::row_major(&a, r, k).unwrap().transpose(),
            false,
        )
        .unwrap();
        for i in 0..r {
            for j in 0..c {
                assert!((out_t[j * r + i] - expected[i * c + j]).abs() < 1e-5);
            }
        }
        // Column views: a · b[:, 1..3], and (aᵀ)[:, 2..6] = rows 2..6 of a, transposed.
        let mut out_cols = vec![0.0; r * 2];
        matmul(
            MatMut::row_major(&mut out_cols, r, 2).unwrap(),
            MatRef::row_major(&a, r, k).unwrap(),
            MatRef::row_major(&b, k, c).unwrap().columns(1, 3).unwrap(),
            false,
        )
        .unwrap();
        for i in 0..r {
            for j in 0..2 {
                assert!((out_cols[i * 2 + j] - expected[i * c + j + 1]).abs() < 1e-5);
            }
        }
        let mut rows_t = vec![0.0; 4 * c];
        matmul(
            MatMut::row_major(&mut rows_t, 4, c).unwrap(),
            MatRef::row_major(&a, r, k)
                .unwrap()
                .transpose()
                .columns(2, 6)
                .unwrap()
                .transpose(),
            MatRef::row_major(&b, k, c).unwrap(),
            false,
        )
        .unwrap();
        for i in 0..4 {
            for j in 0..c {
                assert!((rows_t[i * c + j] - expected[(i + 2) * c + j]).abs() < 1e-5);
            }
        }
        assert!(MatRef::row_major(&b, k, c).unwrap().columns(2, 4).is_err());
    }

    #[test]
    fn accumulate_adds_to_output_and_shape_errors_are_reported() {
        let a = [1.0, 2.0];
        let b = [3.0, 4.0];
        let mut out = [10.0];
        matmul(
            MatMut::row_major(&mut out, 1, 1).unwrap(),
            MatRef::row_major(&a, 1, 2).unwrap(),
            MatRef::row_major(&b, 2, 1).unwrap(),
            true,
        )
        .unwrap();
        assert_eq!(out[0], 21.0);
        let err = matmul(
            MatMut::row_major(&mut out, 1, 1).unwrap(),
            MatRef::row_major(&a, 1, 2).unwrap(),
            MatRef::row_major(&b, 1, 2).unwrap(),
            false,
        )
        .unwrap_err();
        assert!(err.to_string().contains("shape mismatch"));
    }
}
