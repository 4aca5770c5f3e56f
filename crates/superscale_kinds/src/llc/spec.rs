//! The experiment file of an LLC study (`kind = "llc"`, `experiments/llc_*.toml`): the point
//! tables `[model]` (a model with a closed-form learning coefficient), `[data]` (the
//! dataset, whose size n is required) and `[sampler]` (the SGLD settings). A sweep may list
//! whole `model` tables, each optionally overriding sampler settings that its geometry
//! needs (`docs/science/llc.md` §5).

use serde::{Deserialize, Serialize};
use superscale_measure::llc::{self, Preconditioner};
use superscale_spec::{replicated, violation, KindSpec, PlannedRun, Violation};
pub use superscale_spec::{PreconditionerName, SamplerSpec};

/// The models with a closed-form learning coefficient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// linear regression; shape [live, dead]: `live` inputs that vary and `dead` inputs
    /// that are always 0 (parameters with no effect); λ = live/2
    Linear,
    /// f(x) = w₁ᵃw₂ᵇx; shape [a, b]; λ = 1/(2·max(a, b))
    NormalCrossing,
    /// x ↦ BAx at true rank 0; shape [inputs, hidden, outputs]; Aoyagi & Watanabe 2005
    ReducedRank,
    /// x ↦ W_L⋯W₁x at true rank `rank` (0 by default); shape [inputs, hidden widths…,
    /// outputs] with 2 to 7 layers; Aoyagi 2024
    DeepLinear,
    /// the toy model of superposition of Chen et al. 2023 (c = 6, m = 2) at its k-gon
    /// critical point with `positive` positive-bias zero columns, on the population loss
    /// (`[data] n` is the n of nβ only); shape [k, positive]
    TmsKgon,
    /// the same model trained from a random start on n samples (full-batch Adam), λ̂ at
    /// the point it lands on, on its training set; shape [n, steps, seeds]: n replaces
    /// `[data] n`, and the point stands for `seeds` runs (times `replicates`)
    TmsTrained,
}

/// One model: its family and shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCase {
    /// the family
    pub family: Family,
    /// the shape, read by the family
    pub shape: Vec<u32>,
    /// the rank of the truth's end-to-end map (`deep_linear` only). Left out of the
    /// canonical JSON when 0, so rank-0 runs keep their ids.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rank: u32,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

/// The `[model]` table: a model and the sampler settings it overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// the family
    pub family: Family,
    /// the shape, read by the family
    pub shape: Vec<u32>,
    /// the rank of the truth's end-to-end map (`deep_linear` only; 0 by default)
    #[serde(default)]
    pub rank: u32,
    /// sampler settings of this model that replace `[sampler]`'s
    #[serde(default)]
    pub sampler: SamplerOverrides,
}

/// The `[data]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// the dataset size n: rows of data, and the n of nβ = n/ln n. Required: the batch
    /// size is never taken for it.
    pub n: usize,
    /// standard deviation of the inputs
    #[serde(default = "one")]
    pub input_sd: f64,
    /// standard deviation of the target noise
    #[serde(default = "one")]
    pub noise_sd: f64,
}

fn one() -> f64 {
    1.0
}

/// Sampler settings a model overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplerOverrides {
    /// ε
    pub step: Option<f64>,
    /// γ
    pub localization: Option<f64>,
    /// chains
    pub chains: Option<usize>,
    /// draws per chain
    pub draws: Option<usize>,
    /// burn-in steps
    pub burn_in: Option<usize>,
    /// steps between draws
    pub thin: Option<usize>,
}

impl SamplerOverrides {
    /// `sampler` with these overrides applied.
    fn applied_to(&self, sampler: &SamplerSpec) -> SamplerSpec {
        SamplerSpec {
            step: self.step.unwrap_or(sampler.step),
            localization: self.localization.unwrap_or(sampler.localization),
            chains: self.chains.unwrap_or(sampler.chains),
            draws: self.draws.unwrap_or(sampler.draws),
            burn_in: self.burn_in.unwrap_or(sampler.burn_in),
            thin: self.thin.unwrap_or(sampler.thin),
            ..sampler.clone()
        }
    }
}

