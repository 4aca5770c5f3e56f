//! Products 1 and 4 of the wide kernel (`wide_kernel.rs`): h = x·W and dH = G·W over a
//! chunk's rows, with register tiles of hidden entries, per feature block (the block's W
//! rows in L1), through the occupancy lists when the rows are sparse.

// Loops index W, h, G and x at lane-group offsets in lockstep (as wide_kernel.rs).
#![allow(clippy::needless_range_loop)]

use crate::grid::layout::LANES;
use crate::grid::simd::{LaneArith, Vector};
use crate::grid::wide_occupancy::Occupancy;

/// T consecutive lane groups. A loop, not `std::array::from_fn`: that call is not inlined
/// into the AVX2 instantiation and each load became a function call (profiled).
#[inline(always)]
pub(crate) fn load_tile<A: LaneArith, const T: usize>(groups: &[f32]) -> [A::V; T] {
    let mut tile = [A::V::zero(); T];
    for t in 0..T {
        tile[t] = A::V::load(&groups[t * LANES..]);
    }
    tile
}

/// Splits 0..m into register tiles of 12, 8, 4 and 1 entries (m = 20: 12 + 8).
#[inline(always)]
pub(crate) fn next_tile(remaining: usize) -> usize {
    match remaining {
        12.. => 12,
        8.. => 8,
        4.. => 4,
        _ => 1,
    }
}

/// Features per block of products 1 and 4 when the rows are dense: the block's W rows
/// (16 × m × 32 bytes, 10 KB at m = 20) stay in L1 while the chunk's rows stream by. With
/// sparse rows the block grows so that a row's part of it still lists about 16 groups (a
/// short, variable trip count costs a mispredicted loop exit and a load and store of the
/// accumulator tile per part).
const FEATURE_BLOCK: usize = 16;

/// out[r][k0..k0+T] += Σ_{i ∈ list} a[r][i]·W[i][k0..k0+T] for one row and the part of its
/// list in one feature block: products 1 (h = x·W) and 4 (dH = G·W), features in
/// increasing order.
#[inline(always)]
fn row_times_weights_tile<A: LaneArith, const T: usize>(
    (m, k0, first_block): (usize, usize, bool),
    a_row: &[f32],
    list: &[u16],
    weights: &[f32],
    out_row: &mut [f32],
) {
    let mut acc: [A::V; T] = if first_block {
        [A::V::zero(); T]
    } else {
        load_tile::<A, T>(&out_row[k0 * LANES..])
    };
    for &i in list {
        let i = usize::from(i);
        let a = A::V::load(&a_row[i * LANES..]);
        let start = (i * m + k0) * LANES;
        let w = &weights[start..start + T * LANES];
        for t in 0..T {
            acc[t] = a.fmadd(A::V::load(&w[t * LANES..]), acc[t]);
        }
    }
    for t in 0..T {
        acc[t].store(&mut out_row[(k0 + t) * LANES..]);
    }
}

/// Products 1 and 4 for every row of the chunk: feature blocks outermost, so each row's
/// sum runs over the features in increasing order, one block after the other.
#[inline(always)]
pub(crate) fn rows_times_weights<A: LaneArith>(
    (n, m, rows): (usize, usize, usize),
    a: &[f32],
    groups: &Occupancy,
    weights: &[f32],
    out: &mut [f32],
    cursors: &mut [usize],
) {
    if groups.complete_rows == rows {
        return row_pairs_times_weights::<A>((n, m, rows), a, weights, out);
    }
    cursors[..rows].fill(0);
    let per_row = groups.present.div_ceil(rows).max(1);
    let block = (FEATURE_BLOCK * n / per_row).clamp(FEATURE_BLOCK, n.max(FEATURE_BLOCK));
    for block_start in (0..n).step_by(block) {
        let block_end = (block_start + block).min(n) as u16;
        let first_block = block_start == 0;
        for r in 0..rows {
            let a_row = &a[r * n * LANES..(r + 1) * n * LANES];
            let out_row = &mut out[r * m * LANES..(r + 1) * m * LANES];
            // The row's list is sorted: its part in this block starts at the cursor.
            let list = groups.row(n, r);
            let start = cursors[r];
            let length = list[start..].iter().take_while(|&&i| i < block_end).count();
            cursors[r] = start + length;
            let list = &list[start..start + length];
            let mut k0 = 0;
            while k0 < m {
                let tile = next_tile(m - k0);
                let shape = (m, k0, first_block);
                match tile {
                    12 => row_times_weights_tile::<A, 12>(shape, a_row, list, weights, out_row),
                    8 => row_times_weights_tile::<A, 8>(shape, a_row, list, weights, out_row),
                    4 => row_times_weights_tile::<A, 4>(shape, a_row, list, weights, out_row),
                    _ => row_times_weights_tile::<A, 1>(shape, a_row, list, weights, out_row),
                }
                k0 += tile;
            }
        }
    }
}

