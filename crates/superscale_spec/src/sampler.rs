//! The settings of the learning-coefficient sampler (localised SGLD, `docs/science/llc.md`
//! §2), shared by the LLC kind's `[sampler]` table and the toy kind's `[llc]` table, which
//! estimates λ̂ at checkpoints of a toy-model run (`docs/science/llc.md` §8).

use crate::error::{violation, Violation};
use serde::{Deserialize, Serialize};

/// The preconditioner of the Langevin step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreconditionerName {
    /// plain SGLD
    Sgld,
    /// RMSProp-preconditioned SGLD (α = 0.99, eps = 0.1)
    Rmsprop,
}

/// The sampler's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplerSpec {
    /// step size ε (required: it depends on the model's curvature times nβ)
    pub step: f64,
    /// localisation γ
    #[serde(default = "one")]
    pub localization: f64,
    /// nβ; n/ln n when absent
    #[serde(default)]
    pub nbeta: Option<f64>,
    /// independent chains
    #[serde(default = "default_chains")]
    pub chains: usize,
    /// draws per chain
    #[serde(default = "default_draws")]
    pub draws: usize,
    /// steps before the first draw
    #[serde(default = "default_burn_in")]
    pub burn_in: usize,
    /// steps between draws
    #[serde(default = "default_thin")]
    pub thin: usize,
    /// rows per minibatch; every row when absent
    #[serde(default)]
    pub batch: Option<usize>,
    /// `sgld` or `rmsprop`
    #[serde(default = "default_preconditioner")]
    pub preconditioner: PreconditionerName,
}

fn one() -> f64 {
    1.0
}
fn default_chains() -> usize {
    8
}
fn default_draws() -> usize {
    2000
}
fn default_burn_in() -> usize {
    1000
}
fn default_thin() -> usize {
    1
}
fn default_preconditioner() -> PreconditionerName {
    PreconditionerName::Sgld
}

/// The most chains, and the most sampler steps over all chains, one estimate may take.
pub const MAX_CHAINS: usize = 10_000;
/// See [`MAX_CHAINS`].
pub const MAX_SAMPLER_STEPS: u128 = 100_000_000_000;

impl SamplerSpec {
    /// Sampler steps over all chains: chains × (burn-in + draws × thin).
    pub fn steps_total(&self) -> u128 {
        self.chains as u128 * (self.burn_in as u128 + self.draws as u128 * self.thin as u128)
    }

    /// Checks every value for a dataset of `n` rows. The error's field is the setting's
    /// name (`step`, `chains`, …, or `n` for the dataset size); the caller prefixes its
    /// table.
    pub fn validate(&self, n: usize) -> Result<(), Violation> {
        if n < 2 {
            return Err(violation(
                "n",
                format!("{n}: the dataset size must be ≥ 2 (nβ = n/ln n)"),
            ));
        }
        if let Some(nbeta) = self.nbeta {
            if !(nbeta.is_finite() && nbeta > 0.0) {
                return Err(violation(
                    "nbeta",
                    format!("{nbeta}: must be finite and > 0"),
                ));
            }
        }
        if !(self.step.is_finite() && self.step > 0.0) {
            return Err(violation(
                "step",
                format!("{}: the step size ε must be finite and > 0", self.step),
            ));
        }
        if !(self.localization.is_finite() && self.localization >= 0.0) {
            return Err(violation(
                "localization",
                format!("{}: γ must be finite and ≥ 0", self.localization),
            ));
        }
        if self.chains == 0 || self.chains > MAX_CHAINS {
            return Err(violation(
                "chains",
                format!("{}: 1 to {MAX_CHAINS} chains", self.chains),
            ));
        }
        if self.draws < 4 {
            return Err(violation(
                "draws",
                format!("{}: at least 4 draws per chain", self.draws),
            ));
        }
        if self.thin == 0 {
            return Err(violation("thin", "0: at least 1 step between draws"));
        }
        if self.steps_total() > MAX_SAMPLER_STEPS {
            return Err(violation(
                "draws",
                "at most 10¹¹ sampler steps over all chains",
            ));
        }
        if let Some(batch) = self.batch {
            if batch == 0 || batch > n {
                return Err(violation(
                    "batch",
                    format!("{batch}: a minibatch holds 1 to {n} rows"),
                ));
            }
        }
        Ok(())
    }
}

