//! The analytic "mirage" of Schaeffer, Miranda & Koyejo 2023 (`docs/science/quanta.md` §6,
//! check D5 of §6.2): a smooth power-law per-token loss looks emergent under exact match and
//! smooth under token edit distance.

use serde::{Deserialize, Serialize};

/// ℓ(N) = (N/c)^(−a), the per-token cross-entropy (§6.1, written with a > 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Mirage {
    /// c, the scale where ℓ = 1
    pub scale: f64,
    /// a, the per-token loss exponent (D5: 0.3)
    pub exponent: f64,
    /// L, the target length in tokens (D5: 5)
    pub target_tokens: f64,
}

impl Mirage {
    /// The D5 configuration: ℓ(N) = (N/1e9)^−0.3, L = 5.
    pub fn d5() -> Self {
        Self {
            scale: 1e9,
            exponent: 0.3,
            target_tokens: 5.0,
        }
    }

    /// ℓ(N) = (N/c)^(−a)
    pub fn token_loss(&self, parameters: f64) -> f64 {
        (parameters / self.scale).powf(-self.exponent)
    }

    /// p(N) = e^{−ℓ(N)}, the probability of a correct token.
    pub fn token_probability(&self, parameters: f64) -> f64 {
        (-self.token_loss(parameters)).exp()
    }

    /// Exact match Acc(N) = p^L = exp(−L·ℓ(N)), nonlinear in ℓ (§6.1).
    pub fn exact_match(&self, parameters: f64) -> f64 {
        (-self.target_tokens * self.token_loss(parameters)).exp()
    }

    /// Token edit distance ≈ L·(1 − p(N)), linear in p (§6.1).
    pub fn edit_distance(&self, parameters: f64) -> f64 {
        -self.target_tokens * (-self.token_loss(parameters)).exp_m1()
    }

    /// The N at which exact match equals `accuracy`: ℓ = −ln(acc)/L, N = c·ℓ^(−1/a).
    pub fn parameters_at_exact_match(&self, accuracy: f64) -> f64 {
        let loss = -accuracy.ln() / self.target_tokens;
        self.scale * loss.powf(-1.0 / self.exponent)
    }

    /// Decades of N between exact match `low` and `high` (closed form:
    /// (1/a)·log10(ln low / ln high)).
    pub fn crossing_decades(&self, low: f64, high: f64) -> f64 {
        (self.parameters_at_exact_match(high) / self.parameters_at_exact_match(low)).log10()
    }

    /// Where exact match vs ln N inflects: d²/du² exp(−L e^{−a(u−ln c)}) = 0 at ℓ = 1/L.
    pub fn exact_match_inflection(&self) -> f64 {
        self.scale * self.target_tokens.powf(1.0 / self.exponent)
    }

    /// Where edit distance (linear axis) vs ln N inflects: at ℓ = 1, i.e. N = c.
    pub fn edit_distance_inflection(&self) -> f64 {
        self.scale
    }

    /// Local log-log slope d ln(edit distance)/d ln N = −a·ℓ/(e^ℓ − 1): monotone in ℓ, so
    /// ln(edit distance) vs ln N has no inflection and tends to the power law −a.
    pub fn edit_distance_log_slope(&self, parameters: f64) -> f64 {
        let loss = self.token_loss(parameters);
        -self.exponent * loss / loss.exp_m1()
    }
}

/// Sign changes of the second differences of `values` on an evenly spaced axis: the number
/// of inflections a sampled curve shows (zero second differences are skipped).
pub fn inflections(values: &[f64]) -> usize {
    let mut last_sign = 0.0f64;
    let mut changes = 0;
    for window in values.windows(3) {
        let second = window[2] - 2.0 * window[1] + window[0];
        if second == 0.0 {
            continue;
        }
        let sign = second.signum();
        if last_sign != 0.0 && sign != last_sign {
            changes += 1;
        }
        last_sign = sign;
    }
    changes
}

/// Evenly spaced ln N from `low` to `high` (inclusive), `points` ≥ 2.
pub fn log_grid(low: f64, high: f64, points: usize) -> Vec<f64> {
    let (a, b) = (low.ln(), high.ln());
    (0..points)
        .map(|i| (a + (b - a) * i as f64 / (points - 1) as f64).exp())
        .collect()
}
