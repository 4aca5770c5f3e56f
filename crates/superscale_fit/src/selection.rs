//! Comparing forms: information criteria on log residuals and extrapolation to held-out
//! larger scales (the test Caballero et al. 2022 use: fit on the smaller x, RMSLE on the rest).

use crate::error::{Error, Result};
use crate::law::{fit_law, FittedLaw, Form, LawOptions, Points};

/// AIC, AICc and BIC of a fit, from its log residuals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InformationCriteria {
    /// number of points n
    pub n_points: usize,
    /// number of estimated parameters k, counting the residual variance
    pub n_parameters: usize,
    /// residual sum of squares of ln ŷ − ln y
    pub residual_sum_of_squares: f64,
    /// Akaike: n ln(RSS/n) + 2k; NaN (undefined) when the law passes through every point
    /// (RSS = 0, whose logarithm is −∞), as do AICc and BIC
    pub aic: f64,
    /// small-sample Akaike: AIC + 2k(k+1)/(n − k − 1) (∞ when n ≤ k + 1)
    pub aicc: f64,
    /// Bayesian (Schwarz): n ln(RSS/n) + k ln n
    pub bic: f64,
}

/// Root mean squared log error, sqrt(mean((ln ŷ − ln y)²)) (Caballero et al. 2022, the `sle`
/// of their scripts). A non-positive prediction gives NaN.
pub fn rmsle(predicted: &[f64], observed: &[f64]) -> f64 {
    let total: f64 = predicted
        .iter()
        .zip(observed)
        .map(|(p, o)| (p.ln() - o.ln()).powi(2))
        .sum();
    (total / observed.len() as f64).sqrt()
}

/// Information criteria of `fit` on `points`, treating ln y as Gaussian around ln ŷ with the
/// variance profiled out (Burnham & Anderson 2002, §2.2 and eq. 2.13; Schwarz 1978). Every
/// form is scored on the same log residuals, so the values compare across forms even though
/// each form is fitted with its own loss; lower is better.
pub fn information_criteria(fit: &FittedLaw, points: &Points) -> Result<InformationCriteria> {
    let predicted = predictions(fit, points);
    crate::validate::logarithms("prediction", &predicted)?;
    crate::validate::logarithms("y", &points.y)?;
    let n = points.len();
    let k = fit.parameters.len() + 1;
    let residual_sum_of_squares: f64 = predicted
        .iter()
        .zip(&points.y)
        .map(|(p, o)| (p.ln() - o.ln()).powi(2))
        .sum();
    // an exact fit has no residual variance to profile: the criteria are undefined, not −∞
    let fit_term = if residual_sum_of_squares > 0.0 {
        n as f64 * (residual_sum_of_squares / n as f64).ln()
    } else {
        f64::NAN
    };
    let aic = fit_term + 2.0 * k as f64;
    let aicc = if n > k + 1 {
        aic + 2.0 * (k * (k + 1)) as f64 / (n - k - 1) as f64
    } else {
        f64::INFINITY
    };
    Ok(InformationCriteria {
        n_points: n,
        n_parameters: k,
        residual_sum_of_squares,
        aic,
        aicc,
        bic: fit_term + k as f64 * (n as f64).ln(),
    })
}

fn predictions(fit: &FittedLaw, points: &Points) -> Vec<f64> {
    let second = |i: usize| points.second.as_ref().map_or(f64::NAN, |s| s[i]);
    (0..points.len())
        .map(|i| fit.predict(points.x[i], second(i)))
        .collect()
}

/// A fit on the smaller scales and its error on the largest ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Holdout {
    /// the fit on the training points
    pub fit: FittedLaw,
    /// indices of the training points (smaller scales), ascending in scale
    pub train: Vec<usize>,
    /// indices of the held-out points (the largest scales), ascending in scale
    pub held_out: Vec<usize>,
    /// RMSLE on the training points
    pub train_rmsle: f64,
    /// RMSLE on the held-out points
    pub held_out_rmsle: f64,
}

/// Fit on all but the `held_out` largest-scale points and report RMSLE on both parts. Scale is
/// x, or N·D (∝ compute) for the Chinchilla form; ties keep the input order.
pub fn holdout(
    form: Form,
    points: &Points,
    held_out: usize,
    options: &LawOptions,
) -> Result<Holdout> {
    if held_out == 0 || held_out >= points.len() {
        return Err(Error::InvalidOption {
            name: "holdout",
            reason: format!(
                "must hold out between 1 and {} points, got {held_out}",
                points.len() - 1
            ),
        });
    }
    let scale = |i: usize| points.x[i] * points.second.as_ref().map_or(1.0, |s| s[i]);
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&i, &j| scale(i).total_cmp(&scale(j)));
    let split = points.len() - held_out;
    let (train, held) = (order[..split].to_vec(), order[split..].to_vec());
    let train_points = points.select(&train);
    let held_points = points.select(&held);
    let fit = fit_law(form, &train_points, options)?;
    let train_rmsle = rmsle(&predictions(&fit, &train_points), &train_points.y);
    let held_out_rmsle = rmsle(&predictions(&fit, &held_points), &held_points.y);
    Ok(Holdout {
        fit,
        train,
        held_out: held,
        train_rmsle,
        held_out_rmsle,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_follow_their_definitions() {
        let x: Vec<f64> = (1..=10).map(|i| i as f64 * 10.0).collect();
        let y: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(i, v)| 3.0 * v.powf(-0.5) * (1.0 + 0.01 * (i as f64).sin()))
            .collect();
        let points = Points::new(x, y);
        let fit = fit_law(Form::Power, &points, &LawOptions::default()).unwrap();
        let c = information_criteria(&fit, &points).unwrap();
        let base = 10.0 * (c.residual_sum_of_squares / 10.0).ln();
        assert_eq!(c.n_parameters, 3);
        assert!((c.aic - (base + 6.0)).abs() < 1e-12);
        assert!((c.bic - (base + 3.0 * 10f64.ln())).abs() < 1e-12);
        assert!((c.aicc - (c.aic + 24.0 / 6.0)).abs() < 1e-12);
        // The OLS fit minimises the log RSS, which is also its objective.
        assert!((c.residual_sum_of_squares - fit.objective).abs() < 1e-15);
    }

    #[test]
    fn holdout_takes_the_largest_scales() {
        let x = vec![5.0, 1.0, 3.0, 4.0, 2.0, 6.0];
        let y: Vec<f64> = x.iter().map(|v: &f64| 2.0 * v.powf(-0.3)).collect();
        let result = holdout(Form::Power, &Points::new(x, y), 2, &LawOptions::default()).unwrap();
        assert_eq!(result.held_out, vec![0, 5]);
        assert_eq!(result.train, vec![1, 4, 2, 3]);
        assert!(result.held_out_rmsle < 1e-12 && result.train_rmsle < 1e-12);
        let bad = holdout(
            Form::Power,
            &Points::new(vec![1.0; 3], vec![1.0; 3]),
            3,
            &LawOptions::default(),
        );
        assert!(bad.is_err());
    }

    #[test]
    fn rmsle_of_a_constant_ratio() {
        let r = rmsle(&[2.0, 4.0], &[1.0, 2.0]);
        assert!((r - 2f64.ln()).abs() < 1e-15);
    }
}
