//! Exact k-nearest-neighbour lists by inner product (`compute_nearest_neighbors`,
//! metrics.py L272–285, `docs/science/alignment.md` §1.1), computed in row blocks through GEMM so
//! memory is O(block·n + n·k), never n².
//!
//! Ties are broken deterministically: among equal similarities the smaller index comes first
//! (a stable sort on (−similarity, index)). An item is never its own neighbour; in a
//! bootstrap draw, copies of the same item are not each other's neighbours either.

use crate::align::error::{Error, Result};
use crate::align::features::Features;
use rayon::prelude::*;
use std::cmp::Ordering;
use superscale_kernels::{matmul, MatMut, MatRef};

/// Similarities held per block: rows × n f64 stays near 16 MiB whatever n is.
const BLOCK_VALUES: usize = 1 << 21;

/// Rows of the similarity matrix computed together.
pub(crate) fn block_rows(n: usize) -> usize {
    (BLOCK_VALUES / n.max(1)).clamp(8, 256)
}

/// The k nearest neighbours of every row, nearest first, with their similarities.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbours {
    n: usize,
    k: usize,
    indices: Vec<u32>,
    similarities: Vec<f64>,
}

/// (−similarity, index) order: larger similarity first, then smaller index.
fn nearer(similarities: &[f64], x: u32, y: u32) -> Ordering {
    similarities[y as usize]
        .total_cmp(&similarities[x as usize])
        .then(x.cmp(&y))
}

impl Neighbours {
    /// The k nearest neighbours (inner product) of every row of `x`. With `origin`, row i
    /// is a copy of item `origin[i]` (a bootstrap draw) and rows of the same item are
    /// excluded from each other's lists, as i is from its own.
    pub fn compute(x: &Features, k: usize, origin: Option<&[u32]>) -> Result<Self> {
        let (n, d) = (x.rows(), x.cols());
        if k == 0 || k >= n {
            return Err(Error::Invalid(format!(
                "k = {k} neighbours need 1 ≤ k < n = {n} items"
            )));
        }
        let rows_per_block = block_rows(n);
        let mut indices = vec![0u32; n * k];
        let mut similarities = vec![0.0f64; n * k];
        let all = MatRef::row_major(x.data(), n, d)?;
        indices
            .par_chunks_mut(rows_per_block * k)
            .zip(similarities.par_chunks_mut(rows_per_block * k))
            .enumerate()
            .try_for_each(|(block, (block_indices, block_similarities))| {
                let start = block * rows_per_block;
                let rows = block_indices.len() / k;
                let mut product = vec![0.0f64; rows * n];
                matmul(
                    MatMut::row_major(&mut product, rows, n)?,
                    MatRef::row_major(&x.data()[start * d..(start + rows) * d], rows, d)?,
                    all.transpose(),
                    false,
                )?;
                let mut candidates: Vec<u32> = Vec::with_capacity(n);
                for r in 0..rows {
                    let i = start + r;
                    let sims = &product[r * n..(r + 1) * n];
                    candidates.clear();
                    match origin {
                        None => candidates.extend((0..n as u32).filter(|&j| j as usize != i)),
                        Some(origin) => candidates
                            .extend((0..n as u32).filter(|&j| origin[j as usize] != origin[i])),
                    }
                    if candidates.len() < k {
                        return Err(Error::Invalid(format!(
                            "row {i} has only {} other items for k = {k} neighbours",
                            candidates.len()
                        )));
                    }
                    if candidates.len() > k {
                        candidates.select_nth_unstable_by(k - 1, |&a, &b| nearer(sims, a, b));
                    }
                    let top = &mut candidates[..k];
                    top.sort_unstable_by(|&a, &b| nearer(sims, a, b));
                    block_indices[r * k..(r + 1) * k].copy_from_slice(top);
                    for (s, &j) in block_similarities[r * k..(r + 1) * k]
                        .iter_mut()
                        .zip(top.iter())
                    {
                        *s = sims[j as usize];
                    }
                }
                Ok::<(), Error>(())
            })?;
        Ok(Self {
            n,
            k,
            indices,
            similarities,
        })
    }

