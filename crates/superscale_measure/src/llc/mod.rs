//! The local learning coefficient (LLC) of a trained point w*, estimated by localised
//! stochastic-gradient Langevin dynamics (Lau et al. 2023, "Quantifying degeneracy in
//! singular models via the learning coefficient", §4; `docs/science/llc.md`).
//!
//! A model is a [`Potential`]: its empirical loss L_n over n data rows and the gradient of
//! the mean loss over any subset of rows. [`estimate`] runs independent chains from w*,
//! each with its own seeded random stream, on the rayon pool (bit-identical for any
//! number of threads: a chain is sequential and the chains are combined in order), and
//! returns λ̂ with its per-chain traces and health checks ([`Estimate`]).
//!
//! The step of one chain (Welling & Teh 2011, localised as in Lau et al. 2023 §4.1):
//!
//!   w ← w − (ε/2)·G⊙[nβ·∇L_b(w) + γ·(w − w*)] + √ε·√G⊙ξ,  ξ ∼ N(0, I),
//!
//! with L_b the mean loss of a minibatch (the full data by default), G = 1 for plain SGLD
//! and the RMSProp preconditioner otherwise. The estimator is
//!
//!   λ̂ = nβ·(E_{chains, draws}[L_n(w)] − L_n(w*)),
//!
//! with L_n(w*) computed once on the full data and shared by every chain, and draws taken
//! **before** the step at every `thin`-th step after the burn-in.

pub mod calibrate;
mod chain;
mod health;
pub mod models;
pub mod tms;

pub use health::{split_r_hat, stationarity_z, R_HAT_LIMIT, STATIONARITY_LIMIT};
pub use superscale_fit::t_quantile_975;

use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// The rows a loss is averaged over.
#[derive(Debug, Clone, Copy)]
pub enum Rows<'a> {
    /// every data row
    All,
    /// these rows (a minibatch; indices may repeat only if the caller wants them to)
    Some(&'a [usize]),
}

/// A model's empirical loss as the sampler sees it.
pub trait Potential: Sync {
    /// The number of parameters.
    fn dimension(&self) -> usize;

    /// The number of data rows the loss averages over (the rows a minibatch is drawn from).
    fn rows(&self) -> usize;

    /// The mean loss over `rows` at `w`; its gradient is written into `gradient` (length
    /// [`Potential::dimension`], overwritten). `scratch` is the caller's buffer for
    /// intermediate values, grown by the model as it needs.
    fn loss_gradient(
        &self,
        w: &[f64],
        rows: Rows<'_>,
        gradient: &mut [f64],
        scratch: &mut Vec<f64>,
    ) -> f64;

    /// The mean loss over every row (no gradient).
    fn loss(&self, w: &[f64], scratch: &mut Vec<f64>) -> f64 {
        let mut gradient = vec![0.0; self.dimension()];
        self.loss_gradient(w, Rows::All, &mut gradient, scratch)
    }
}

/// The preconditioner of the Langevin step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Preconditioner {
    /// plain SGLD (G = 1)
    None,
    /// RMSProp-preconditioned SGLD (Li et al. 2016, "Preconditioned stochastic gradient
    /// Langevin dynamics"): v ← α·v + (1 − α)·g², G = 1/(√v + eps), g the loss gradient
    /// alone (neither nβ nor the localisation term); the drift is scaled by G and the noise
    /// by √G. devinterp's defaults are α = 0.99, eps = 0.1.
    RmsProp {
        /// decay of the squared-gradient average
        alpha: f64,
        /// added to √v, bounding G by 1/eps
        eps: f64,
    },
}

/// How λ̂ is estimated.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// the dataset size n of the posterior (the number of samples L_n averages over), never
    /// the batch size: nβ = n/ln n by default
    pub n: usize,
    /// nβ when given; otherwise n/ln n (β = 1/ln n, Watanabe's WBIC temperature)
    pub nbeta: Option<f64>,
    /// step size ε (> 0)
    pub step: f64,
    /// localisation strength γ (≥ 0)
    pub localization: f64,
    /// independent chains (≥ 1; a confidence interval needs 2)
    pub chains: usize,
    /// draws per chain (≥ 4: the stationarity check splits the last half in two)
    pub draws: usize,
    /// steps before the first draw
    pub burn_in: usize,
    /// steps between draws (≥ 1)
    pub thin: usize,
    /// rows per minibatch; `None` uses every row (full-batch gradients)
    pub batch: Option<usize>,
    /// the preconditioner
    pub preconditioner: Preconditioner,
    /// the seed every chain's stream derives from
    pub seed: u64,
}

/// A value of [`Options`] out of range; `field` names it as [`Options`] does.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{field}`: {message}")]
pub struct Invalid {
    /// the field, e.g. `step`
    pub field: &'static str,
    /// what is wrong
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        field,
        message: message.into(),
    }
}

