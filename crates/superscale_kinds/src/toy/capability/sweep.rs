//! Capability vs width across a sweep of trained toy models: which features become capable,
//! in which order, and whether each one jumps (issue 9 item 2; the quanta conventions of
//! `docs/science/quanta.md` §2.3 and §3 carried over to `docs/science/superposition.md` §2).
//!
//! Feature i is **capable** at width m when its relative error rᵢ (see
//! [`super::FeatureErrors::relative_error`]; chance = 1) is below 0.1: the quanta model's
//! "converged" tolerance, 0.1 bits against a chance level of 1 bit (quanta.md §2.3), as the same
//! fraction of chance. The per-feature profile over widths goes through the same
//! single-drop test as a subtask's loss over steps ([`crate::quanta::drop_profile`]: > 0.9 before,
//! < 0.1 within a factor 10 of width, never back above 0.5).

use super::error::{invalid, Error, Result};
use crate::quanta::{drop_profile, LEARNED_BELOW_BITS};
use serde::{Deserialize, Serialize};
use superscale_fit::ols_log_log;

/// A feature is capable when its relative error is below this (0.1 of chance; quanta.md §2.3).
pub const CAPABLE_BELOW: f64 = LEARNED_BELOW_BITS;

/// One feature's capability over the widths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureProfile {
    /// feature index (0 = most frequent)
    pub feature: usize,
    /// pᵢ
    pub frequency: f64,
    /// the smallest width at which rᵢ < 0.1
    pub capable_width: Option<usize>,
    /// the largest width below `capable_width` with rᵢ > 0.9
    pub last_chance_width: Option<usize>,
    /// whether rᵢ vs width is a single drop (abrupt), not a gradual decline
    pub single_drop: bool,
}

/// A slope with its OLS standard error and R².
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Slope {
    /// fitted slope
    pub slope: f64,
    /// its standard error
    pub standard_error: f64,
    /// R² of the fit
    pub r_squared: f64,
    /// points fitted
    pub n_points: usize,
}

/// Capability over a width sweep of one regime (fixed γ, α, n).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapabilitySweep {
    /// the widths, ascending
    pub widths: Vec<usize>,
    /// capable features at each width (the discontinuous metric)
    pub n_capable: Vec<usize>,
    /// Σᵢ pᵢ rᵢ / Σᵢ pᵢ at each width: the frequency-weighted relative error (continuous)
    pub mean_relative_error: Vec<f64>,
    /// every feature's profile
    pub features: Vec<FeatureProfile>,
    /// Spearman ρ of (frequency rank, first capable width) over the features that became
    /// capable: ρ near 1 means they become capable in order of frequency. None if either
    /// side is constant (e.g. all became capable at the same width).
    pub order_spearman: Option<f64>,
    /// slope of ln(capable width) on ln pᵢ over features that became capable (weak
    /// superposition stores the m most frequent, so width ∝ i ∝ p^(−1/α): slope −1/α)
    pub order_slope: Option<Slope>,
    /// slope of ln(n_capable) on ln m over widths with n_capable > 0 (weak: 1)
    pub count_slope: Option<Slope>,
}

impl CapabilitySweep {
    /// (features that ever became capable, of which single drops).
    pub fn single_drop_count(&self) -> (usize, usize) {
        let capable = self.features.iter().filter(|f| f.capable_width.is_some());
        let (mut became, mut single) = (0, 0);
        for feature in capable {
            became += 1;
            single += usize::from(feature.single_drop);
        }
        (became, single)
    }
}

/// Ranks 1..=n with ties given their average rank (scipy's `rankdata(method="average")`).
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end (0-based) hold ranks start+1..=end; their mean:
        let rank = (start + end + 1) as f64 / 2.0;
        order[start..end].iter().for_each(|&i| ranks[i] = rank);
        start = end;
    }
    ranks
}

/// Spearman's ρ: the Pearson correlation of the average ranks. None when a side is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    let (ra, rb) = (average_ranks(a), average_ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

fn slope(x: &[f64], y: &[f64]) -> Option<Slope> {
    let fit = ols_log_log(x, y).ok()?;
    fit.exponent.is_finite().then_some(Slope {
        slope: -fit.exponent,
        standard_error: fit.exponent_se,
        r_squared: fit.r_squared,
        n_points: fit.n_points,
    })
}