/// The estimator's options from a sampler table (shared with the toy kind's `[llc]`).
pub trait SamplerOptions {
    /// The estimator's options for dataset size `n` and seed `seed`.
    fn options(&self, n: usize, seed: u64) -> llc::Options;
}

impl SamplerOptions for SamplerSpec {
    fn options(&self, n: usize, seed: u64) -> llc::Options {
        llc::Options {
            n,
            nbeta: self.nbeta,
            step: self.step,
            localization: self.localization,
            chains: self.chains,
            draws: self.draws,
            burn_in: self.burn_in,
            thin: self.thin,
            batch: self.batch,
            preconditioner: match self.preconditioner {
                PreconditionerName::Sgld => Preconditioner::None,
                PreconditionerName::Rmsprop => Preconditioner::RmsProp {
                    alpha: 0.99,
                    eps: 0.1,
                },
            },
            seed,
        }
    }
}

/// The point tables of an LLC experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlcSpec {
    /// the model
    pub model: ModelSpec,
    /// the data
    pub data: DataSpec,
    /// the sampler
    pub sampler: SamplerSpec,
}

/// One estimate: a model, its data and the sampler settings with the model's overrides
/// applied. Its canonical JSON is hashed into the run id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlcRun {
    /// the model
    pub model: ModelCase,
    /// the data
    pub data: DataSpec,
    /// the sampler, overrides applied
    pub sampler: SamplerSpec,
}

impl LlcRun {
    /// Parameters of the model.
    pub fn parameters(&self) -> usize {
        let s: Vec<usize> = self.model.shape.iter().map(|&v| v as usize).collect();
        match self.model.family {
            Family::Linear => s[0] + s[1],
            Family::NormalCrossing => 2,
            Family::ReducedRank => s[1] * (s[0] + s[2]),
            Family::DeepLinear => s.windows(2).map(|pair| pair[0] * pair[1]).sum(),
            Family::TmsKgon | Family::TmsTrained => super::tms::PARAMETERS,
        }
    }

    /// Rows of data the model is built on (1 for none).
    fn rows(&self) -> usize {
        self.data.n
    }
}

fn check_shape(case: &ModelCase) -> Result<(), Violation> {
    let shape = &case.shape;
    let (length, what) = match case.family {
        Family::Linear => (2, "[live inputs, dead inputs]"),
        Family::NormalCrossing => (2, "[a, b], the powers of w₁ and w₂"),
        Family::ReducedRank => (3, "[inputs, hidden, outputs]"),
        Family::DeepLinear => (
            shape.len().clamp(3, 8),
            "[inputs, hidden widths…, outputs], 2 to 7 layers",
        ),
        Family::TmsKgon => (
            2,
            "[k, positive]: k columns on the polygon, positive-bias zero columns",
        ),
        Family::TmsTrained => (3, "[n, steps, seeds]: training samples, Adam steps, seeds"),
    };
    if shape.len() != length {
        return Err(violation(
            "model.shape",
            format!("{shape:?}: a {:?} model's shape is {what}", case.family),
        ));
    }
    let bad = match case.family {
        Family::Linear => shape[0] == 0 || shape[0] + shape[1] > 1000,
        Family::NormalCrossing => shape[0].max(shape[1]) == 0 || shape[0].max(shape[1]) > 8,
        Family::ReducedRank | Family::DeepLinear => shape.iter().any(|&v| v == 0 || v > 100),
        Family::TmsKgon => shape[0] < 2 || shape[0] + shape[1] > 6,
        Family::TmsTrained => {
            !(10..=1_000_000).contains(&shape[0])
                || !(1..=1_000_000).contains(&shape[1])
                || !(1..=1000).contains(&shape[2])
        }
    };
    if case.rank > 0 {
        if case.family != Family::DeepLinear {
            return Err(violation(
                "model.rank",
                format!(
                    "{}: only a deep_linear model has a true rank; a {:?} model's truth is fixed",
                    case.rank, case.family
                ),
            ));
        }
        if !bad {
            let narrowest = shape.iter().copied().min().unwrap_or(0);
            if case.rank > narrowest {
                return Err(violation(
                    "model.rank",
                    format!(
                        "{}: the truth's rank is at most the narrowest width, {narrowest} of {shape:?}",
                        case.rank
                    ),
                ));
            }
        }
    }
    if bad {
        return Err(violation(
            "model.shape",
            format!(
                "{shape:?} is out of range: {what}; a linear model needs a live input, a \
                 normal crossing powers ≤ 8 not both 0, a reduced-rank or deep linear model widths 1 to 100, \
                 a TMS k-gon 2 ≤ k ≤ k + positive ≤ 6, a trained TMS 10 ≤ n ≤ 10⁶ samples, \
                 1 to 10⁶ steps and 1 to 1000 seeds"
            ),
        ));
    }
    Ok(())
}

