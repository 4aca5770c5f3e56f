//! Which lane groups of a chunk are non-zero: the lists through which the wide kernel
//! (`wide_kernel.rs`) skips groups that are zero in all eight lanes, or the complete lists
//! when a chunk is dense enough that the skipped FMAs cost less than building them.

use crate::grid::layout::LANES;
use crate::grid::simd::{LaneArith, Vector};
use crate::grid::wide_kernel::CHUNK_ROWS;

/// Above this fraction of non-zero lane groups a chunk is treated as dense. Measured at
/// C9's shape (`time_the_wide_kernel`): listing 94 % of x's groups (p = 0.3) cost 7 % of
/// the kernel, and the complete path (two rows or features per load) is as fast as the
/// lists down to p = 0.05 (34 % of x's groups non-zero in a block of equal p); the
/// threshold only matters within the noise (±3 %) between 0.25 and 0.85.
const DENSE_FRACTION: f64 = 0.5;

/// Rows of a chunk whose groups are counted to estimate its density.
const SAMPLE_ROWS: usize = 4;

/// Which lane groups of a chunk's [rows][n] matrix are non-zero, listed by row (feature
/// indices, increasing) and by feature (row indices, increasing).
#[derive(Debug, Clone, Default)]
pub(crate) struct Occupancy {
    pub(crate) by_row: Vec<u16>,
    pub(crate) row_len: Vec<usize>,
    pub(crate) by_feature: Vec<u16>,
    pub(crate) feature_len: Vec<usize>,
    /// the lists hold every group of a chunk of this many rows (0: they do not)
    pub(crate) complete_rows: usize,
    /// non-zero groups of the chunk, for choosing block sizes
    pub(crate) present: usize,
}

impl Occupancy {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            by_row: vec![0; CHUNK_ROWS * n],
            row_len: vec![0; CHUNK_ROWS],
            by_feature: vec![0; n * CHUNK_ROWS],
            feature_len: vec![0; n],
            complete_rows: 0,
            present: 0,
        }
    }

    /// Lists the non-zero groups of `chunk` ([rows][n][LANES]), or every group when at
    /// least [`DENSE_FRACTION`] are non-zero: the FMAs on the few zero groups then cost less
    /// than building the lists, and adding 0·w changes no bit (module doc).
    #[inline(always)]
    pub(crate) fn build<A: LaneArith>(&mut self, chunk: &[f32], n: usize, rows: usize) {
        let groups = &chunk[..rows * n * LANES];
        // The density is estimated from the first SAMPLE_ROWS rows: counting every group
        // cost 6 % of the kernel, and either choice gives the same bits (module doc).
        let sampled = rows.min(SAMPLE_ROWS);
        let present_sampled: usize = groups[..sampled * n * LANES]
            .chunks_exact(LANES)
            .map(|group| usize::from(A::V::load(group).any_nonzero()))
            .sum();
        let present = present_sampled * rows / sampled;
        self.present = present;
        if present as f64 >= DENSE_FRACTION * (rows * n) as f64 {
            if self.complete_rows == rows {
                return; // the previous chunk's complete lists still hold
            }
            self.complete_rows = rows;
            for r in 0..rows {
                for (slot, i) in self.by_row[r * n..(r + 1) * n].iter_mut().zip(0..) {
                    *slot = i;
                }
                self.row_len[r] = n;
            }
            for i in 0..n {
                for (slot, r) in self.by_feature[i * CHUNK_ROWS..][..rows]
                    .iter_mut()
                    .zip(0..)
                {
                    *slot = r;
                }
                self.feature_len[i] = rows;
            }
            return;
        }
        self.complete_rows = 0;
        self.feature_len.fill(0);
        for r in 0..rows {
            let mut row_len = 0;
            for i in 0..n {
                let present = A::V::load(&groups[(r * n + i) * LANES..]).any_nonzero();
                self.push(n, (r, &mut row_len), i, present);
            }
            self.row_len[r] = row_len;
        }
    }

    /// Records group (row, feature) when `present`, branch-free (the pattern is random).
    /// The row's count is the caller's local `row_len` (kept in a register: a count in
    /// memory would chain every push through a store-to-load forwarding).
    #[inline(always)]
    pub(crate) fn push(
        &mut self,
        n: usize,
        (row, row_len): (usize, &mut usize),
        feature: usize,
        present: bool,
    ) {
        self.by_row[row * n + *row_len] = feature as u16;
        *row_len += usize::from(present);
        let at = &mut self.feature_len[feature];
        self.by_feature[feature * CHUNK_ROWS + *at] = row as u16;
        *at += usize::from(present);
    }

    #[inline(always)]
    pub(crate) fn row(&self, n: usize, row: usize) -> &[u16] {
        &self.by_row[row * n..row * n + self.row_len[row]]
    }

    #[inline(always)]
    pub(crate) fn feature(&self, feature: usize) -> &[u16] {
        let start = feature * CHUNK_ROWS;
        &self.by_feature[start..start + self.feature_len[feature]]
    }
}
