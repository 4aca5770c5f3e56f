//! Log-log ordinary least squares: the superposition paper's α_m protocol.
//!
//! ln y = c − α ln x, fitted by OLS with no weighting over all points; the standard error
//! of the slope is the textbook sqrt(SSR / (N − 2) / Σ (ln x − mean)²) and R² = 1 − SSR/SST
//! (`docs/science/superposition.md` §2.4: "Error bars are the standard errors of the slope";
//! "R² of the same log-log fit is the power-law-ness measure").

use crate::error::{Error, Result};
use crate::student_t::t_quantile_975;

/// The result of a log-log OLS fit, reported with the paper's sign convention.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogLogFit {
    /// the exponent α in y ∝ x^−α (minus the fitted slope)
    pub exponent: f64,
    /// standard error of the slope (equal to that of the exponent)
    pub exponent_se: f64,
    /// the intercept c of ln y = c − α ln x
    pub intercept: f64,
    /// coefficient of determination of the log-log fit
    pub r_squared: f64,
    /// number of points used
    pub n_points: usize,
}

/// A least-squares line y = intercept + slope·x with the sums it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    /// Σ(x − x̄)(y − ȳ) / Σ(x − x̄)² (not finite when x is constant)
    pub slope: f64,
    /// ȳ − slope·x̄
    pub intercept: f64,
    /// x̄
    pub mean_x: f64,
    /// ȳ
    pub mean_y: f64,
    /// Σ(x − x̄)²
    pub sxx: f64,
    /// Σ(x − x̄)(y − ȳ)
    pub sxy: f64,
    /// Σ(y − ȳ)²
    pub syy: f64,
}

impl Line {
    /// Pearson's correlation of x and y, sxy/√(sxx·syy).
    pub fn correlation(&self) -> f64 {
        self.sxy / (self.sxx * self.syy).sqrt()
    }

    /// Σ(y − intercept − slope·x)² over the points at `indices`, summed directly (not as
    /// syy − sxy²/sxx, which cancels badly when the fit is close).
    pub fn residual_sum_of_squares(&self, x: &[f64], y: &[f64], indices: &[usize]) -> f64 {
        indices
            .iter()
            .map(|&i| (y[i] - self.intercept - self.slope * x[i]).powi(2))
            .sum()
    }
}

/// An OLS line with what its 95 % prediction interval for a new point needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictionLine {
    /// the fitted line
    pub line: Line,
    /// the residual standard deviation s = √(SSR/(n − 2))
    pub residual_sd: f64,
    /// the number of points n
    pub n_points: usize,
}

impl PredictionLine {
    /// The OLS line of y on x over every point, or `None` with fewer than 3 points or
    /// constant x (no interval can be formed).
    pub fn fit(x: &[f64], y: &[f64]) -> Option<Self> {
        let n = x.len().min(y.len());
        let all: Vec<usize> = (0..n).collect();
        let line = ols_line(x, y, &all);
        if n < 3 || line.sxx <= 0.0 {
            return None;
        }
        let ssr = line.residual_sum_of_squares(x, y, &all);
        Some(Self {
            line,
            residual_sd: (ssr / (n - 2) as f64).sqrt(),
            n_points: n,
        })
    }

    /// The prediction at x and the half-width of its 95 % interval for a new observation,
    /// t₀.₉₇₅(n − 2)·s·√(1 + 1/n + (x − x̄)²/Sₓₓ) (the textbook interval, e.g. Montgomery,
    /// Peck & Vining, "Introduction to Linear Regression Analysis", §2.5).
    pub fn predict(&self, x: f64) -> (f64, f64) {
        let n = self.n_points as f64;
        let centre = self.line.intercept + self.line.slope * x;
        let spread = t_quantile_975(self.n_points - 2)
            * self.residual_sd
            * (1.0 + 1.0 / n + (x - self.line.mean_x).powi(2) / self.line.sxx).sqrt();
        (centre, spread)
    }
}

/// Ordinary least squares of y on x over the points at `indices`, unweighted, sums in index
/// order: the one OLS of the workspace (the log-log fit below and the Platonic competence
/// regression are both this line).
pub fn ols_line(x: &[f64], y: &[f64], indices: &[usize]) -> Line {
    let count = indices.len() as f64;
    let mean_x = indices.iter().map(|&i| x[i]).sum::<f64>() / count;
    let mean_y = indices.iter().map(|&i| y[i]).sum::<f64>() / count;
    let sxx: f64 = indices.iter().map(|&i| (x[i] - mean_x).powi(2)).sum();
    let sxy: f64 = indices
        .iter()
        .map(|&i| (x[i] - mean_x) * (y[i] - mean_y))
        .sum();
    let syy: f64 = indices.iter().map(|&i| (y[i] - mean_y).powi(2)).sum();
    let slope = sxy / sxx;
    Line {
        slope,
        intercept: mean_y - slope * mean_x,
        mean_x,
        mean_y,
        sxx,
        sxy,
        syy,
    }
}

