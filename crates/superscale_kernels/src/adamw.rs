//! AdamW with the signed row-norm decay of Liu, Liu & Gore 2025 (Eq. 2; their
//! `exp/adamw.py`), and the plain decoupled decay of `torch.optim.AdamW`.
//!
//! Order per step, as in the authors' optimiser (`docs/science/superposition.md` §1.4): the
//! gradient was taken at W_t; the decay is applied first with the scheduled lr η_t; then
//! the Adam update with bias correction uses that gradient.

use crate::SubnormalsFlushed;

/// Adam hyper-parameters (PyTorch defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamHyper {
    /// β₁, decay of the first moment
    pub beta1: f32,
    /// β₂, decay of the second moment
    pub beta2: f32,
    /// ε added to the denominator
    pub eps: f32,
}

impl Default for AdamHyper {
    fn default() -> Self {
        Self {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// The moments of one parameter tensor and the step count.
#[derive(Debug, Clone, PartialEq)]
pub struct AdamState {
    /// first moment m
    pub first: Vec<f32>,
    /// second moment v
    pub second: Vec<f32>,
    /// number of updates taken so far
    pub step: u64,
}

impl AdamState {
    /// Zero moments for a tensor of `len` values.
    pub fn new(len: usize) -> Self {
        Self {
            first: vec![0.0; len],
            second: vec![0.0; len],
            step: 0,
        }
    }

    /// [`AdamState::update`] with subnormal floats read and written as zero
    /// ([`SubnormalsFlushed`]). A subnormal moment or gradient (|x| < 1.2·10⁻³⁸, from a
    /// gradient that is tiny for many steps, or a moment decaying towards zero) costs a
    /// microcode assist per operation, and once many parameters sit there the update runs
    /// many times slower: 62 % of a quanta step at width 300 after 3000 steps
    /// (BENCHMARKS.md, issue 19, fifth round). The update differs from the exact one only
    /// where m or v is subnormal, by at most η·10⁻³⁸/ε ≈ 10⁻³³ per parameter. Elsewhere
    /// (other architectures) this is `update`.
    pub fn update_flushing_subnormals(
        &mut self,
        params: &mut [f32],
        grads: &[f32],
        lr: f32,
        hyper: AdamHyper,
    ) {
        let _flushed = SubnormalsFlushed::new();
        self.update(params, grads, lr, hyper);
    }

    /// One Adam update of `params` with `grads` at learning rate `lr`.
    pub fn update(&mut self, params: &mut [f32], grads: &[f32], lr: f32, hyper: AdamHyper) {
        self.step += 1;
        adam_update(
            params,
            grads,
            &mut self.first,
            &mut self.second,
            self.step,
            lr,
            hyper,
        );
    }
}

/// The Adam update exactly as `torch.optim.AdamW` / the authors' `adamw.py` compute it:
/// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − (η/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε).
pub fn adam_update(
    params: &mut [f32],
    grads: &[f32],
    first: &mut [f32],
    second: &mut [f32],
    step: u64,
    lr: f32,
    hyper: AdamHyper,
) {
    assert!(
        params.len() == grads.len() && params.len() == first.len() && params.len() == second.len(),
        "adam_update: parameter, gradient and moment lengths differ"
    );
    let t = step.max(1) as i32;
    let correction1 = 1.0 - f64::from(hyper.beta1).powi(t);
    let correction2_sqrt = (1.0 - f64::from(hyper.beta2).powi(t)).sqrt();
    let step_size = (f64::from(lr) / correction1) as f32;
    let inverse_correction2 = (1.0 / correction2_sqrt) as f32;
    let (beta1, beta2, eps) = (hyper.beta1, hyper.beta2, hyper.eps);
    for (((p, &g), m), v) in params
        .iter_mut()
        .zip(grads)
        .zip(first.iter_mut())
        .zip(second.iter_mut())
    {
        *m = beta1 * *m + (1.0 - beta1) * g;
        *v = beta2 * *v + (1.0 - beta2) * g * g;
        let denom = v.sqrt() * inverse_correction2 + eps;
        *p -= step_size * *m / denom;
    }
}

/// Decoupled decay p ← p·(1 − η·λ) (torch AdamW, and the authors' γ ≥ 0 branch).
pub fn decay_uniform(params: &mut [f32], lr: f32, decay: f32) {
    let factor = 1.0 - lr * decay;
    params.iter_mut().for_each(|p| *p *= factor);
}

/// The signed weight decay γ of Liu, Liu & Gore 2025 on a row-major n × width matrix.
///
/// γ ≥ 0: W ← (1 − ηγ)W. γ < 0: W_i ← W_i + ηγ W_i (1 − 1/(‖W_i‖₂ + 1e-8)) for every row,
/// a gradient step on (|γ|/2)(‖W_i‖ − 1)² that pulls each row norm toward 1 (Eq. 2; the
/// 1e-8 is the Adam ε the authors add to the norm). Not anti-decay: see
/// `docs/science/superposition.md` §5 pitfall 3.
pub fn decay_rows_signed(weights: &mut [f32], width: usize, gamma: f32, lr: f32) {
    if gamma >= 0.0 {
        decay_uniform(weights, lr, gamma);
        return;
    }
    for row in weights.chunks_exact_mut(width.max(1)) {
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt() + 1e-8;
        let factor = 1.0 + lr * gamma * (1.0 - 1.0 / norm);
        row.iter_mut().for_each(|v| *v *= factor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_examples_of_the_spec() {
        // docs/science/superposition.md §1.4, η = 0.01: γ = −1 sends (2,0) → (1.99,0) and
        // (0.5,0) → (0.505,0); γ = +1 sends (2,0) → (1.98,0).
        let mut rows = vec![2.0, 0.0, 0.5, 0.0];
        decay_rows_signed(&mut rows, 2, -1.0, 0.01);
        assert!((rows[0] - 1.99).abs() < 1e-6 && rows[1] == 0.0);
        assert!((rows[2] - 0.505).abs() < 1e-6 && rows[3] == 0.0);
        let mut row = vec![2.0, 0.0];
        decay_rows_signed(&mut row, 2, 1.0, 0.01);
        assert!((row[0] - 1.98).abs() < 1e-6);
    }

    #[test]
    fn negative_decay_pulls_norms_toward_one_and_never_grows_without_bound() {
        let mut rows = vec![3.0, 4.0, 0.03, 0.04];
        for _ in 0..2000 {
            decay_rows_signed(&mut rows, 2, -1.0, 0.01);
        }
        let norm = |r: &[f32]| r.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm(&rows[..2]) - 1.0).abs() < 1e-3);
        assert!((norm(&rows[2..]) - 1.0).abs() < 1e-3);
    }

    #[test]
    fn first_adam_step_moves_each_parameter_by_the_learning_rate() {
        // At t = 1, m̂ = g and v̂ = g², so the step is η·g/(|g| + ε) ≈ η·sign(g).
        let mut params = vec![1.0, -2.0, 0.5];
        let grads = vec![0.3, -4.0, 0.0];
        let mut state = AdamState::new(3);
        state.update(&mut params, &grads, 0.01, AdamHyper::default());
        assert!((params[0] - 0.99).abs() < 1e-6);
        assert!((params[1] + 1.99).abs() < 1e-6);
        assert_eq!(params[2], 0.5);
    }
}