impl KindSpec for LlcSpec {
    const KIND: &'static str = "llc";
    const POINT_TABLES: &'static [&'static str] = &["model", "data", "sampler"];
    type Run = LlcRun;

    fn validate(&self) -> Result<(), Violation> {
        let run = self.run();
        check_shape(&run.model)?;
        for (value, field) in [
            (self.data.input_sd, "data.input_sd"),
            (self.data.noise_sd, "data.noise_sd"),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(violation(field, format!("{value}: must be finite and > 0")));
            }
        }
        if self.data.n > 10_000_000 {
            return Err(violation(
                "data.n",
                format!("{}: at most 10⁷ rows", self.data.n),
            ));
        }
        let overridden = |name: &str| {
            let o = &self.model.sampler;
            let set = match name {
                "step" => o.step.is_some(),
                "localization" => o.localization.is_some(),
                "chains" => o.chains.is_some(),
                "draws" => o.draws.is_some(),
                "burn_in" => o.burn_in.is_some(),
                "thin" => o.thin.is_some(),
                _ => false,
            };
            if set {
                "model.sampler"
            } else {
                "sampler"
            }
        };
        if run.sampler.chains > 10_000 || run.sampler.steps_total() > 100_000_000_000 {
            return Err(violation(
                &format!("{}.chains", overridden("chains")),
                "at most 10⁴ chains and 10¹¹ steps over all chains",
            ));
        }
        run.sampler
            .options(run.data.n, 0)
            .validate(run.rows())
            .map_err(|invalid| {
                let field = match invalid.field {
                    "n" => "data.n".to_string(),
                    "rmsprop_alpha" | "rmsprop_eps" => "sampler.preconditioner".to_string(),
                    name => format!("{}.{name}", overridden(name)),
                };
                violation(&field, invalid.message)
            })
    }

    fn runs(&self, seed: u64, replicates: u32) -> Result<Vec<PlannedRun<LlcRun>>, Violation> {
        let run = self.run();
        // A trained TMS point stands for one run per seed: its replicates.
        let copies = match run.model.family {
            Family::TmsTrained => {
                replicates.saturating_mul(run.model.shape.get(2).copied().unwrap_or(1))
            }
            _ => replicates,
        };
        Ok(replicated(&run, seed, copies))
    }
}

impl LlcSpec {
    /// The run this point stands for.
    pub fn run(&self) -> LlcRun {
        let mut data = self.data.clone();
        if let (Family::TmsTrained, Some(&n)) = (self.model.family, self.model.shape.first()) {
            // A trained TMS's training set is its dataset: its size is the n of nβ.
            data.n = n as usize;
        }
        LlcRun {
            model: ModelCase {
                family: self.model.family,
                shape: self.model.shape.clone(),
                rank: self.model.rank,
            },
            data,
            sampler: self.model.sampler.applied_to(&self.sampler),
        }
    }
}