/// Products 1 and 4 when every group is listed: two rows share each W load (8 loads per 12
/// FMAs instead of 13), features in increasing order, blocks as in [`rows_times_weights`].
#[inline(always)]
fn row_pairs_times_weights<A: LaneArith>(
    (n, m, rows): (usize, usize, usize),
    a: &[f32],
    weights: &[f32],
    out: &mut [f32],
) {
    for block_start in (0..n).step_by(FEATURE_BLOCK) {
        let features = (block_start, (block_start + FEATURE_BLOCK).min(n));
        let mut r = 0;
        while r < rows {
            let pair = usize::from(rows - r >= 2) + 1;
            let a_rows = &a[r * n * LANES..(r + pair) * n * LANES];
            let out_rows = &mut out[r * m * LANES..(r + pair) * m * LANES];
            let mut k0 = 0;
            while k0 < m {
                let tile = match m - k0 {
                    6.. => 6,
                    4.. => 4,
                    2.. => 2,
                    _ => 1,
                };
                let at = (n, m, k0, features);
                match (pair, tile) {
                    (2, 6) => row_pair_tile::<A, 2, 6>(at, a_rows, weights, out_rows),
                    (2, 4) => row_pair_tile::<A, 2, 4>(at, a_rows, weights, out_rows),
                    (2, 2) => row_pair_tile::<A, 2, 2>(at, a_rows, weights, out_rows),
                    (2, _) => row_pair_tile::<A, 2, 1>(at, a_rows, weights, out_rows),
                    (_, 6) => row_pair_tile::<A, 1, 6>(at, a_rows, weights, out_rows),
                    (_, 4) => row_pair_tile::<A, 1, 4>(at, a_rows, weights, out_rows),
                    (_, 2) => row_pair_tile::<A, 1, 2>(at, a_rows, weights, out_rows),
                    (_, _) => row_pair_tile::<A, 1, 1>(at, a_rows, weights, out_rows),
                }
                k0 += tile;
            }
            r += pair;
        }
    }
}

/// out[r][k0..k0+T] += Σ_{i in the block} a[r][i]·W[i][k0..k0+T] for R rows at once.
#[inline(always)]
fn row_pair_tile<A: LaneArith, const R: usize, const T: usize>(
    (n, m, k0, (first, end)): (usize, usize, usize, (usize, usize)),
    a_rows: &[f32],
    weights: &[f32],
    out_rows: &mut [f32],
) {
    let mut acc = [[A::V::zero(); T]; R];
    if first > 0 {
        for r in 0..R {
            acc[r] = load_tile::<A, T>(&out_rows[(r * m + k0) * LANES..]);
        }
    }
    for i in first..end {
        let mut x = [A::V::zero(); R];
        for r in 0..R {
            x[r] = A::V::load(&a_rows[(r * n + i) * LANES..]);
        }
        let start = (i * m + k0) * LANES;
        let w = &weights[start..start + T * LANES];
        for t in 0..T {
            let wt = A::V::load(&w[t * LANES..]);
            for r in 0..R {
                acc[r][t] = x[r].fmadd(wt, acc[r][t]);
            }
        }
    }
    for r in 0..R {
        for t in 0..T {
            acc[r][t].store(&mut out_rows[(r * m + k0 + t) * LANES..]);
        }
    }
}
