//! A family of widths (`docs/science/superposition.md` §3.4, §3.6): the power-law fits of the
//! mean squared overlap and of the loss against the width m, by the paper's log-log OLS with a
//! bootstrap interval (`superscale_fit`).

use superscale_fit::{
    bootstrap_law, fit_law, ols_log_log, BootstrapOptions, Form, LawOptions, Points,
};

/// y ∝ m^−exponent by log-log OLS (the paper's protocol, §2.4) with the standard error of the
/// slope and a bootstrap percentile interval of the exponent (`superscale_fit`).
#[derive(Debug, Clone, PartialEq)]
pub struct PowerLawFit {
    /// the exponent α in y ∝ m^−α
    pub exponent: f64,
    /// OLS standard error of the slope
    pub exponent_se: f64,
    /// c in ln y = c − α ln m
    pub intercept: f64,
    /// R² of the log-log fit
    pub r_squared: f64,
    /// points fitted
    pub n_points: usize,
    /// lower bound of the bootstrap percentile interval of α
    pub lower: f64,
    /// upper bound of that interval
    pub upper: f64,
    /// its coverage (e.g. 0.95)
    pub level: f64,
    /// resamples whose refit failed (all resampled points at one width) and were left out
    pub failed_resamples: usize,
}

/// Fits y ∝ m^−α (OLS in log-log) and bootstraps α over the points.
pub fn fit_power_law(
    width: &[f64],
    y: &[f64],
    bootstrap: &BootstrapOptions,
) -> superscale_fit::Result<PowerLawFit> {
    let ols = ols_log_log(width, y)?;
    let points = Points::new(width.to_vec(), y.to_vec());
    let options = LawOptions::default();
    let law = fit_law(Form::Power, &points, &options)?;
    let resampled = bootstrap_law(&law, &points, None, &options, bootstrap)?;
    // The power law's exponent is its quantity "alpha" (`Form::parameter_names`).
    let (lower, upper) = resampled
        .quantity("alpha")
        .map_or((f64::NAN, f64::NAN), |q| (q.lower, q.upper));
    Ok(PowerLawFit {
        exponent: ols.exponent,
        exponent_se: ols.exponent_se,
        intercept: ols.intercept,
        r_squared: ols.r_squared,
        n_points: ols.n_points,
        lower,
        upper,
        level: resampled.level,
        failed_resamples: resampled.failed,
    })
}

/// A fit, or why there is none (too few files, no losses, a failed fit).
pub type FitOutcome = std::result::Result<PowerLawFit, String>;

/// The two fits of the §3.6 figure over a family: MSO against m over every member, and the
/// loss against m over the members that have one.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyFits {
    /// MSO ∝ m^−slope (≈ 1 for directions as random, §3.4)
    pub mso: FitOutcome,
    /// L ∝ m^−α_m (≈ 1 in strong superposition, §3.2, §3.6)
    pub loss: FitOutcome,
    /// members with a loss
    pub with_loss: usize,
}

/// Fits MSO and loss against m; `members` are (m, MSO, loss).
pub fn fit_family(
    members: &[(usize, f64, Option<f64>)],
    bootstrap: &BootstrapOptions,
) -> FamilyFits {
    let fit = |points: Vec<(f64, f64)>, what: &str| -> FitOutcome {
        if points.len() < 3 {
            return Err(format!(
                "not fitted: {} file(s) with {what}, 3 needed",
                points.len()
            ));
        }
        let (x, y): (Vec<f64>, Vec<f64>) = points.into_iter().unzip();
        fit_power_law(&x, &y, bootstrap).map_err(|err| format!("not fitted: {err}"))
    };
    let mso = members.iter().map(|&(m, v, _)| (m as f64, v)).collect();
    let losses: Vec<(f64, f64)> = members
        .iter()
        .filter_map(|&(m, _, l)| l.map(|l| (m as f64, l)))
        .collect();
    let with_loss = losses.len();
    let loss = if with_loss == 0 {
        Err(
            "no file has a loss (give --loss FILE=VALUE or --losses table.csv, or save \
             weights with superscale run --save-weights): MSO only"
                .into(),
        )
    } else {
        fit(losses, "a loss")
    };
    FamilyFits {
        mso: fit(mso, "an MSO"),
        loss,
        with_loss,
    }
}

#[cfg(test)]
#[path = "family_tests.rs"]
mod tests;
