//! Brute-force grid over BNSL parameters, as `scipy.optimize.brute(..., finish=None)` in
//! Caballero et al.'s fitting scripts, scored by the mean squared error of ln(y + 1).
//!
//! The grid grows exponentially with the number of breaks (D.6: 1.8M points for one break),
//! so a grid larger than a budget is subsampled with a seeded generator rather than refused.

use super::BnslParameters;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// The values tried for one break.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakGrid {
    /// values of cᵢ
    pub slope_change: Vec<f64>,
    /// values of dᵢ, in units of x / `x_scale`
    pub location: Vec<f64>,
    /// values of fᵢ
    pub sharpness: Vec<f64>,
}

/// The Cartesian grid searched before refinement.
#[derive(Debug, Clone, PartialEq)]
pub struct BnslGrid {
    /// the grid is laid out for x / x_scale (b and dᵢ are converted back after the search)
    pub x_scale: f64,
    /// values of a
    pub limit: Vec<f64>,
    /// values of b, in units where x is divided by `x_scale`
    pub offset: Vec<f64>,
    /// values of c₀
    pub initial_slope: Vec<f64>,
    /// one set of axes per break
    pub breaks: Vec<BreakGrid>,
}

/// numpy's `np.mgrid[start:stop:step]` for a real step: ⌈(stop − start)/step⌉ values
/// start + i·step (so the stop is excluded when the division is exact in floating point).
pub fn mgrid_axis(start: f64, stop: f64, step: f64) -> Vec<f64> {
    let count = ((stop - start) / step).ceil().max(0.0) as usize;
    (0..count).map(|i| start + i as f64 * step).collect()
}

/// Caballero et al.'s log-spaced reparametrisation of b and d₁: 1.25^p − 1 + 10⁻⁸ (the 10⁻⁸
/// keeps d₁ away from 0, where the formula gives NaN; repository issue #2).
pub fn caballero_transform(p: f64) -> f64 {
    1.25f64.powf(p) - 1.0 + 1e-8
}

fn transformed(start: f64, stop: f64, step: f64) -> Vec<f64> {
    mgrid_axis(start, stop, step)
        .into_iter()
        .map(caballero_transform)
        .collect()
}

fn log_spaced(low: f64, high: f64, count: usize) -> Vec<f64> {
    let (a, b) = (low.ln(), high.ln());
    (0..count)
        .map(|i| (a + (b - a) * i as f64 / (count - 1) as f64).exp())
        .collect()
}

impl BnslGrid {
    /// The grid of `fit_bnsl_and_extrapolate__4_digit_addition__dataset_size_x-axis.py`
    /// (L60–63): a ∈ [0, 1) step 0.1, p_b ∈ [0, 40) step 2.5, c₀, c₁, f₁ ∈ [0, 1) step 0.25,
    /// p_d ∈ [0, 40) step 2.5, with b, d₁ = 1.25^p − 1 + 10⁻⁸ (163,840 points).
    pub fn caballero_addition() -> Self {
        Self {
            x_scale: 1.0,
            limit: mgrid_axis(0.0, 1.0, 0.1),
            offset: transformed(0.0, 40.0, 2.5),
            initial_slope: mgrid_axis(0.0, 1.0, 0.25),
            breaks: vec![BreakGrid {
                slope_change: mgrid_axis(0.0, 1.0, 0.25),
                location: transformed(0.0, 40.0, 2.5),
                sharpness: mgrid_axis(0.0, 1.0, 0.25),
            }],
        }
    }

    /// The grid of the noiseless-simulation script (L66): a [0, 2.5) 0.1, p_b [0, 5) 0.25,
    /// c₀ [0, 0.2) 0.05, c₁ [0, 8) 0.5, p_d [0, 35) 2.5, f₁ [0, 0.2) 0.05 (1,792,000 points).
    pub fn caballero_simulation() -> Self {
        Self {
            x_scale: 1.0,
            limit: mgrid_axis(0.0, 2.5, 0.1),
            offset: transformed(0.0, 5.0, 0.25),
            initial_slope: mgrid_axis(0.0, 0.2, 0.05),
            breaks: vec![BreakGrid {
                slope_change: mgrid_axis(0.0, 8.0, 0.5),
                location: transformed(0.0, 35.0, 2.5),
                sharpness: mgrid_axis(0.0, 0.2, 0.05),
            }],
        }
    }