/// The toy kind's `[llc]` table: λ̂ of the trained model (and of earlier checkpoints) on a
/// dataset of `n` fresh rows (`docs/science/llc.md` §8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointLlcSpec {
    /// the dataset size n: rows drawn once from the run's feature distribution (not the
    /// training batches), and the n of nβ = n/ln n. Required: the batch size is never
    /// taken for it.
    pub n: usize,
    /// log-spaced checkpoints of training at which λ̂ is estimated, the last being the
    /// trained model (1: the trained model only)
    #[serde(default = "one_checkpoint")]
    pub checkpoints: usize,
    /// the sampler
    pub sampler: SamplerSpec,
}

fn one_checkpoint() -> usize {
    1
}

/// The most rows of an `[llc]` dataset.
pub const MAX_LLC_ROWS: usize = 1_000_000;

impl CheckpointLlcSpec {
    /// Checks every value for a run of `steps` training steps; errors name `llc.…`.
    pub fn validate(&self, steps: u64) -> Result<(), Violation> {
        if self.n > MAX_LLC_ROWS {
            return Err(violation(
                "llc.n",
                format!("{}: at most {MAX_LLC_ROWS} rows", self.n),
            ));
        }
        if self.checkpoints == 0 || self.checkpoints as u64 > steps + 1 {
            return Err(violation(
                "llc.checkpoints",
                format!(
                    "{}: 1 to train.steps + 1 = {} checkpoints",
                    self.checkpoints,
                    steps + 1
                ),
            ));
        }
        self.sampler.validate(self.n).map_err(|v| {
            let field = if v.field == "n" {
                "llc.n".to_string()
            } else {
                format!("llc.sampler.{}", v.field)
            };
            violation(&field, v.message)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampler() -> SamplerSpec {
        toml::from_str("step = 1e-4").unwrap()
    }

    #[test]
    fn defaults_fill_an_only_step_table() {
        let s = sampler();
        assert_eq!((s.chains, s.draws, s.burn_in, s.thin), (8, 2000, 1000, 1));
        assert_eq!(s.localization, 1.0);
        assert!(s.validate(100).is_ok());
    }

    /// A field and how to spoil it.
    type Spoiler = (&'static str, fn(&mut SamplerSpec));

    #[test]
    fn each_bad_value_names_its_field() {
        let cases: [Spoiler; 6] = [
            ("step", |s| s.step = 0.0),
            ("localization", |s| s.localization = -1.0),
            ("chains", |s| s.chains = 0),
            ("draws", |s| s.draws = 3),
            ("thin", |s| s.thin = 0),
            ("batch", |s| s.batch = Some(101)),
        ];
        for (field, spoil) in cases {
            let mut s = sampler();
            spoil(&mut s);
            assert_eq!(s.validate(100).unwrap_err().field, field);
        }
        assert_eq!(sampler().validate(1).unwrap_err().field, "n");
    }

    #[test]
    fn checkpoint_table_prefixes_its_fields() {
        let spec: CheckpointLlcSpec =
            toml::from_str("n = 1\ncheckpoints = 3\n[sampler]\nstep = 1e-4").unwrap();
        assert_eq!(spec.validate(10).unwrap_err().field, "llc.n");
        let spec = CheckpointLlcSpec { n: 100, ..spec };
        assert!(spec.validate(10).is_ok());
        assert_eq!(spec.validate(1).unwrap_err().field, "llc.checkpoints");
        let mut bad = spec.clone();
        bad.sampler.step = f64::NAN;
        assert_eq!(bad.validate(10).unwrap_err().field, "llc.sampler.step");
    }
}
