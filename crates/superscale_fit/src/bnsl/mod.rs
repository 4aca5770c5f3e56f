//! Broken neural scaling laws (Caballero, Gupta, Rish & Krueger 2022, eq. 1):
//!
//! y(x) = a + b·x^(−c₀) · Πᵢ₌₁ⁿ (1 + (x/dᵢ)^(1/fᵢ))^(−cᵢ·fᵢ)
//!
//! a is the limit, b the offset, c₀ the initial log-log slope (after break i the slope is
//! −(c₀ + … + cᵢ)), dᵢ the break locations and fᵢ their sharpness (smaller is sharper).

mod fit;
mod grid;
mod interval;

pub use fit::{fit_bnsl, refit_bnsl, BnslFit, BnslOptions};
pub use grid::{caballero_transform, mgrid_axis, BnslGrid, BreakGrid};
pub use interval::{bnsl_prediction_intervals, BnslIntervalOptions, BnslPrediction};

/// One break of a BNSL.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BnslBreak {
    /// cᵢ, change of the log-log slope across the break
    pub slope_change: f64,
    /// dᵢ, where the break happens (in units of x)
    pub location: f64,
    /// fᵢ, how sharp the break is (smaller is sharper)
    pub sharpness: f64,
}

/// The parameters of a BNSL with `breaks.len()` breaks.
#[derive(Debug, Clone, PartialEq)]
pub struct BnslParameters {
    /// a, the limit as x → ∞
    pub limit: f64,
    /// b, the offset (scale of the power-law part)
    pub offset: f64,
    /// c₀, the initial log-log slope (negated)
    pub initial_slope: f64,
    /// the breaks, in the order of the formula's product
    pub breaks: Vec<BnslBreak>,
}

impl BnslParameters {
    /// y(x) by the formula as written, with IEEE `powf` semantics (as numpy's `**` in the
    /// reference code): a break with f = 0 contributes a factor 1 instead of NaN.
    pub fn predict(&self, x: f64) -> f64 {
        let mut value = self.offset * x.powf(-self.initial_slope);
        for b in &self.breaks {
            value *= (1.0 + (x / b.location).powf(1.0 / b.sharpness))
                .powf(-b.slope_change * b.sharpness);
        }
        self.limit + value
    }

    /// The paper's parameter names in vector order: a, b, c0, then c_i, d_i, f_i per break.
    pub fn names(breaks: usize) -> Vec<String> {
        let mut names = vec!["a".to_string(), "b".to_string(), "c0".to_string()];
        for i in 1..=breaks {
            names.extend([format!("c{i}"), format!("d{i}"), format!("f{i}")]);
        }
        names
    }

    /// The parameters as a vector in [`BnslParameters::names`] order.
    pub fn to_vector(&self) -> Vec<f64> {
        let mut v = vec![self.limit, self.offset, self.initial_slope];
        for b in &self.breaks {
            v.extend([b.slope_change, b.location, b.sharpness]);
        }
        v
    }

    /// The inverse of [`BnslParameters::to_vector`]; `v.len()` must be 3 + 3·breaks.
    pub fn from_vector(v: &[f64]) -> Self {
        Self {
            limit: v[0],
            offset: v[1],
            initial_slope: v[2],
            breaks: v[3..]
                .chunks_exact(3)
                .map(|c| BnslBreak {
                    slope_change: c[0],
                    location: c[1],
                    sharpness: c[2],
                })
                .collect(),
        }
    }
}