/// Fit ln y = c − α ln x by ordinary least squares.
pub fn ols_log_log(x: &[f64], y: &[f64]) -> Result<LogLogFit> {
    if x.len() != y.len() {
        return Err(Error::LengthMismatch {
            x: x.len(),
            y: y.len(),
        });
    }
    if x.len() < 3 {
        return Err(Error::TooFewPoints {
            form: "log-log OLS with a standard error",
            needed: 3,
            got: x.len(),
        });
    }
    let mut log_x = Vec::with_capacity(x.len());
    let mut log_y = Vec::with_capacity(y.len());
    for (index, (&xi, &yi)) in x.iter().zip(y).enumerate() {
        for (what, value) in [("x", xi), ("y", yi)] {
            if !value.is_finite() {
                return Err(Error::NotFinite { what, index, value });
            }
            if value <= 0.0 {
                return Err(Error::NonPositive { what, index, value });
            }
        }
        log_x.push(xi.ln());
        log_y.push(yi.ln());
    }
    let all: Vec<usize> = (0..log_x.len()).collect();
    let line = ols_line(&log_x, &log_y, &all);
    let (slope, intercept, sxx, syy) = (line.slope, line.intercept, line.sxx, line.syy);
    let count = log_x.len() as f64;
    let ssr = line.residual_sum_of_squares(&log_x, &log_y, &all);
    let r_squared = if syy > 0.0 { 1.0 - ssr / syy } else { 1.0 };
    let exponent_se = (ssr / (count - 2.0) / sxx).sqrt();
    Ok(LogLogFit {
        exponent: -slope,
        exponent_se,
        intercept,
        r_squared,
        n_points: x.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prediction_interval_matches_the_textbook_by_hand() {
        let line = PredictionLine::fit(&[0.0, 1.0, 2.0, 3.0], &[0.1, 0.9, 2.1, 2.9]).unwrap();
        assert!((line.line.slope - 0.96).abs() < 1e-12);
        assert!((line.line.intercept - 0.06).abs() < 1e-12);
        // Residuals 0.04, −0.12, 0.12, −0.04: s² = 0.032/2; at x = 4, √(1 + 1/4 + 6.25/5) = √2.5;
        // t₀.₉₇₅(2) = 4.303.
        let (centre, spread) = line.predict(4.0);
        assert!((centre - 3.9).abs() < 1e-12);
        assert!((spread - 4.303 * 0.016f64.sqrt() * 2.5f64.sqrt()).abs() < 1e-12);
        assert!(
            PredictionLine::fit(&[1.0, 2.0], &[1.0, 2.0]).is_none(),
            "too few points"
        );
        assert!(
            PredictionLine::fit(&[1.0; 4], &[1.0, 2.0, 3.0, 4.0]).is_none(),
            "constant x"
        );
    }

    #[test]
    fn exact_power_law_is_recovered_with_zero_error() {
        let x = [10.0, 15.0, 25.0, 39.0, 63.0, 100.0];
        let y: Vec<f64> = x.iter().map(|m: &f64| 3.0 * m.powf(-1.07)).collect();
        let fit = ols_log_log(&x, &y).unwrap();
        assert!((fit.exponent - 1.07).abs() < 1e-12);
        assert!(fit.exponent_se < 1e-10);
        assert!((fit.r_squared - 1.0).abs() < 1e-12);
    }

    #[test]
    fn standard_error_matches_hand_computation() {
        // numpy: x=ln([1,2,4,8]); y=ln([1.0,0.55,0.24,0.13]); np.polyfit + formula
        let x = [1.0, 2.0, 4.0, 8.0];
        let y = [1.0, 0.55, 0.24, 0.13];
        let fit = ols_log_log(&x, &y).unwrap();
        let lx: Vec<f64> = x.iter().map(|v: &f64| v.ln()).collect();
        let ly: Vec<f64> = y.iter().map(|v: &f64| v.ln()).collect();
        let mx = lx.iter().sum::<f64>() / 4.0;
        let my = ly.iter().sum::<f64>() / 4.0;
        let b = lx
            .iter()
            .zip(&ly)
            .map(|(a, c)| (a - mx) * (c - my))
            .sum::<f64>()
            / lx.iter().map(|a| (a - mx).powi(2)).sum::<f64>();
        assert!((fit.exponent + b).abs() < 1e-12);
        assert!(fit.exponent_se > 0.0 && fit.r_squared < 1.0 && fit.r_squared > 0.9);
    }

    #[test]
    fn non_positive_values_are_named() {
        let err = ols_log_log(&[1.0, 2.0, 3.0], &[1.0, 0.0, 2.0]).unwrap_err();
        assert!(err.to_string().contains("point 1"), "{err}");
    }
}
