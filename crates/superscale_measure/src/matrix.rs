//! The whole geometry of one weight matrix, as `superscale weights` prints it
//! (`docs/science/superposition.md` §2, §3.4, §3.6; `docs/science/tms.md` §4): row norms and
//! their histogram, φ, D*, the overlaps (exact, or sampled above a size limit), per-feature
//! D_i and interference, the ambiguity and the Welch bound.

use crate::ambiguity::{ambiguity, Ambiguity, AmbiguityOptions};
use crate::error::{check_shape, Error, Result};
use crate::pairs::{pair_statistics, Precision};
use crate::rows::{dimensions_per_feature, fraction_above, row_norms, welch_bound};
use crate::sampling::sampled_overlap;

/// How the pair statistics were obtained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OverlapMethod {
    /// over all n(n−1)/2 pairs, blockwise through GEMM
    Exact,
    /// over `pairs` uniformly drawn pairs i ≠ j from a seeded generator
    Sampled {
        /// number of pairs drawn
        pairs: usize,
        /// the generator's seed
        seed: u64,
    },
}

/// Mean and variance of (Ŵ_i·Ŵ_j)² and mean |Ŵ_i·Ŵ_j| over pairs, with 95 % normal
/// confidence half-widths when sampled (0 when exact).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlap {
    /// how they were obtained
    pub method: OverlapMethod,
    /// mean squared overlap (MSO)
    pub mean_sq: f64,
    /// 95 % half-width of `mean_sq`
    pub mean_sq_ci: f64,
    /// variance of the squared overlaps
    pub variance_sq: f64,
    /// mean |cos|
    pub mean_abs: f64,
    /// 95 % half-width of `mean_abs`
    pub mean_abs_ci: f64,
}

/// What [`measure_matrix`] does with rows that hold a NaN or an infinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NonFiniteRows {
    /// refuse the matrix ([`Error::NonFinite`]): every measure would be NaN or, worse, a
    /// plausible number computed around the bad entries
    #[default]
    Refuse,
    /// leave those rows out: n counts the remaining rows
    Drop,
    /// set every entry of those rows to 0: they are measured as zero rows
    Zero,
}

impl NonFiniteRows {
    /// `refuse`, `drop` or `zero`: the name of the CLI's `--non-finite` and of Python's
    /// `non_finite=`.
    pub fn name(self) -> &'static str {
        match self {
            NonFiniteRows::Refuse => "refuse",
            NonFiniteRows::Drop => "drop",
            NonFiniteRows::Zero => "zero",
        }
    }

    /// The handling of a name of [`NonFiniteRows::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Refuse, Self::Drop, Self::Zero]
            .into_iter()
            .find(|h| h.name() == name)
    }
}

/// Non-finite entries found in a matrix, and what was done with their rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NonFinite {
    /// NaN or infinite entries
    pub entries: usize,
    /// rows holding at least one
    pub rows: usize,
    /// dropped or zeroed
    pub handling: NonFiniteRows,
}

/// Options of [`measure_matrix`].
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureOptions {
    /// the largest n measured exactly (pairs, D_i, interference); above it, pairs are sampled
    /// and the per-feature measures are skipped
    pub exact_limit: usize,
    /// force the sampled estimate even below `exact_limit`
    pub force_sampled: bool,
    /// pairs drawn when sampling
    pub pairs: usize,
    /// seed of the pair sampler and of the Lanczos start vector
    pub seed: u64,
    /// bins of the row-norm histogram
    pub bins: usize,
    /// extra thresholds t for φ_t = fraction of rows with norm > t (½ and 1 always)
    pub thresholds: Vec<f64>,
    /// precision of the exact path's Gram products
    pub precision: Precision,
    /// compute the ambiguity ‖WWᵀ − P‖₂ (Lanczos; `None` skips it)
    pub ambiguity: Option<AmbiguityOptions>,
    /// what to do with rows holding NaN or ±∞ (refuse the matrix by default)
    pub non_finite: NonFiniteRows,
}

impl Default for MeasureOptions {
    fn default() -> Self {
        MeasureOptions {
            exact_limit: 50_000,
            force_sampled: false,
            pairs: 1_000_000,
            seed: 0,
            bins: 20,
            thresholds: Vec::new(),
            precision: Precision::F64,
            ambiguity: Some(AmbiguityOptions::default()),
            non_finite: NonFiniteRows::Refuse,
        }
    }
}

/// Summary of the row norms.
#[derive(Debug, Clone, PartialEq)]
pub struct NormSummary {
    /// mean ‖W_i‖
    pub mean: f64,
    /// population standard deviation of ‖W_i‖
    pub sd: f64,
    /// smallest norm
    pub min: f64,
    /// largest norm
    pub max: f64,
    /// `(lower edge, upper edge, count)` of equal-width bins from min to max
    pub histogram: Vec<(f64, f64, usize)>,
}