/// ln(1 + eᶻ) without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// 1/(1 + e⁻ᶻ) without overflow.
fn logistic(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// y(x) and ∂y/∂θ (θ in vector order), computed in log space for the LM refinement.
///
/// With zᵢ = (ln x − ln dᵢ)/fᵢ, the product is exp(−Σ cᵢfᵢ·softplus(zᵢ)), so g = b·eˢ with
/// s = −c₀ ln x − Σ cᵢfᵢ softplus(zᵢ), and
/// ∂y/∂a = 1, ∂y/∂b = eˢ, ∂y/∂c₀ = −g ln x, ∂y/∂cᵢ = −g fᵢ softplus(zᵢ),
/// ∂y/∂dᵢ = g cᵢ σ(zᵢ)/dᵢ, ∂y/∂fᵢ = g cᵢ (zᵢ σ(zᵢ) − softplus(zᵢ)).
pub(crate) fn predict_with_gradient(parameters: &[f64], log_x: f64, gradient: &mut [f64]) -> f64 {
    let (limit, offset, initial_slope) = (parameters[0], parameters[1], parameters[2]);
    let mut exponent = -initial_slope * log_x;
    for (k, chunk) in parameters[3..].chunks_exact(3).enumerate() {
        let (slope_change, location, sharpness) = (chunk[0], chunk[1], chunk[2]);
        let z = (log_x - location.ln()) / sharpness;
        let soft = softplus(z);
        exponent -= slope_change * sharpness * soft;
        // Store the pieces; they are scaled by g once the whole exponent is known.
        gradient[3 + 3 * k] = -sharpness * soft;
        gradient[4 + 3 * k] = slope_change * logistic(z) / location;
        gradient[5 + 3 * k] = slope_change * (z * logistic(z) - soft);
    }
    let power = exponent.exp();
    let g = offset * power;
    gradient[0] = 1.0;
    gradient[1] = power;
    gradient[2] = -g * log_x;
    gradient[3..].iter_mut().for_each(|d| *d *= g);
    limit + g
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> BnslParameters {
        BnslParameters::from_vector(&[0.41, 2.28, 0.055, 5.66, 612.6, 0.059, 0.3, 2000.0, 0.4])
    }

    #[test]
    fn log_space_prediction_equals_formula() {
        let p = example();
        let v = p.to_vector();
        let mut gradient = vec![0.0; v.len()];
        for x in [1.0, 100.0, 612.0, 900.0, 4000.0] {
            let y = predict_with_gradient(&v, f64::ln(x), &mut gradient);
            assert!((y - p.predict(x)).abs() <= 1e-12 * y.abs(), "x = {x}");
        }
    }

    #[test]
    fn gradient_matches_central_finite_differences() {
        let v = example().to_vector();
        let mut gradient = vec![0.0; v.len()];
        let mut scratch = vec![0.0; v.len()];
        for x in [160.0, 600.0, 700.0, 2500.0] {
            predict_with_gradient(&v, f64::ln(x), &mut gradient);
            for p in 0..v.len() {
                let step = 1e-6 * v[p].abs().max(1e-3);
                let (mut plus, mut minus) = (v.clone(), v.clone());
                plus[p] += step;
                minus[p] -= step;
                let numeric = (predict_with_gradient(&plus, f64::ln(x), &mut scratch)
                    - predict_with_gradient(&minus, f64::ln(x), &mut scratch))
                    / (2.0 * step);
                // Relative 1e-5, plus 1e-9 absolute for the rounding error ε·y/step.
                assert!(
                    (numeric - gradient[p]).abs() <= 1e-5 * gradient[p].abs() + 1e-9,
                    "x = {x}, parameter {p}: analytic {} numeric {numeric}",
                    gradient[p]
                );
            }
        }
    }

    #[test]
    fn zero_sharpness_is_no_break_like_numpy() {
        let p = BnslParameters::from_vector(&[0.1, 2.0, 0.5, 3.0, 10.0, 0.0]);
        assert_eq!(p.predict(20.0), 0.1 + 2.0 * 20f64.powf(-0.5));
        assert_eq!(p.predict(5.0), 0.1 + 2.0 * 5f64.powf(-0.5));
    }

    #[test]
    fn vector_round_trip_and_names() {
        let p = example();
        assert_eq!(BnslParameters::from_vector(&p.to_vector()), p);
        assert_eq!(BnslParameters::names(2)[8], "f2");
    }
}