impl Options {
    /// nβ as the sampler and the estimator both use it.
    pub fn nbeta(&self) -> f64 {
        self.nbeta
            .unwrap_or_else(|| self.n as f64 / (self.n as f64).ln())
    }

    /// Steps per chain: burn-in plus draws × thin.
    pub fn steps(&self) -> u64 {
        (self.burn_in + self.draws * self.thin) as u64
    }

    /// Checks every value; `rows` is the number of data rows of the model (for the batch).
    pub fn validate(&self, rows: usize) -> Result<(), Invalid> {
        if self.n < 2 {
            return Err(invalid(
                "n",
                format!("{}: the dataset size must be ≥ 2 (nβ = n/ln n)", self.n),
            ));
        }
        if let Some(nbeta) = self.nbeta {
            if !(nbeta.is_finite() && nbeta > 0.0) {
                return Err(invalid("nbeta", format!("{nbeta}: must be finite and > 0")));
            }
        }
        if !(self.step.is_finite() && self.step > 0.0) {
            return Err(invalid(
                "step",
                format!("{}: the step size ε must be finite and > 0", self.step),
            ));
        }
        if !(self.localization.is_finite() && self.localization >= 0.0) {
            return Err(invalid(
                "localization",
                format!("{}: γ must be finite and ≥ 0", self.localization),
            ));
        }
        if self.chains == 0 {
            return Err(invalid("chains", "at least one chain"));
        }
        if self.draws < 4 {
            return Err(invalid(
                "draws",
                format!("{}: at least 4 draws per chain", self.draws),
            ));
        }
        if self.thin == 0 {
            return Err(invalid("thin", "at least 1 step between draws"));
        }
        if let Some(batch) = self.batch {
            if batch == 0 || batch > rows {
                return Err(invalid(
                    "batch",
                    format!("{batch}: a minibatch holds 1 to {rows} rows"),
                ));
            }
        }
        if let Preconditioner::RmsProp { alpha, eps } = self.preconditioner {
            if !(0.0..1.0).contains(&alpha) {
                return Err(invalid(
                    "rmsprop_alpha",
                    format!("{alpha}: must be in [0, 1)"),
                ));
            }
            if !(eps.is_finite() && eps > 0.0) {
                return Err(invalid(
                    "rmsprop_eps",
                    format!("{eps}: must be finite and > 0"),
                ));
            }
        }
        Ok(())
    }
}

/// The health of one chain (`docs/science/llc.md` §3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainHealth {
    /// every loss and parameter stayed finite
    pub finite: bool,
    /// the chain's λ̂ is ≥ 0 (a negative one means w* is not a local minimum or ε is too
    /// large)
    pub nonnegative: bool,
    /// z of the difference between the means of the two quarters of the trace's last half
    /// (batch-means standard errors); NaN for a diverged chain
    pub stationarity_z: f64,
    /// |z| ≤ [`STATIONARITY_LIMIT`]
    pub stationary: bool,
}

impl ChainHealth {
    /// Finite, non-negative and stationary.
    pub fn healthy(&self) -> bool {
        self.finite && self.nonnegative && self.stationary
    }
}

/// One chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// nβ·(mean of the chain's draws − L_n(w*)); NaN when the chain diverged
    pub lambda: f64,
    /// L_n(w) at every draw (shorter when the chain diverged)
    pub trace: Vec<f64>,
    /// mean ‖drift‖₂ of the steps taken, the drift being (ε/2)·G⊙[nβ∇L_b + γ(w − w*)]
    pub drift_norm: f64,
    /// mean ‖noise‖₂ of the steps taken, √ε·√G⊙ξ
    pub noise_norm: f64,
    /// the step (1-based) after which a loss or parameter was no longer finite
    pub diverged_at: Option<u64>,
    /// its checks
    pub health: ChainHealth,
    /// the chain's last parameters
    pub last: Vec<f64>,
}

/// λ̂ with everything needed to judge it.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// nβ used by the sampler and the estimator
    pub nbeta: f64,
    /// L_n(w*) on the full data, shared by every chain
    pub loss_at_optimum: f64,
    /// mean of the λ̂ of the chains that did not diverge (NaN if all did)
    pub lambda: f64,
    /// sample standard deviation of those chains' λ̂ (NaN with fewer than two)
    pub chain_sd: f64,
    /// 95 % Student-t interval of the mean over those chains. The chains share w* and
    /// the data, so this is the Monte-Carlo error of the sampler at this (w*, ε, γ, nβ),
    /// not the error of λ̂ as an estimate of the learning coefficient: the bias of a finite
    /// step, of γ > 0 and of finite nβ, and the variation over data sets and w*, are not
    /// in it.
    pub interval: (f64, f64),
    /// split-R̂ (Gelman et al. 2013, BDA3 §11.4) of the chains' traces; NaN with fewer than
    /// two chains that did not diverge
    pub r_hat: f64,
    /// the chains, in order
    pub chains: Vec<Chain>,
}