/// Per-feature measures of tms.md §4.2 and §4.4 (exact path only).
#[derive(Debug, Clone, PartialEq)]
pub struct PerFeature {
    /// D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)²
    pub dimensionality: Vec<f64>,
    /// Σ_{j≠i} (Ŵ_i·W_j)²
    pub interference: Vec<f64>,
    /// mean D_i
    pub mean_dimensionality: f64,
    /// mean interference
    pub mean_interference: f64,
    /// the largest local maxima of the D_i histogram (0.005-wide bins on [0, 1], as C9 of
    /// superposition.md §4): `(bin centre, count)`, most populated first, at most five
    pub peaks: Vec<(f64, usize)>,
}

/// Everything `superscale weights` prints about one matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightStats {
    /// n, the number of features (rows after orientation)
    pub rows: usize,
    /// m, the width
    pub width: usize,
    /// ‖W_i‖ of every feature
    pub row_norms: Vec<f64>,
    /// row norms
    pub norms: NormSummary,
    /// φ_{1/2}: fraction of rows with norm > 1/2
    pub phi_half: f64,
    /// φ₁: fraction of rows with norm > 1
    pub phi_one: f64,
    /// `(t, φ_t)` for the extra thresholds of the options
    pub phi: Vec<(f64, f64)>,
    /// D* = m / ‖W‖²_F
    pub dimensions_per_feature: f64,
    /// pair statistics over all rows
    pub overlap: Overlap,
    /// D_i and interference per feature (`None` on the sampled path)
    pub per_feature: Option<PerFeature>,
    /// ‖WWᵀ − P‖₂ (superposition.md §2.3, App. D.5)
    pub ambiguity: Option<Ambiguity>,
    /// the Welch bound κ² for ν = n unit vectors in R^m
    pub welch_sq: f64,
    /// m · MSO (≈ 1 for random directions)
    pub m_times_mso: f64,
    /// rows whose every entry is 0 (after zeroing non-finite rows): they have no direction,
    /// so their cosines count as 0 in the overlaps and their D_i is 0
    pub zero_rows: usize,
    /// the non-finite entries found and what was done with their rows (`None`: none found)
    pub non_finite: Option<NonFinite>,
}

/// Measures the row-major n × `width` matrix `weights` (rows = features). Non-finite
/// entries are counted first and refused ([`Error::NonFinite`]) unless
/// [`MeasureOptions::non_finite`] drops or zeroes their rows. Quantities that a matrix does
/// not define are NaN: D* when every row is zero, the overlaps when fewer than two rows
/// have a direction.
pub fn measure_matrix(
    weights: &[f64],
    width: usize,
    options: &MeasureOptions,
) -> Result<WeightStats> {
    let total_rows = check_shape(weights, width)?;
    let repaired = finite_rows(weights, width, total_rows, options.non_finite)?;
    let (weights, non_finite) = match &repaired {
        Some((data, found)) => (&data[..], Some(*found)),
        None => (weights, None),
    };
    let (n, m) = (check_shape(weights, width)?, width);
    let norms = row_norms(weights, m)?;
    let zero_rows = norms.iter().filter(|&&norm| norm == 0.0).count();
    let (overlap, per_feature) = if n <= options.exact_limit && !options.force_sampled {
        let pairs = pair_statistics(weights, m, options.precision)?;
        let stats = pairs.overlap;
        let overlap = Overlap {
            method: OverlapMethod::Exact,
            mean_sq: stats.mean,
            mean_sq_ci: 0.0,
            variance_sq: stats.variance,
            mean_abs: stats.mean_abs,
            mean_abs_ci: 0.0,
        };
        (
            overlap,
            Some(per_feature(pairs.dimensionality, pairs.interference)),
        )
    } else {
        (
            sampled(weights, m, &norms, options.pairs, options.seed),
            None,
        )
    };
    // A pair of rows without two directions has no cosine: with fewer than two non-zero
    // rows every "overlap" would be a zero row's convention, not a measurement.
    let overlap = if n - zero_rows < 2 {
        Overlap {
            mean_sq: f64::NAN,
            mean_sq_ci: f64::NAN,
            variance_sq: f64::NAN,
            mean_abs: f64::NAN,
            mean_abs_ci: f64::NAN,
            ..overlap
        }
    } else {
        overlap
    };
    let ambiguity = options
        .ambiguity
        .map(|a| {
            ambiguity(
                weights,
                m,
                AmbiguityOptions {
                    seed: options.seed,
                    ..a
                },
            )
        })
        .transpose()?;
    let kappa = welch_bound(n, m);
    Ok(WeightStats {
        rows: n,
        width: m,
        norms: summarise(&norms, options.bins.max(1)),
        phi_half: fraction_above(&norms, 0.5),
        phi_one: fraction_above(&norms, 1.0),
        phi: options
            .thresholds
            .iter()
            .map(|&t| (t, fraction_above(&norms, t)))
            .collect(),
        dimensions_per_feature: dimensions_per_feature(weights, m)?,
        m_times_mso: m as f64 * overlap.mean_sq,
        overlap,
        per_feature,
        ambiguity,
        welch_sq: kappa * kappa,
        row_norms: norms,
        zero_rows,
        non_finite,
    })
}

