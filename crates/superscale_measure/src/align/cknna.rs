//! CKNNA: CKA restricted to mutual nearest neighbours (metrics.py L179–227,
//! `docs/science/alignment.md` §1.6), on sparse masks.
//!
//! With M = M_K ⊙ M_L (j among the k nearest of i under both kernels, i excluded),
//! sim(K, L) = HSIC_u(M⊙K, M⊙L) and CKNNA = sim(K, L)/√(sim(K, K)·sim(L, L)), where the
//! mask of sim(K, K) is M_K. The masked kernels have at most k entries per row and are not
//! symmetric, so HSIC_u's terms are taken as written: Σ_ij K̃_ij L̃_ji (pairs that are
//! neighbours both ways), 1ᵀK̃1, 1ᵀL̃1 and 1ᵀK̃L̃1 = Σ_j colsum(K̃)_j rowsum(L̃)_j.
//! Memory is O(n·k). `topk = None` means k = n − 1, where CKNNA equals unbiased linear CKA
//! (§5 A4); the reference's `topk < 2` test before `topk is None` (a TypeError) and its
//! `distance_agnostic` matrix return are not reproduced.

use crate::align::cka::normalised;
use crate::align::knn::Neighbours;

/// One row of a masked kernel pair: (column, K value, L value), sorted by column.
type Row = Vec<(u32, f64, f64)>;

fn sorted_row(indices: &[u32], k_values: &[f64], l_values: &[f64]) -> Row {
    let mut row: Row = indices
        .iter()
        .zip(k_values)
        .zip(l_values)
        .map(|((&j, &x), &y)| (j, x, y))
        .collect();
    row.sort_unstable_by_key(|e| e.0);
    row
}

/// HSIC_u(M⊙K, M⊙L) of a sparse masked pair.
fn masked_hsic(rows: &[Row]) -> f64 {
    let n = rows.len();
    let nf = n as f64;
    let mut column_k = vec![0.0; n];
    let (mut sum_k, mut sum_l, mut both_ways) = (0.0, 0.0, 0.0);
    for (i, row) in rows.iter().enumerate() {
        for &(j, x, y) in row {
            column_k[j as usize] += x;
            sum_k += x;
            sum_l += y;
            let back = &rows[j as usize];
            if let Ok(at) = back.binary_search_by_key(&(i as u32), |e| e.0) {
                // K̃_ij · L̃_ji
                both_ways += x * back[at].2;
            }
        }
    }
    let cross: f64 = rows
        .iter()
        .enumerate()
        .map(|(j, row)| column_k[j] * row.iter().map(|e| e.2).sum::<f64>())
        .sum();
    (both_ways + sum_k * sum_l / ((nf - 1.0) * (nf - 2.0)) - 2.0 * cross / (nf - 2.0))
        / (nf * (nf - 3.0))
}

/// sim(K, K) on the mask M_K: the lists' own similarities.
pub(crate) fn self_similarity(x: &Neighbours) -> f64 {
    let rows: Vec<Row> = (0..x.n())
        .map(|i| sorted_row(x.of(i), x.similarities_of(i), x.similarities_of(i)))
        .collect();
    masked_hsic(&rows)
}

/// sim(K, L) on the mutual mask M_K ⊙ M_L.
pub(crate) fn cross_similarity(a: &Neighbours, b: &Neighbours) -> f64 {
    let rows: Vec<Row> = (0..a.n())
        .map(|i| {
            let in_b = sorted_row(b.of(i), b.similarities_of(i), b.similarities_of(i));
            let mut row: Row = Vec::new();
            for (&j, &x) in a.of(i).iter().zip(a.similarities_of(i)) {
                if let Ok(at) = in_b.binary_search_by_key(&j, |e| e.0) {
                    row.push((j, x, in_b[at].1));
                }
            }
            row.sort_unstable_by_key(|e| e.0);
            row
        })
        .collect();
    masked_hsic(&rows)
}

/// CKNNA from the two neighbour lists (similarities = the kernel values, inner products).
/// `self_a`, `self_b` are [`self_similarity`] of each, passed in so a permutation null
/// computes them once.
pub(crate) fn cknna_from(a: &Neighbours, b: &Neighbours, self_a: f64, self_b: f64) -> f64 {
    normalised(cross_similarity(a, b), self_a, self_b)
}

/// CKNNA of two neighbour structures.
pub fn cknna(a: &Neighbours, b: &Neighbours) -> f64 {
    cknna_from(a, b, self_similarity(a), self_similarity(b))
}
