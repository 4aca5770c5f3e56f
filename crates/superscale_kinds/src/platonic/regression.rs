//! The competence–alignment law (Huh et al. 2024, Fig. 3: alignment to a strong model rises
//! with competence): across all runs, alignment to a fixed strong reference network against
//! competence 1 − normalised test loss, by ordinary least squares; the slope's interval is a
//! percentile bootstrap over runs (Efron & Tibshirani 1993, ch. 13).

use super::error::Result;
use superscale_fit::{ols_line, run_bootstrap, BootstrapOptions};
use superscale_measure::align::Metric;

/// The fitted line y = intercept + slope·x with the slope's interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    /// the alignment metric on the y axis
    pub metric: Metric,
    /// `pooled` (all runs as they are) or `within_cell` (each cell's mean competence and
    /// alignment removed first, so differences between cells, e.g. task sets, cannot drive
    /// the slope: a fixed-effects regression)
    pub scope: &'static str,
    /// number of runs
    pub runs: usize,
    /// OLS slope
    pub slope: f64,
    /// OLS intercept
    pub intercept: f64,
    /// Pearson correlation of x and y
    pub correlation: f64,
    /// bootstrap percentile interval of the slope (NaN without resamples)
    pub slope_low: f64,
    /// upper end
    pub slope_high: f64,
    /// (competence, alignment) of every run, for the figure
    pub points: Vec<(f64, f64)>,
}

/// OLS of y on x over the points at `indices` (`superscale_fit::ols_line`): (slope,
/// intercept, correlation); the slope is NaN if x is constant.
pub fn ols(x: &[f64], y: &[f64], indices: &[usize]) -> (f64, f64, f64) {
    let line = ols_line(x, y, indices);
    let slope = if line.sxx > 0.0 { line.slope } else { f64::NAN };
    (slope, line.mean_y - slope * line.mean_x, line.correlation())
}

/// Fits alignment `y` on competence `x` and bootstraps the slope over runs.
pub fn competence_regression(
    metric: Metric,
    x: &[f64],
    y: &[f64],
    resamples: usize,
    seed: u64,
) -> Result<Regression> {
    let all: Vec<usize> = (0..x.len()).collect();
    let (slope, intercept, correlation) = ols(x, y, &all);
    let (slope_low, slope_high) = if resamples >= 2 && x.len() >= 3 && slope.is_finite() {
        let options = BootstrapOptions {
            resamples,
            seed,
            level: crate::seed_pairs::LEVEL,
        };
        let boot = run_bootstrap(
            &["slope".to_string()],
            &[slope],
            x.len(),
            None,
            &options,
            |idx| Ok((vec![ols(x, y, idx).0], true)),
        )?;
        let q = &boot.quantities[0];
        (q.lower, q.upper)
    } else {
        (f64::NAN, f64::NAN)
    };
    Ok(Regression {
        metric,
        scope: "pooled",
        runs: x.len(),
        slope,
        intercept,
        correlation,
        slope_low,
        slope_high,
        points: x.iter().copied().zip(y.iter().copied()).collect(),
    })
}

/// Removes each group's mean from `values` (groups given per value).
pub fn demean_by_group(values: &[f64], groups: &[usize]) -> Vec<f64> {
    let count = groups.iter().copied().max().map_or(0, |g| g + 1);
    let (mut sums, mut sizes) = (vec![0.0; count], vec![0.0; count]);
    for (&v, &g) in values.iter().zip(groups) {
        sums[g] += v;
        sizes[g] += 1.0;
    }
    values
        .iter()
        .zip(groups)
        .map(|(&v, &g)| v - sums[g] / sizes[g])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_an_exact_line_and_brackets_a_noisy_slope() {
        let x: Vec<f64> = (0..20).map(|i| i as f64 / 19.0).collect();
        let y: Vec<f64> = x.iter().map(|v| 0.2 + 0.5 * v).collect();
        let fit = competence_regression(Metric::MutualKnn, &x, &y, 200, 1).unwrap();
        assert!((fit.slope - 0.5).abs() < 1e-12 && (fit.intercept - 0.2).abs() < 1e-12);
        assert!((fit.correlation - 1.0).abs() < 1e-12);
        assert!((fit.slope_low - 0.5).abs() < 1e-9 && (fit.slope_high - 0.5).abs() < 1e-9);
        // Deterministic ± 0.05 noise: the interval contains 0.5 and excludes 0.
        let noisy: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(i, v)| v + 0.05 * ((i * 7 % 5) as f64 - 2.0) / 2.0)
            .collect();
        let fit = competence_regression(Metric::MutualKnn, &x, &noisy, 500, 1).unwrap();
        assert!(fit.slope_low < 0.5 && 0.5 < fit.slope_high, "{fit:?}");
        assert!(fit.slope_low > 0.3);
    }

    #[test]
    fn demeaning_removes_a_between_group_trend() {
        // Within each group y rises with x (slope 1), but the groups' means fall: the pooled
        // slope is negative, the within-group slope is exactly 1.
        let x = [0.0, 1.0, 2.0, 10.0, 11.0, 12.0];
        let y = [10.0, 11.0, 12.0, 0.0, 1.0, 2.0];
        let groups = [0, 0, 0, 1, 1, 1];
        let all: Vec<usize> = (0..6).collect();
        assert!(ols(&x, &y, &all).0 < 0.0);
        let (dx, dy) = (demean_by_group(&x, &groups), demean_by_group(&y, &groups));
        assert!((ols(&dx, &dy, &all).0 - 1.0).abs() < 1e-12);
        assert!(dx.iter().sum::<f64>().abs() < 1e-12);
    }
}