/// The matrix without non-finite entries, dropped or zeroed by row as `handling` says, with
/// what was found; `None` when every entry is finite (the matrix is measured as it is).
fn finite_rows(
    weights: &[f64],
    width: usize,
    total_rows: usize,
    handling: NonFiniteRows,
) -> Result<Option<(Vec<f64>, NonFinite)>> {
    let Some(first) = weights.iter().position(|v| !v.is_finite()) else {
        return Ok(None);
    };
    let entries = weights.iter().filter(|v| !v.is_finite()).count();
    let bad = |row: &[f64]| row.iter().any(|v| !v.is_finite());
    let rows = weights.chunks_exact(width).filter(|row| bad(row)).count();
    let found = NonFinite {
        entries,
        rows,
        handling,
    };
    let data: Vec<f64> = match handling {
        NonFiniteRows::Refuse => {
            return Err(Error::NonFinite {
                entries,
                rows,
                total_rows,
                row: first / width,
                column: first % width,
                value: weights[first],
            })
        }
        NonFiniteRows::Drop if rows == total_rows => {
            return Err(Error::NoFiniteRow { rows: total_rows })
        }
        NonFiniteRows::Drop => weights
            .chunks_exact(width)
            .filter(|row| !bad(row))
            .flatten()
            .copied()
            .collect(),
        NonFiniteRows::Zero => weights
            .chunks_exact(width)
            .flat_map(|row| {
                let zero = bad(row);
                row.iter().map(move |&v| if zero { 0.0 } else { v })
            })
            .collect(),
    };
    Ok(Some((data, found)))
}

fn per_feature(dimensionality: Vec<f64>, interference: Vec<f64>) -> PerFeature {
    let n = dimensionality.len().max(1) as f64;
    const BINS: usize = 200;
    let mut counts = [0usize; BINS];
    for &d in &dimensionality {
        // D_i ≤ 1 but for rows under the 1e-6 clamp; those go to the last bin.
        let bin = ((d.max(0.0) * BINS as f64) as usize).min(BINS - 1);
        counts[bin] += 1;
    }
    let mut peaks: Vec<(f64, usize)> = (0..BINS)
        .filter(|&b| {
            let left = if b > 0 { counts[b - 1] } else { 0 };
            let right = if b + 1 < BINS { counts[b + 1] } else { 0 };
            counts[b] > 0 && counts[b] >= left && counts[b] > right
        })
        .map(|b| ((b as f64 + 0.5) / BINS as f64, counts[b]))
        .collect();
    peaks.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.total_cmp(&b.0)));
    peaks.truncate(5);
    PerFeature {
        mean_dimensionality: dimensionality.iter().sum::<f64>() / n,
        mean_interference: interference.iter().sum::<f64>() / n,
        dimensionality,
        interference,
        peaks,
    }
}

/// [`sampled_overlap`] as an [`Overlap`]: a seeded estimate over `pairs` uniform pairs i ≠ j
/// (with replacement), with 95 % normal half-widths 1.96·sd/√pairs; NaN where it cannot be
/// taken. Zero rows count as cosine 0, as in the exact path.
fn sampled(weights: &[f64], width: usize, norms: &[f64], pairs: usize, seed: u64) -> Overlap {
    let method = OverlapMethod::Sampled { pairs, seed };
    match sampled_overlap(weights, width, norms, pairs, seed) {
        Ok(s) => Overlap {
            method,
            mean_sq: s.stats.mean,
            mean_sq_ci: s.mean_ci,
            variance_sq: s.stats.variance,
            mean_abs: s.stats.mean_abs,
            mean_abs_ci: s.mean_abs_ci,
        },
        Err(_) => Overlap {
            method,
            mean_sq: f64::NAN,
            mean_sq_ci: f64::NAN,
            variance_sq: f64::NAN,
            mean_abs: f64::NAN,
            mean_abs_ci: f64::NAN,
        },
    }
}

fn summarise(norms: &[f64], bins: usize) -> NormSummary {
    let n = norms.len() as f64;
    let mean = norms.iter().sum::<f64>() / n;
    let sd = (norms.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let min = norms.iter().copied().fold(f64::INFINITY, f64::min);
    let max = norms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let step = (max - min) / bins as f64;
    let mut counts = vec![0usize; bins];
    for &v in norms {
        let bin = if step > 0.0 {
            (((v - min) / step) as usize).min(bins - 1)
        } else {
            0
        };
        counts[bin] += 1;
    }
    let histogram = counts
        .into_iter()
        .enumerate()
        .map(|(b, c)| (min + step * b as f64, min + step * (b + 1) as f64, c))
        .collect();
    NormSummary {
        mean,
        sd,
        min,
        max,
        histogram,
    }
}

#[cfg(test)]
#[path = "matrix_tests.rs"]
mod tests;