/// Capability over ascending `widths` from `relative_errors[width index][feature]`.
pub fn capability_sweep(
    widths: &[usize],
    relative_errors: &[Vec<f64>],
    frequencies: &[f64],
) -> Result<CapabilitySweep> {
    if widths.is_empty() || widths.len() != relative_errors.len() {
        return Err(invalid(
            "widths",
            format!(
                "{} widths for {} error vectors",
                widths.len(),
                relative_errors.len()
            ),
        ));
    }
    if widths.windows(2).any(|w| w[0] >= w[1]) {
        return Err(invalid("widths", "must be strictly ascending"));
    }
    if let Some(row) = relative_errors
        .iter()
        .find(|row| row.len() != frequencies.len())
    {
        return Err(Error::Invalid {
            field: "relative_errors",
            message: format!("{} features, expected {}", row.len(), frequencies.len()),
        });
    }
    let scale: Vec<u64> = widths.iter().map(|&w| w as u64).collect();
    let features: Vec<FeatureProfile> = frequencies
        .iter()
        .enumerate()
        .map(|(feature, &frequency)| {
            let curve: Vec<f64> = relative_errors.iter().map(|row| row[feature]).collect();
            let profile = drop_profile(&scale, &curve);
            FeatureProfile {
                feature,
                frequency,
                capable_width: profile.learned.map(|i| widths[i]),
                last_chance_width: profile.last_chance.map(|i| widths[i]),
                single_drop: profile.single_drop,
            }
        })
        .collect();
    let n_capable: Vec<usize> = relative_errors
        .iter()
        .map(|row| row.iter().filter(|&&r| r < CAPABLE_BELOW).count())
        .collect();
    let total: f64 = frequencies.iter().sum();
    let mean_relative_error = relative_errors
        .iter()
        .map(|row| row.iter().zip(frequencies).map(|(r, p)| r * p).sum::<f64>() / total)
        .collect();
    // Over the features that became capable, as the learning-time law of the quanta is fitted
    // over learned tasks (quanta.md §2.3); the never-capable are counted in `n_capable` instead.
    let (p, w): (Vec<f64>, Vec<f64>) = features
        .iter()
        .filter_map(|f| f.capable_width.map(|w| (f.frequency, w as f64)))
        .unzip();
    // Frequency rank: 1 = most frequent, so ranking −pᵢ.
    let frequency_rank: Vec<f64> = p.iter().map(|p| -p).collect();
    let order_spearman = spearman(&frequency_rank, &w);
    // ols_log_log fits ln w = c − κ ln p, so `slope` returns −κ = d ln w / d ln p.
    let order_slope = slope(&p, &w);
    let (m, count): (Vec<f64>, Vec<f64>) = widths
        .iter()
        .zip(&n_capable)
        .filter(|(_, &c)| c > 0)
        .map(|(&m, &c)| (m as f64, c as f64))
        .unzip();
    let count_slope = slope(&m, &count);
    Ok(CapabilitySweep {
        widths: widths.to_vec(),
        n_capable,
        mean_relative_error,
        features,
        order_spearman,
        order_slope,
        count_slope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_spearman_on_hand_cases() {
        assert_eq!(
            average_ranks(&[3.0, 1.0, 2.0, 1.0]),
            vec![4.0, 1.5, 3.0, 1.5]
        );
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(spearman(&a, &[2.0, 4.0, 8.0, 16.0, 32.0]), Some(1.0));
        assert_eq!(spearman(&a, &[5.0, 4.0, 3.0, 2.0, 1.0]), Some(-1.0));
        assert_eq!(spearman(&a, &[1.0; 5]), None);
    }

    /// Synthetic weak superposition: feature i is stored (r = 0.01) from width i + 1 on,
    /// else at chance (r = 1): a single drop per feature, in order of frequency.
    #[test]
    fn stored_in_order_gives_single_drops_and_unit_slopes() {
        let n = 40;
        let frequencies: Vec<f64> = (1..=n).map(|i| 1.0 / i as f64).collect();
        let widths = vec![2, 4, 8, 16, 32];
        let errors: Vec<Vec<f64>> = widths
            .iter()
            .map(|&m| (0..n).map(|i| if i < m { 0.01 } else { 1.0 }).collect())
            .collect();
        let sweep = capability_sweep(&widths, &errors, &frequencies).unwrap();
        assert_eq!(sweep.n_capable, widths);
        let count = sweep.count_slope.unwrap();
        assert!((count.slope - 1.0).abs() < 1e-12);
        // Capable widths 2,2,4,4,8×4,16×8,32×16 against ranks 1..32: ρ = 0.926 (numpy
        // with tie-averaged ranks, as reference/gen_capability_golden.py ranks).
        assert!(sweep.order_spearman.unwrap() > 0.9);
        assert_eq!(
            sweep.single_drop_count(),
            (32, 30),
            "0 and 1 never at chance"
        );
        assert_eq!(sweep.features[39].capable_width, None);
        // Gradual decline: r = 2/m falls below 0.1 only at m = 32 and is never > 0.9
        // after m = 2, so it is not a single drop.
        let gradual: Vec<Vec<f64>> = widths.iter().map(|&m| vec![2.0 / m as f64; n]).collect();
        let smooth = capability_sweep(&widths, &gradual, &frequencies).unwrap();
        assert!(smooth.features.iter().all(|f| !f.single_drop));
        assert_eq!(smooth.n_capable, vec![0, 0, 0, 0, n]);
        assert_eq!(smooth.order_spearman, None, "all capable at once: no order");
        assert!(capability_sweep(&[4, 2], &errors[..2], &frequencies).is_err());
    }
}
