//! The log-space objective shared by the power law with offset and the Chinchilla form.
//!
//! A sum of power-law terms plus a constant, L = E + Σⱼ Aⱼ·xⱼ^(−αⱼ), is predicted in log space
//! as ln L̂ = LSE(a₁ − α₁ ln x₁, …, a_k − α_k ln x_k, e) with aⱼ = ln Aⱼ and e = ln E, which keeps
//! every coefficient positive and never overflows (Besiroglu et al. 2024, §2 and notebook
//! cell 16; Hoffmann et al. 2022, eq. 10). The objective is the Huber loss *summed* over points,
//! Σᵢ Huber_δ(ln L̂ᵢ − ln Lᵢ), with Huber_δ(r) = ½r² for |r| ≤ δ and δ(|r| − δ/2) otherwise.
//! Besiroglu et al. trace Hoffmann's implausible fit to a *mean* loss that stopped L-BFGS
//! early, hence the sum. δ = ∞ gives ordinary least squares in log space (½ Σ r²).
//!
//! Parameter layout: [a₁, …, a_k, e, α₁, …, α_k]; for Chinchilla this is Epoch's (a, b, e, α, β).

/// Huber loss of a residual (Huber 1964).
pub fn huber(residual: f64, delta: f64) -> f64 {
    let size = residual.abs();
    if size <= delta {
        0.5 * residual * residual
    } else {
        delta * (size - 0.5 * delta)
    }
}

/// Log-space Huber objective over points with k inputs each.
#[derive(Debug, Clone)]
pub(crate) struct LogSumExpObjective {
    /// ln of each input, stored input-major: `log_inputs[j][i]` is ln xⱼ at point i
    log_inputs: Vec<Vec<f64>>,
    log_targets: Vec<f64>,
    delta: f64,
}

impl LogSumExpObjective {
    /// Build from already-validated logarithms.
    pub(crate) fn new(log_inputs: Vec<Vec<f64>>, log_targets: Vec<f64>, delta: f64) -> Self {
        Self {
            log_inputs,
            log_targets,
            delta,
        }
    }

    fn terms(&self) -> usize {
        self.log_inputs.len()
    }

    /// ln L̂ at point i.
    #[cfg(test)]
    fn predict_log(&self, parameters: &[f64], point: usize) -> f64 {
        let k = self.terms();
        let mut maximum = parameters[k];
        for j in 0..k {
            maximum =
                maximum.max(parameters[j] - parameters[k + 1 + j] * self.log_inputs[j][point]);
        }
        let mut total = (parameters[k] - maximum).exp();
        for j in 0..k {
            total +=
                (parameters[j] - parameters[k + 1 + j] * self.log_inputs[j][point] - maximum).exp();
        }
        maximum + total.ln()
    }

    /// The objective's value.
    #[cfg(test)]
    fn value(&self, parameters: &[f64]) -> f64 {
        (0..self.log_targets.len())
            .map(|i| {
                huber(
                    self.predict_log(parameters, i) - self.log_targets[i],
                    self.delta,
                )
            })
            .sum()
    }

    /// The objective's value; writes its analytic gradient into `gradient`.
    ///
    /// With softmax weights wⱼ = exp(tⱼ − LSE) of the terms tⱼ = aⱼ − αⱼ ln xⱼ (and w_e for e),
    /// ∂ln L̂/∂aⱼ = wⱼ, ∂ln L̂/∂e = w_e, ∂ln L̂/∂αⱼ = −wⱼ ln xⱼ, and Huber′(r) = clamp(r, −δ, δ).
    pub(crate) fn value_and_gradient(&self, parameters: &[f64], gradient: &mut [f64]) -> f64 {
        let k = self.terms();
        gradient.iter_mut().for_each(|g| *g = 0.0);
        let mut terms = vec![0.0; k + 1];
        let mut total_loss = 0.0;
        for (i, &log_target) in self.log_targets.iter().enumerate() {
            terms[k] = parameters[k];
            for j in 0..k {
                terms[j] = parameters[j] - parameters[k + 1 + j] * self.log_inputs[j][i];
            }
            let maximum = terms.iter().fold(f64::NEG_INFINITY, |m, &t| m.max(t));
            let mut total = 0.0;
            for t in terms.iter_mut() {
                *t = (*t - maximum).exp();
                total += *t;
            }
            let residual = maximum + total.ln() - log_target;
            total_loss += huber(residual, self.delta);
            let slope = residual.clamp(-self.delta, self.delta) / total;
            gradient[k] += slope * terms[k];
            for j in 0..k {
                gradient[j] += slope * terms[j];
                gradient[k + 1 + j] -= slope * terms[j] * self.log_inputs[j][i];
            }
        }
        total_loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synthetic() -> LogSumExpObjective {
        let n: Vec<f64> = (0..30).map(|i| (1e7 * 1.4f64.powi(i)).ln()).collect();
        let d: Vec<f64> = (0..30)
            .map(|i| (3e9 * 1.3f64.powi((i * 7) % 30)).ln())
            .collect();
        let loss: Vec<f64> = (0..30)
            .map(|i| {
                let truth = 1.8 + 480.0 * (-0.35 * n[i]).exp() + 2000.0 * (-0.37 * d[i]).exp();
                (truth * (1.0 + 0.02 * ((i as f64) * 1.7).sin())).ln()
            })
            .collect();
        LogSumExpObjective::new(vec![n, d], loss, 1e-3)
    }

    /// Analytic gradient vs central finite differences, at points on both sides of δ.
    #[test]
    fn gradient_matches_central_finite_differences() {
        let objective = synthetic();
        for parameters in [
            [6.18, 7.67, 0.597, 0.348, 0.367],
            [6.0073404, 6.0179186, 0.5267228, 0.33917084, 0.2849083],
            [10.0, 5.0, -0.5, 0.5, 1.0],
        ] {
            let mut gradient = [0.0; 5];
            objective.value_and_gradient(&parameters, &mut gradient);
            for p in 0..5 {
                let step = 1e-6;
                let mut plus = parameters;
                let mut minus = parameters;
                plus[p] += step;
                minus[p] -= step;
                let numeric = (objective.value(&plus) - objective.value(&minus)) / (2.0 * step);
                let scale = gradient[p].abs().max(1e-6);
                assert!(
                    (numeric - gradient[p]).abs() <= 1e-5 * scale,
                    "parameter {p} at {parameters:?}: analytic {} numeric {numeric}",
                    gradient[p]
                );
            }
        }
    }

    #[test]
    fn value_with_gradient_equals_value() {
        let objective = synthetic();
        let parameters = [6.0, 7.0, 0.5, 0.3, 0.4];
        let mut gradient = [0.0; 5];
        let a = objective.value_and_gradient(&parameters, &mut gradient);
        assert!((a - objective.value(&parameters)).abs() <= 1e-15 * a.abs());
    }

    #[test]
    fn huber_is_continuous_and_quadratic_inside() {
        let delta = 1e-3;
        assert_eq!(huber(5e-4, delta), 0.5 * 5e-4 * 5e-4);
        assert!((huber(delta + 1e-15, delta) - huber(delta, delta)).abs() < 1e-17);
        assert_eq!(huber(-0.1, delta), delta * (0.1 - 0.5 * delta));
        assert_eq!(huber(3.0, f64::INFINITY), 4.5);
    }
}
