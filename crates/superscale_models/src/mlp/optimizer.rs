//! AdamW over the whole contiguous parameter buffer, through `superscale_kernels`.

use crate::mlp::error::{check_length, Result};
use superscale_kernels::{decay_uniform, AdamHyper, AdamState};

/// `torch.optim.AdamW` on one parameter buffer: decay p ← p(1 − ηλ) first, then the Adam
/// update with bias correction (the order of `superscale_kernels::adam_update`'s doc and of
/// torch). The decay applies to every parameter, biases included, as torch does for a
/// model's default parameter group (the quanta code uses λ = 0: `docs/science/quanta.md` §1).
#[derive(Debug, Clone, PartialEq)]
pub struct AdamW {
    /// learning rate η (may be changed between steps for a schedule)
    pub learning_rate: f32,
    /// decoupled weight decay λ
    pub weight_decay: f32,
    /// β₁, β₂, ε
    pub hyper: AdamHyper,
    state: AdamState,
}

impl AdamW {
    /// Zero moments for `n_params` parameters; torch's default β = (0.9, 0.999), ε = 1e-8.
    pub fn new(n_params: usize, learning_rate: f32, weight_decay: f32) -> Self {
        Self {
            learning_rate,
            weight_decay,
            hyper: AdamHyper::default(),
            state: AdamState::new(n_params),
        }
    }

    /// Number of steps taken.
    pub fn steps(&self) -> u64 {
        self.state.step
    }

    /// The moments and step count (to checkpoint or inspect).
    pub fn state(&self) -> &AdamState {
        &self.state
    }

    /// One step of `params` along `gradient`.
    pub fn step(&mut self, params: &mut [f32], gradient: &[f32]) -> Result<()> {
        check_length("AdamW parameters", self.state.first.len(), params.len())?;
        check_length("AdamW gradient", self.state.first.len(), gradient.len())?;
        if self.weight_decay != 0.0 {
            decay_uniform(params, self.learning_rate, self.weight_decay);
        }
        // Subnormal moments (rare tasks' rows, dead units, rows predicted with certainty)
        // would slow the update many times over; flushing them changes no parameter's bits
        // in practice (`AdamState::update_flushing_subnormals`).
        self.state
            .update_flushing_subnormals(params, gradient, self.learning_rate, self.hyper);
        Ok(())
    }
}
