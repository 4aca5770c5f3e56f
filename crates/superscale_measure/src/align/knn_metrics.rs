//! Neighbourhood agreement between two k-NN structures (metrics.py L38–92, L163–176;
//! `docs/science/alignment.md` §1.2–1.4). All take the lists of [`Neighbours`], so a permutation null
//! only relabels B's lists.

use crate::align::knn::Neighbours;

/// m_NN = (1/n) Σ_i |knn_A(i) ∩ knn_B(i)| / k (§1.2, the paper's main metric). Chance
/// level k/(n−1) when the two structures are independent.
pub fn mutual_knn(a: &Neighbours, b: &Neighbours) -> f64 {
    let (n, k) = (a.n(), a.k());
    let mut sorted = vec![0u32; k];
    let mut shared = 0usize;
    for i in 0..n {
        sorted.copy_from_slice(b.of(i));
        sorted.sort_unstable();
        shared += a
            .of(i)
            .iter()
            .filter(|j| sorted.binary_search(j).is_ok())
            .count();
    }
    shared as f64 / (n * k) as f64
}

/// cycle_knn: the fraction of items i found among the A-neighbours of i's B-neighbours
/// (`compute_knn_accuracy(knn_A[knn_B])`, §1.3). With `origin` (a bootstrap draw) any
/// copy of item i counts as finding it.
pub fn cycle_knn(a: &Neighbours, b: &Neighbours, origin: Option<&[u32]>) -> f64 {
    let n = a.n();
    let item = |i: usize| origin.map_or(i as u32, |o| o[i]);
    let found = (0..n)
        .filter(|&i| {
            b.of(i).iter().any(|&j| {
                a.of(j as usize)
                    .iter()
                    .any(|&l| item(l as usize) == item(i))
            })
        })
        .count();
    found as f64 / n as f64
}

/// Length of the longest common subsequence of two lists (classic dynamic programme,
/// two rows of the table reused).
fn lcs_length(x: &[u32], y: &[u32], previous: &mut [usize], current: &mut [usize]) -> usize {
    previous.fill(0);
    for &xi in x {
        current[0] = 0;
        for (j, &yj) in y.iter().enumerate() {
            current[j + 1] = if xi == yj {
                previous[j] + 1
            } else {
                previous[j + 1].max(current[j])
            };
        }
        previous.copy_from_slice(current);
    }
    previous[y.len()]
}

/// Levenshtein distance of two lists (unit insert, delete and substitute costs, as
/// `torchaudio.functional.edit_distance`).
fn edit_distance(x: &[u32], y: &[u32], previous: &mut [usize], current: &mut [usize]) -> usize {
    for (j, p) in previous.iter_mut().enumerate() {
        *p = j;
    }
    for (i, &xi) in x.iter().enumerate() {
        current[0] = i + 1;
        for (j, &yj) in y.iter().enumerate() {
            let substitute = previous[j] + usize::from(xi != yj);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous.copy_from_slice(current);
    }
    previous[y.len()]
}

/// lcs_knn: mean over items of LCS(knn_A(i), knn_B(i)) **divided by k**, so it lies in
/// [0, 1] like the other scores (the reference leaves it unnormalised, §1.4).
pub fn lcs_knn(a: &Neighbours, b: &Neighbours) -> f64 {
    let k = a.k();
    let (mut previous, mut current) = (vec![0; k + 1], vec![0; k + 1]);
    let total: usize = (0..a.n())
        .map(|i| lcs_length(a.of(i), b.of(i), &mut previous, &mut current))
        .sum();
    total as f64 / (a.n() * k) as f64
}

/// edit_distance_knn = 1 − mean_i Levenshtein(knn_A(i), knn_B(i)) / k (§1.4).
pub fn edit_distance_knn(a: &Neighbours, b: &Neighbours) -> f64 {
    let k = a.k();
    let (mut previous, mut current) = (vec![0; k + 1], vec![0; k + 1]);
    let total: usize = (0..a.n())
        .map(|i| edit_distance(a.of(i), b.of(i), &mut previous, &mut current))
        .sum();
    1.0 - total as f64 / (a.n() * k) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_distances_of_small_lists() {
        let (mut p, mut c) = (vec![0; 5], vec![0; 5]);
        // LCS(1 2 3 4, 2 4 3 1) = 2 (2 3 or 2 4); Levenshtein = 3.
        assert_eq!(lcs_length(&[1, 2, 3, 4], &[2, 4, 3, 1], &mut p, &mut c), 2);
        assert_eq!(
            edit_distance(&[1, 2, 3, 4], &[2, 4, 3, 1], &mut p, &mut c),
            3
        );
        assert_eq!(
            edit_distance(&[1, 2, 3, 4], &[1, 2, 3, 4], &mut p, &mut c),
            0
        );
        assert_eq!(lcs_length(&[5, 6, 7, 8], &[1, 2, 3, 4], &mut p, &mut c), 0);
    }
}