    /// A scale-free default: x is measured in units of its smallest value, a spans [0, min y),
    /// b spans 0.1–8 × max y, breaks sit log-spaced across the observed x range.
    pub fn for_data(x: &[f64], y: &[f64], breaks: usize) -> Self {
        let x_min = x.iter().copied().fold(f64::INFINITY, f64::min);
        let x_max = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let y_min = y.iter().copied().fold(f64::INFINITY, f64::min).max(0.0);
        let y_max = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let range = (x_max / x_min).max(1.0 + 1e-9);
        Self {
            x_scale: x_min,
            limit: [0.0, 0.3, 0.6, 0.9].iter().map(|q| q * y_min).collect(),
            offset: [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
                .iter()
                .map(|q| q * y_max)
                .collect(),
            initial_slope: vec![0.0, 0.1, 0.25, 0.5, 1.0],
            breaks: (0..breaks)
                .map(|_| BreakGrid {
                    slope_change: vec![0.1, 0.5, 1.0, 2.0, 5.0],
                    location: log_spaced(range.powf(0.05), range.powf(0.95), 8),
                    sharpness: vec![0.05, 0.2, 0.5, 1.0],
                })
                .collect(),
        }
    }

    /// The axes in scipy's `mgrid` order (a slowest, then b, c₀, and cᵢ, dᵢ, fᵢ per break).
    fn axes(&self) -> Vec<&[f64]> {
        let mut axes: Vec<&[f64]> = vec![&self.limit, &self.offset, &self.initial_slope];
        for b in &self.breaks {
            axes.extend([&b.slope_change[..], &b.location[..], &b.sharpness[..]]);
        }
        axes
    }

    /// Number of grid points (saturating).
    pub fn size(&self) -> u64 {
        self.axes()
            .iter()
            .fold(1u64, |n, axis| n.saturating_mul(axis.len() as u64))
    }

    /// Grid parameters (in grid units) of the flat index, last axis fastest.
    fn point(&self, mut flat: u64) -> Vec<f64> {
        let axes = self.axes();
        let mut values = vec![0.0; axes.len()];
        for (k, axis) in axes.iter().enumerate().rev() {
            values[k] = axis[(flat % axis.len() as u64) as usize];
            flat /= axis.len() as u64;
        }
        values
    }

    /// Grid-unit parameters to natural units: b·s^c₀ and dᵢ·s undo x → x/s.
    pub(crate) fn to_natural(&self, grid_values: &[f64]) -> BnslParameters {
        let mut v = grid_values.to_vec();
        v[1] *= self.x_scale.powf(v[2]);
        for chunk in v[3..].chunks_exact_mut(3) {
            chunk[1] *= self.x_scale;
        }
        BnslParameters::from_vector(&v)
    }
}

/// The best `keep` grid points as (mean squared log1p error, flat index), ordered.
#[derive(Clone)]
struct Best {
    keep: usize,
    entries: Vec<(f64, u64)>,
}

impl Best {
    fn offer(&mut self, score: f64, flat: u64) {
        let entry = (if score.is_nan() { f64::INFINITY } else { score }, flat);
        let before = |a: &(f64, u64), b: &(f64, u64)| a.0 < b.0 || (a.0 == b.0 && a.1 < b.1);
        if self.entries.len() == self.keep && !before(&entry, &self.entries[self.keep - 1]) {
            return;
        }
        let at = self.entries.partition_point(|e| before(e, &entry));
        self.entries.insert(at, entry);
        self.entries.truncate(self.keep);
    }