impl Estimate {
    /// The first divergence step over the chains.
    pub fn diverged_at(&self) -> Option<u64> {
        self.chains.iter().filter_map(|c| c.diverged_at).min()
    }

    /// Chains that pass every check.
    pub fn healthy_chains(&self) -> usize {
        self.chains.iter().filter(|c| c.health.healthy()).count()
    }

    /// Every chain healthy and R̂ ≤ [`R_HAT_LIMIT`] (R̂ is not needed with one chain).
    pub fn healthy(&self) -> bool {
        self.healthy_chains() == self.chains.len()
            && (self.chains.len() < 2 || self.r_hat <= R_HAT_LIMIT)
    }
}

/// The seed of chain `chain` (SplitMix64 finaliser of the estimate's seed and the chain
/// number, so neighbouring seeds give unrelated streams).
pub fn chain_seed(seed: u64, chain: usize) -> u64 {
    let mut z = seed ^ (chain as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Estimates λ̂ at `optimum` (w*). `progress` is called now and then with the steps done
/// over all chains (at most [`Options::steps`] × chains). Chains run on the current rayon
/// pool; the result does not depend on its size.
pub fn estimate(
    potential: &dyn Potential,
    optimum: &[f64],
    options: &Options,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Estimate, Invalid> {
    options.validate(potential.rows())?;
    if optimum.len() != potential.dimension() {
        return Err(invalid(
            "optimum",
            format!(
                "{} values for a model of {} parameters",
                optimum.len(),
                potential.dimension()
            ),
        ));
    }
    let nbeta = options.nbeta();
    let loss_at_optimum = potential.loss(optimum, &mut Vec::new());
    let done = AtomicU64::new(0);
    let report = |steps: u64| progress(done.fetch_add(steps, Ordering::Relaxed) + steps);
    let mut chains: Vec<Chain> = (0..options.chains)
        .into_par_iter()
        .map(|index| {
            chain::run(
                potential,
                optimum,
                options,
                nbeta,
                chain_seed(options.seed, index),
                &report,
            )
        })
        .collect();
    for chain in &mut chains {
        chain.finish(nbeta, loss_at_optimum);
    }
    let lambdas: Vec<f64> = chains
        .iter()
        .filter(|c| c.diverged_at.is_none())
        .map(|c| c.lambda)
        .collect();
    let (lambda, chain_sd) = health::mean_sd(&lambdas);
    let interval = if lambdas.len() >= 2 {
        let half = t_quantile_975(lambdas.len() - 1) * chain_sd / (lambdas.len() as f64).sqrt();
        (lambda - half, lambda + half)
    } else {
        (f64::NAN, f64::NAN)
    };
    let traces: Vec<&[f64]> = chains
        .iter()
        .filter(|c| c.diverged_at.is_none())
        .map(|c| c.trace.as_slice())
        .collect();
    Ok(Estimate {
        nbeta,
        loss_at_optimum,
        lambda,
        chain_sd,
        interval,
        r_hat: split_r_hat(&traces),
        chains,
    })
}

impl Chain {
    /// λ̂ and the health checks, once L_n(w*) is known.
    fn finish(&mut self, nbeta: f64, loss_at_optimum: f64) {
        let finite = self.diverged_at.is_none();
        self.lambda = if finite {
            nbeta * (health::mean_sd(&self.trace).0 - loss_at_optimum)
        } else {
            f64::NAN
        };
        let stationarity_z = if finite {
            stationarity_z(&self.trace)
        } else {
            f64::NAN
        };
        self.health = ChainHealth {
            finite,
            nonnegative: finite && self.lambda >= 0.0,
            stationarity_z,
            stationary: stationarity_z.abs() <= STATIONARITY_LIMIT,
        };
    }
}
/// Checks a potential's gradient against central differences of its loss, in f64, at `w`
/// over `rows` (the tests of every potential use it).
#[cfg(test)]
pub(crate) fn check_gradient(potential: &dyn Potential, w: &[f64], rows: Rows<'_>) {
    let mut gradient = vec![0.0; w.len()];
    let mut scratch = Vec::new();
    potential.loss_gradient(w, rows, &mut gradient, &mut scratch);
    let mut sink = vec![0.0; w.len()];
    let h = 1e-6;
    for i in 0..w.len() {
        let mut plus = w.to_vec();
        plus[i] += h;
        let mut minus = w.to_vec();
        minus[i] -= h;
        let up = potential.loss_gradient(&plus, rows, &mut sink, &mut scratch);
        let down = potential.loss_gradient(&minus, rows, &mut sink, &mut scratch);
        let numeric = (up - down) / (2.0 * h);
        let error = (numeric - gradient[i]).abs();
        assert!(
            error <= 1e-6 * (1.0 + gradient[i].abs()),
            "parameter {i}: analytic {} vs numeric {numeric}",
            gradient[i]
        );
    }
}