    /// Number of items.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Neighbours per item.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The neighbours of item i, nearest first.
    pub fn of(&self, i: usize) -> &[u32] {
        &self.indices[i * self.k..(i + 1) * self.k]
    }

    /// Their similarities ⟨x_i, x_j⟩, in the same order.
    pub fn similarities_of(&self, i: usize) -> &[f64] {
        &self.similarities[i * self.k..(i + 1) * self.k]
    }

    /// The lists of the matrix whose row i is row `order[i]` of this one (a permutation):
    /// relabelled, not recomputed, so a permutation null costs O(n·k) per draw. Ties keep
    /// the original labelling's order (a measure-zero difference for continuous features).
    pub fn permuted(&self, order: &[u32]) -> Self {
        let mut inverse = vec![0u32; self.n];
        for (new, &old) in order.iter().enumerate() {
            inverse[old as usize] = new as u32;
        }
        let mut indices = Vec::with_capacity(self.indices.len());
        let mut similarities = Vec::with_capacity(self.similarities.len());
        for &old in order {
            indices.extend(self.of(old as usize).iter().map(|&j| inverse[j as usize]));
            similarities.extend_from_slice(self.similarities_of(old as usize));
        }
        Self {
            n: self.n,
            k: self.k,
            indices,
            similarities,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force: sort every row by (−similarity, index).
    fn brute(x: &Features, k: usize) -> Vec<u32> {
        let n = x.rows();
        let mut out = Vec::new();
        for i in 0..n {
            let sims: Vec<f64> = (0..n)
                .map(|j| x.row(i).iter().zip(x.row(j)).map(|(a, b)| a * b).sum())
                .collect();
            let mut order: Vec<u32> = (0..n as u32).filter(|&j| j as usize != i).collect();
            order.sort_by(|&a, &b| nearer(&sims, a, b));
            out.extend_from_slice(&order[..k]);
        }
        out
    }

    #[test]
    fn blocked_selection_matches_a_full_sort_with_ties() {
        // Values on a coarse grid make many exact ties; 600 rows span several blocks.
        let n = 600;
        let data: Vec<f64> = (0..n * 3).map(|i| ((i * 7919) % 5) as f64 - 2.0).collect();
        let x = Features::new("A", data, 3).unwrap();
        let got = Neighbours::compute(&x, 7, None).unwrap();
        assert_eq!(got.indices, brute(&x, 7));
    }

    #[test]
    fn permuted_lists_equal_recomputed_lists_without_ties() {
        let data: Vec<f64> = (0..50 * 4).map(|i| ((i as f64) * 0.731).sin()).collect();
        let x = Features::new("A", data, 4).unwrap();
        let order: Vec<u32> = (0..50u32).map(|i| (i * 17) % 50).collect();
        let direct = Neighbours::compute(&x.gather(&order), 5, None).unwrap();
        let relabelled = Neighbours::compute(&x, 5, None).unwrap().permuted(&order);
        assert_eq!(direct.indices, relabelled.indices);
    }

    #[test]
    fn copies_of_an_item_are_not_its_neighbours() {
        let data: Vec<f64> = (0..20 * 2).map(|i| ((i as f64) * 1.3).cos()).collect();
        let x = Features::new("A", data, 2).unwrap();
        let draw: Vec<u32> = vec![0, 0, 0, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 11, 12];
        let knn = Neighbours::compute(&x.gather(&draw), 3, Some(&draw)).unwrap();
        for i in 0..draw.len() {
            assert!(knn.of(i).iter().all(|&j| draw[j as usize] != draw[i]));
        }
        assert!(Neighbours::compute(&x, 20, None).is_err());
    }
}