    fn merge(mut self, other: Best) -> Best {
        for (score, flat) in other.entries {
            self.offer(score, flat);
        }
        self
    }
}

/// Evaluate the grid (or `budget` seeded random points of it) on (x, y); return the best
/// `keep` points in natural units with their scores, best first. Ties go to the lower flat
/// index, as `np.argmin` does; a NaN score counts as +∞ (np.argmin would pick it).
pub(crate) fn search(
    grid: &BnslGrid,
    x: &[f64],
    y: &[f64],
    budget: u64,
    keep: usize,
    seed: u64,
) -> (Vec<(f64, BnslParameters)>, u64) {
    let scaled_x: Vec<f64> = x.iter().map(|v| v / grid.x_scale).collect();
    let target: Vec<f64> = y.iter().map(|v| v.ln_1p()).collect();
    let count = x.len() as f64;
    let rest_axes_product = grid.size() / grid.limit.len().max(1) as u64;
    // g(x) = y − a does not depend on a, so each g is computed once for all values of a.
    let power_part = |v: &[f64], out: &mut [f64]| {
        for (o, &xi) in out.iter_mut().zip(&scaled_x) {
            let mut value = v[1] * xi.powf(-v[2]);
            for c in v[3..].chunks_exact(3) {
                value *= (1.0 + (xi / c[1]).powf(1.0 / c[2])).powf(-c[0] * c[2]);
            }
            *o = value;
        }
    };
    let score = |a: f64, part: &[f64]| {
        part.iter()
            .zip(&target)
            .map(|(g, t)| ((a + g).ln_1p() - t).powi(2))
            .sum::<f64>()
            / count
    };
    let empty = || {
        (
            Best {
                keep,
                entries: Vec::new(),
            },
            vec![0.0; x.len()],
        )
    };
    let (best, evaluated) = if grid.size() <= budget {
        let best = (0..rest_axes_product)
            .into_par_iter()
            .fold(empty, |(mut best, mut part), rest| {
                power_part(&grid.point(rest), &mut part);
                for (k, &a) in grid.limit.iter().enumerate() {
                    best.offer(score(a, &part), k as u64 * rest_axes_product + rest);
                }
                (best, part)
            })
            .map(|(best, _)| best)
            .reduce(|| empty().0, Best::merge);
        (best, grid.size())
    } else {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let picks: Vec<u64> = (0..budget)
            .map(|_| rng.random_range(0..grid.size()))
            .collect();
        let best = picks
            .par_iter()
            .fold(empty, |(mut best, mut part), &flat| {
                let v = grid.point(flat);
                power_part(&v, &mut part);
                best.offer(score(v[0], &part), flat);
                (best, part)
            })
            .map(|(best, _)| best)
            .reduce(|| empty().0, Best::merge);
        (best, budget)
    };
    let points = best
        .entries
        .iter()
        .map(|&(s, flat)| (s, grid.to_natural(&grid.point(flat))))
        .collect();
    (points, evaluated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mgrid_axis_follows_numpy() {
        // numpy 2.4: np.mgrid[0:2.5:0.1].size == 25, [0:1:.1] == 10, [0:.2:.05] == 4
        assert_eq!(mgrid_axis(0.0, 2.5, 0.1).len(), 25);
        assert_eq!(mgrid_axis(0.0, 1.0, 0.1).len(), 10);
        assert_eq!(mgrid_axis(0.0, 0.2, 0.05).len(), 4);
        assert_eq!(BnslGrid::caballero_addition().size(), 163_840);
        assert_eq!(BnslGrid::caballero_simulation().size(), 1_792_000);
    }

    #[test]
    fn flat_index_decodes_with_first_axis_slowest() {
        let grid = BnslGrid::caballero_addition();
        let last = grid.point(grid.size() - 1);
        assert_eq!(last[0], 9.0 * 0.1);
        assert_eq!(grid.point(1)[5], 0.25);
        assert_eq!(grid.point(grid.size() / 10)[0], 0.1);
    }

    #[test]
    fn natural_units_undo_the_x_scale() {
        let mut grid = BnslGrid::for_data(&[10.0, 1000.0], &[2.0, 1.0], 1);
        grid.x_scale = 10.0;
        let natural = grid.to_natural(&[0.5, 2.0, 0.3, 1.0, 4.0, 0.2]);
        let in_grid_units = BnslParameters::from_vector(&[0.5, 2.0, 0.3, 1.0, 4.0, 0.2]);
        for x in [10.0, 55.0, 300.0] {
            let a = natural.predict(x);
            assert!((a - in_grid_units.predict(x / 10.0)).abs() < 1e-12 * a);
        }
    }
}
