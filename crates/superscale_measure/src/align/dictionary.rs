//! Universality of learned dictionaries across seeds (`docs/science/model_shape.md` §2 item 4): atoms
//! are rows (feature directions), compared by |cosine|, so up to sign and permutation.
//!
//! * MMCS (mean max cosine similarity; Sharkey et al. 2022): mean over atoms of A of the
//!   largest |cos| with any atom of B (atoms of B may be reused).
//! * One-to-one matching: the permutation maximising Σ |cos| (Hungarian / Kuhn–Munkres from
//!   the `pathfinding` crate), its mean |cos| and the fraction of atoms above a threshold
//!   ("features recovered", 0.9 in §2).

use crate::align::error::{Error, Result};
use crate::align::features::Features;
use pathfinding::prelude::{kuhn_munkres, Matrix};

/// |cos| between every atom of A (rows) and every atom of B, row-major |A| × |B|.
fn absolute_cosines(a: &Features, b: &Features) -> Result<Vec<f64>> {
    if a.cols() != b.cols() {
        return Err(Error::Invalid(format!(
            "dictionaries of atoms of width {} and {} cannot be compared",
            a.cols(),
            b.cols()
        )));
    }
    let norm = |x: &[f64]| x.iter().map(|v| v * v).sum::<f64>().sqrt();
    let norms_b: Vec<f64> = (0..b.rows()).map(|j| norm(b.row(j))).collect();
    let mut out = Vec::with_capacity(a.rows() * b.rows());
    for i in 0..a.rows() {
        let (row, norm_a) = (a.row(i), norm(a.row(i)));
        for (j, norm_b) in norms_b.iter().enumerate() {
            let dot: f64 = row.iter().zip(b.row(j)).map(|(x, y)| x * y).sum();
            let denominator = norm_a * norm_b;
            // A zero atom matches nothing.
            out.push(if denominator > 0.0 {
                (dot / denominator).abs().min(1.0)
            } else {
                0.0
            });
        }
    }
    Ok(out)
}

/// Mean over atoms of A of the largest |cos| with an atom of B.
pub fn mmcs(a: &Features, b: &Features) -> Result<f64> {
    let cosines = absolute_cosines(a, b)?;
    let m = b.rows();
    Ok(cosines
        .chunks_exact(m)
        .map(|row| row.iter().copied().fold(0.0, f64::max))
        .sum::<f64>()
        / a.rows() as f64)
}

/// A one-to-one matching of atoms.
#[derive(Debug, Clone, PartialEq)]
pub struct Matching {
    /// `partner[i]`: the atom of B matched to atom i of A
    pub partner: Vec<usize>,
    /// |cos| of each matched pair
    pub cosines: Vec<f64>,
    /// their mean
    pub mean: f64,
}

impl Matching {
    /// Fraction of matched pairs with |cos| above `threshold`.
    pub fn recovered(&self, threshold: f64) -> f64 {
        self.cosines.iter().filter(|&&c| c > threshold).count() as f64 / self.cosines.len() as f64
    }
}

/// The matching of A's atoms to distinct atoms of B (|A| ≤ |B|) maximising Σ |cos|.
pub fn match_atoms(a: &Features, b: &Features) -> Result<Matching> {
    if a.rows() > b.rows() {
        return Err(Error::Invalid(format!(
            "cannot match {} atoms one-to-one into {}",
            a.rows(),
            b.rows()
        )));
    }
    let cosines = absolute_cosines(a, b)?;
    // Kuhn–Munkres needs exactly ordered weights: |cos| in units of 2^-40 (ties below that
    // resolution do not change the matched |cos| by more than 1e-12 per pair).
    let weights: Vec<i64> = cosines
        .iter()
        .map(|c| (c * (1u64 << 40) as f64).round() as i64)
        .collect();
    let matrix = Matrix::from_vec(a.rows(), b.rows(), weights)
        .map_err(|e| Error::Invalid(format!("matching: {e}")))?;
    let (_, partner) = kuhn_munkres(&matrix);
    let matched: Vec<f64> = partner
        .iter()
        .enumerate()
        .map(|(i, &j)| cosines[i * b.rows() + j])
        .collect();
    let mean = matched.iter().sum::<f64>() / matched.len() as f64;
    Ok(Matching {
        partner,
        cosines: matched,
        mean,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dictionary() -> Features {
        let data = (0..12 * 5)
            .map(|i| ((i as f64) * 0.917).sin() + 0.1 * (i % 3) as f64)
            .collect();
        Features::new("A", data, 5).unwrap()
    }

    #[test]
    fn e2_permuted_sign_flipped_dictionary_is_fully_recovered() {
        // model_shape.md §3 E2: a dictionary against itself with atoms permuted and signs flipped.
        let a = dictionary();
        let order: Vec<u32> = (0..12u32).map(|i| (i * 5) % 12).collect();
        let shuffled = a.gather(&order);
        let flipped: Vec<f64> = (0..12)
            .flat_map(|i| {
                let sign = if i % 2 == 0 { -1.0 } else { 2.5 };
                shuffled
                    .row(i)
                    .iter()
                    .map(move |v| sign * v)
                    .collect::<Vec<_>>()
            })
            .collect();
        let b = Features::new("B", flipped, 5).unwrap();
        assert!((mmcs(&a, &b).unwrap() - 1.0).abs() < 1e-12);
        let matching = match_atoms(&a, &b).unwrap();
        assert!((matching.mean - 1.0).abs() < 1e-12);
        assert_eq!(matching.recovered(0.9), 1.0);
        for (new, &old) in order.iter().enumerate() {
            assert_eq!(matching.partner[old as usize], new);
        }
    }

    #[test]
    fn one_to_one_matching_is_at_most_mmcs() {
        let a = dictionary();
        let data = (0..15 * 5).map(|i| ((i as f64) * 1.37).cos()).collect();
        let b = Features::new("B", data, 5).unwrap();
        let matching = match_atoms(&a, &b).unwrap();
        assert!(matching.mean <= mmcs(&a, &b).unwrap() + 1e-15);
        let mut used = matching.partner.clone();
        used.sort_unstable();
        used.dedup();
        assert_eq!(used.len(), 12);
        assert!(match_atoms(&b, &a).is_err());
    }
}
