//! The Chinchilla parametric loss L(N, D) = E + A/N^α + B/D^β (Hoffmann et al. 2022, eq. 2 and
//! Approach 3), its compute-optimal allocation, and the Epoch AI fitting protocol
//! (Besiroglu, Erdil, Barnett & You 2024, "Chinchilla Scaling: A replication attempt").

mod fit;

pub use fit::{
    fit_chinchilla, refit_chinchilla, ChinchillaFit, ChinchillaOptions, ChinchillaStartGrid,
};

use crate::error::Result;
use crate::validate;

/// Training compute of Chinchilla itself, C = 6·N·D = 6 · 70·10⁹ · 1.4·10¹² FLOP, the budget at
/// which Besiroglu et al. 2024 (notebook cells 68–69) compare tokens per parameter.
pub const CHINCHILLA_COMPUTE: f64 = 6.0 * 70e9 * 1.4e12;

/// Parameters in the log space in which they are fitted: a = ln A, b = ln B, e = ln E.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChinchillaParameters {
    /// a = ln A, log-coefficient of the model-size term
    pub log_a: f64,
    /// b = ln B, log-coefficient of the data term
    pub log_b: f64,
    /// e = ln E, log of the irreducible loss
    pub log_e: f64,
    /// α, exponent of model size N
    pub alpha: f64,
    /// β, exponent of training tokens D
    pub beta: f64,
}

/// The compute-optimal split of a budget C = 6·N·D.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Allocation {
    /// N_opt, parameters
    pub parameters: f64,
    /// D_opt, training tokens
    pub tokens: f64,
    /// D_opt / N_opt
    pub tokens_per_parameter: f64,
}

impl ChinchillaParameters {
    /// Hoffmann et al.'s Approach-3 estimate, unrounded, as used by Besiroglu et al. 2024
    /// (A = 406.4, B = 410.7, E = 1.69, α = 0.34, β = 0.28 once rounded).
    pub const HOFFMANN: Self = Self {
        log_a: 6.0073404,
        log_b: 6.0179186,
        log_e: 0.5267228,
        alpha: 0.33917084,
        beta: 0.2849083,
    };

    /// From natural-space coefficients A, B, E.
    pub fn from_coefficients(a: f64, b: f64, e: f64, alpha: f64, beta: f64) -> Self {
        Self {
            log_a: a.ln(),
            log_b: b.ln(),
            log_e: e.ln(),
            alpha,
            beta,
        }
    }

    /// A = eᵃ.
    pub fn coefficient_model_size(&self) -> f64 {
        self.log_a.exp()
    }

    /// B = eᵇ.
    pub fn coefficient_tokens(&self) -> f64 {
        self.log_b.exp()
    }

    /// E = eᵉ.
    pub fn irreducible(&self) -> f64 {
        self.log_e.exp()
    }

    /// L(N, D) = E + A/N^α + B/D^β.
    pub fn predict(&self, model_size: f64, tokens: f64) -> f64 {
        self.irreducible()
            + self.coefficient_model_size() * model_size.powf(-self.alpha)
            + self.coefficient_tokens() * tokens.powf(-self.beta)
    }

    /// The exponent a = β/(α+β) of N_opt ∝ C^a (Hoffmann et al. 2022, eq. 4).
    pub fn parameter_exponent(&self) -> f64 {
        self.beta / (self.alpha + self.beta)
    }

    /// The exponent b = α/(α+β) of D_opt ∝ C^b (Hoffmann et al. 2022, eq. 4).
    pub fn token_exponent(&self) -> f64 {
        self.alpha / (self.alpha + self.beta)
    }

    /// N_opt = G·(C/6)^a and D_opt = G⁻¹·(C/6)^b with G = (αA/(βB))^(1/(α+β)), minimising
    /// L(N, D) subject to 6·N·D = C (Hoffmann et al. 2022, eq. 4 and App. D.2).
    pub fn allocation(&self, compute: f64) -> Allocation {
        let sum = self.alpha + self.beta;
        // ln G computed in log space: αA/(βB) over- or underflows for extreme bootstrap draws.
        let log_g = (self.alpha.ln() + self.log_a - self.beta.ln() - self.log_b) / sum;
        let log_budget = (compute / 6.0).ln();
        let log_parameters = log_g + self.parameter_exponent() * log_budget;
        let log_tokens = -log_g + self.token_exponent() * log_budget;
        Allocation {
            parameters: log_parameters.exp(),
            tokens: log_tokens.exp(),
            tokens_per_parameter: (log_tokens - log_parameters).exp(),
        }
    }

    pub(crate) fn to_vector(self) -> Vec<f64> {
        vec![self.log_a, self.log_b, self.log_e, self.alpha, self.beta]
    }

    pub(crate) fn from_vector(v: &[f64]) -> Self {
        Self {
            log_a: v[0],
            log_b: v[1],
            log_e: v[2],
            alpha: v[3],
            beta: v[4],
        }
    }
}

/// Training tokens from compute, D = C/(6N) (Kaplan et al. 2020, §2.1; how Besiroglu et al.
/// recover D from the Chinchilla figure).
pub fn tokens_from_compute(model_size: &[f64], compute: &[f64]) -> Result<Vec<f64>> {
    validate::same_length(model_size, compute)?;
    validate::logarithms("model size", model_size)?;
    validate::logarithms("compute", compute)?;
    Ok(model_size
        .iter()
        .zip(compute)
        .map(|(n, c)| c / (6.0 * n))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_spends_the_budget_and_minimises_loss() {
        let p = ChinchillaParameters::from_coefficients(482.01, 2085.43, 1.817, 0.3478, 0.3658);
        let compute = 1e22;
        let optimum = p.allocation(compute);
        assert!((6.0 * optimum.parameters * optimum.tokens / compute - 1.0).abs() < 1e-12);
        assert!((p.parameter_exponent() + p.token_exponent() - 1.0).abs() < 1e-15);
        let best = p.predict(optimum.parameters, optimum.tokens);
        for factor in [0.9, 1.1] {
            let n = optimum.parameters * factor;
            assert!(p.predict(n, compute / (6.0 * n)) > best);
        }
    }

    #[test]
    fn allocation_exponent_matches_epoch() {
        // Besiroglu et al. 2024, Table 1: a = β/(α+β) = 0.513 for their fit.
        let p = ChinchillaParameters::from_coefficients(482.01, 2085.43, 1.817, 0.3478, 0.3658);
        assert!((p.parameter_exponent() - 0.5126).abs() < 1e-3);
    }

    #[test]
    fn tokens_from_compute_inverts_six_n_d() {
        let d = tokens_from_compute(&[1e9, 2e9], &[6e18, 2.4e19]).unwrap();
        assert_eq!(d, vec![1e9, 2e9]);
        assert!(tokens_from_compute(&[1e9, 0.0], &[1.0, 1.0]).is_err());
    }
}
