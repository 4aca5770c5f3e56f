//! The spec of one run: model, training and what to record. Its canonical JSON (the serde
//! form with every default filled in) is what the run id hashes.

pub use crate::anthropic::ExtraFeatureSpec;
use crate::error::{violation, Violation};
use serde::{Deserialize, Serialize};

/// Everything that determines one run (apart from the replicate number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// the model and its data
    pub model: ModelSpec,
    /// the optimisation
    pub train: TrainSpec,
    /// what is measured and kept
    #[serde(default)]
    pub record: RecordSpec,
    /// λ̂ at checkpoints of training (`docs/science/llc.md` §8); absent from the canonical
    /// JSON when not asked for, so runs without it keep their ids
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llc: Option<crate::CheckpointLlcSpec>,
}

/// Which toy model, selected by `variant`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "variant", rename_all = "snake_case")]
pub enum ModelSpec {
    /// Liu, Liu & Gore 2025 (`docs/science/superposition.md` §1).
    SuperpositionScaling(SuperpositionScalingSpec),
    /// Elhage et al. 2022 (`docs/science/tms.md`).
    Anthropic(AnthropicSpec),
}

/// The superposition-scaling model: p_i ∝ i^−α with Σp = E, values U(0,2),
/// W ~ N(0, 1/m), b ~ N(0,1), unweighted MSE, signed decay γ on W.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuperpositionScalingSpec {
    /// n, number of features
    pub n_features: usize,
    /// m, hidden width
    pub n_hidden: usize,
    /// the paper's data exponent α (code `alpha` + 1)
    pub alpha: f64,
    /// the signed weight decay γ (Eq. 2): < 0 pulls row norms to 1 (strong superposition)
    pub weight_decay: f64,
    /// E = Σ p_i, the expected number of active features (1 in the paper)
    #[serde(default = "one")]
    pub activation_density: f64,
}

/// The Anthropic model: each feature active with probability 1 − S, values U(0,1),
/// importance I_i = r^i, xavier W, b = 0, AdamW with decoupled decay on W and b.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnthropicSpec {
    /// n, number of features
    pub n_features: usize,
    /// m, hidden width
    pub n_hidden: usize,
    /// 1 − S, the probability that a feature is non-zero
    pub feature_probability: f64,
    /// r in I_i = r^i (i = 0..n−1); 1 gives equal importance
    #[serde(default = "one")]
    pub importance_decay: f64,
    /// λ of torch's AdamW (default 0.01, as in the TMS notebook)
    #[serde(default = "torch_weight_decay")]
    pub weight_decay: f64,
    /// explicit importances I_0..I_{n−1}, instead of importance_decay (see `anthropic.rs`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importance: Option<Vec<f64>>,
    /// the last feature's own importance and probability (the phase diagram,
    /// docs/science/tms.md §5.4)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_feature: Option<ExtraFeatureSpec>,
    /// how batches are drawn (same distribution either way; absent from the canonical JSON
    /// when it is the default, so older specs keep their run ids)
    #[serde(default, skip_serializing_if = "SamplerKind::is_gaps")]
    pub sampler: SamplerKind,
}

/// How an Anthropic run draws its batches; both give x_i = u_i·v_i with u_i ~ Bernoulli(p_i),
/// v_i ~ U(0, 1) (`superscale_models`' `FeatureSampler` and `EntrySampler`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplerKind {
    /// geometric gaps between active rows: ≈ n + 2·B·Σp_i draws per batch (large sparse models)
    #[default]
    Gaps,
    /// two words of a per-batch xoshiro128++ stream per entry: 2·B·n draws, branch-free, so
    /// a grid draws eight models' batches in one AVX2 register (grids of small models)
    Entries,
}

impl SamplerKind {
    /// The default, left out of the canonical JSON.
    pub fn is_gaps(&self) -> bool {
        *self == SamplerKind::Gaps
    }
}

/// The optimisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    /// number of steps
    pub steps: u64,
    /// samples per batch
    pub batch_size: usize,
    /// the learning-rate schedule
    pub schedule: ScheduleSpec,
}

/// The learning-rate schedule, selected by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScheduleSpec {
    /// a constant rate
    Constant {
        /// the rate
        lr: f64,
    },
    /// the authors' warm-up + cosine schedule (`docs/science/superposition.md` §1.5)
    WarmupCosine {
        /// the peak rate
        peak_lr: f64,
        /// warm-up steps
        warmup_steps: u64,
        /// final rate as a fraction of the peak
        #[serde(default = "min_lr_ratio")]
        min_lr_ratio: f64,
    },
}

/// What to measure and keep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordSpec {
    /// log-spaced steps at which the batch loss is kept
    #[serde(default = "curve_points")]
    pub curve_points: usize,
    /// the final training loss averages this many last steps (100 in the paper)
    #[serde(default = "tail_steps")]
    pub tail_steps: usize,
    /// held-out loss on this many fresh batches (100 in the paper)
    #[serde(default = "heldout_batches")]
    pub heldout_batches: usize,
    /// keep each run's final parameters in the store, as `--save-weights` does, for the
    /// studies whose figures draw W (the TMS geometry). It changes what is kept, not what is
    /// computed, so it is never serialised: the canonical JSON, and with it the run id, is
    /// the same with or without it.
    #[serde(default, skip_serializing)]
    pub weights: bool,
}

impl Default for RecordSpec {
    fn default() -> Self {
        Self {
            curve_points: curve_points(),
            tail_steps: tail_steps(),
            heldout_batches: heldout_batches(),
            weights: false,
        }
    }
}

fn one() -> f64 {
    1.0
}
fn torch_weight_decay() -> f64 {
    0.01
}
fn min_lr_ratio() -> f64 {
    0.05
}
fn curve_points() -> usize {
    60
}
fn tail_steps() -> usize {
    100
}
fn heldout_batches() -> usize {
    100
}

impl ModelSpec {
    /// The sweep axis that sets the width m.
    pub const WIDTH_AXIS: &'static str = "model.n_hidden";

    /// The width m (hidden units).
    pub fn width(&self) -> usize {
        self.shape().1
    }

    /// The number of features n.
    pub fn features(&self) -> usize {
        self.shape().0
    }

    /// (n, m) of the model.
    pub fn shape(&self) -> (usize, usize) {
        match self {
            ModelSpec::SuperpositionScaling(s) => (s.n_features, s.n_hidden),
            ModelSpec::Anthropic(s) => (s.n_features, s.n_hidden),
        }
    }
}

/// [`RunSpec::memory_estimate`] of a model with `n` features, width `m` and `batch` samples.
fn memory_of(n: u64, m: u64, batch: u64) -> u64 {
    let parameters = n.saturating_mul(m).saturating_add(n).saturating_mul(4);
    let activations = batch.saturating_mul(n.saturating_mul(3).saturating_add(m.saturating_mul(2)));
    parameters.saturating_add(activations).saturating_mul(4)
}

fn finite(field: &str, value: f64) -> Result<(), Violation> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(violation(field, format!("{value} is not a finite number")))
    }
}

/// The toy models of superposition: one sweep point is one run spec, trained `replicates`
/// times.
impl crate::KindSpec for RunSpec {
    const KIND: &'static str = crate::DEFAULT_KIND;
    const POINT_TABLES: &'static [&'static str] = &["model", "train", "record", "llc"];
    const STUDY_TABLES: &'static [&'static str] = &["analysis"];
    type Run = RunSpec;

    fn validate(&self) -> Result<(), Violation> {
        RunSpec::validate(self)
    }

    fn runs(
        &self,
        seed: u64,
        replicates: u32,
    ) -> Result<Vec<crate::PlannedRun<RunSpec>>, Violation> {
        let mut runs = crate::replicated(self, seed, replicates);
        // An `[llc]` table changes what is measured, not what is trained: the run keeps the
        // seeds of the same spec without it, so it trains the same model (and a sweep of
        // sampler settings estimates λ̂ of one model, not of a new model per setting).
        if self.llc.is_some() {
            let trained = RunSpec {
                llc: None,
                ..self.clone()
            };
            for (run, plain) in runs
                .iter_mut()
                .zip(crate::replicated(&trained, seed, replicates))
            {
                run.seed = plain.seed;
            }
        }
        Ok(runs)
    }
}

impl RunSpec {
    /// The canonical JSON of this spec (field order fixed by the types, defaults filled).
    pub fn canonical_json(&self) -> String {
        crate::canonical_json(self)
    }

    /// Checks every value for the ranges in which the model is defined.
    pub fn validate(&self) -> Result<(), Violation> {
        let (n, m) = self.model.shape();
        if n < 2 {
            return Err(violation(
                "model.n_features",
                format!("{n}: need at least 2 features"),
            ));
        }
        if m == 0 || m >= n {
            return Err(violation(
                "model.n_hidden",
                format!("{m}: the width m must satisfy 1 ≤ m < n_features = {n}"),
            ));
        }
        // Before anything that loops over the features: a mistyped n_features = 10¹² must be
        // refused here, not hang the validation or abort on allocation in training.
        let bytes = self.memory_estimate();
        if let Some(limit) = crate::limits::memory_limit() {
            if bytes > limit {
                // the model's own size is at fault when even a batch of one does not fit
                let field = if memory_of(n as u64, m as u64, 1) > limit {
                    "model.n_features"
                } else {
                    "train.batch_size"
                };
                return Err(violation(
                    field,
                    format!(
                        "a run needs about {} (n = {n}, m = {m}, batch {}), more than this \
                         machine's {}",
                        crate::limits::human_bytes(bytes),
                        self.train.batch_size,
                        crate::limits::human_bytes(limit)
                    ),
                ));
            }
        }
        match &self.model {
            ModelSpec::SuperpositionScaling(s) => {
                finite("model.alpha", s.alpha)?;
                if s.alpha < 0.0 {
                    return Err(violation(
                        "model.alpha",
                        format!("{}: the data exponent α must be ≥ 0", s.alpha),
                    ));
                }
                finite("model.weight_decay", s.weight_decay)?;
                finite("model.activation_density", s.activation_density)?;
                let harmonic: f64 = (1..=n).map(|i| (i as f64).powf(-s.alpha)).sum();
                if s.activation_density <= 0.0 || s.activation_density > harmonic * (1.0 + 1e-12) {
                    return Err(violation(
                        "model.activation_density",
                        format!(
                            "{}: E must be in (0, {harmonic:.4}] so that p_1 ≤ 1",
                            s.activation_density
                        ),
                    ));
                }
            }
            ModelSpec::Anthropic(s) => {
                finite("model.feature_probability", s.feature_probability)?;
                if !(s.feature_probability > 0.0 && s.feature_probability <= 1.0) {
                    return Err(violation(
                        "model.feature_probability",
                        format!("{}: 1 − S must be in (0, 1]", s.feature_probability),
                    ));
                }
                finite("model.importance_decay", s.importance_decay)?;
                if s.importance_decay <= 0.0 {
                    return Err(violation(
                        "model.importance_decay",
                        format!("{}: must be > 0", s.importance_decay),
                    ));
                }
                finite("model.weight_decay", s.weight_decay)?;
                if s.weight_decay < 0.0 {
                    return Err(violation(
                        "model.weight_decay",
                        format!("{}: torch AdamW decay must be ≥ 0", s.weight_decay),
                    ));
                }
                s.validate_features()?;
            }
        }
        if self.train.steps == 0 {
            return Err(violation("train.steps", "0: need at least one step"));
        }
        if self.train.batch_size == 0 {
            return Err(violation(
                "train.batch_size",
                "0: need at least one sample per batch",
            ));
        }
        match self.train.schedule {
            ScheduleSpec::Constant { lr } => {
                if !(lr.is_finite() && lr > 0.0) {
                    return Err(violation(
                        "train.schedule.lr",
                        format!("{lr}: must be finite and > 0"),
                    ));
                }
            }
            ScheduleSpec::WarmupCosine {
                peak_lr,
                warmup_steps,
                min_lr_ratio,
            } => {
                if !(peak_lr.is_finite() && peak_lr > 0.0) {
                    return Err(violation(
                        "train.schedule.peak_lr",
                        format!("{peak_lr}: must be finite and > 0"),
                    ));
                }
                if warmup_steps >= self.train.steps {
                    return Err(violation(
                        "train.schedule.warmup_steps",
                        format!(
                            "{warmup_steps}: must be below train.steps = {}",
                            self.train.steps
                        ),
                    ));
                }
                if !(0.0..=1.0).contains(&min_lr_ratio) {
                    return Err(violation(
                        "train.schedule.min_lr_ratio",
                        format!("{min_lr_ratio}: must be in [0, 1]"),
                    ));
                }
            }
        }
        if self.record.tail_steps == 0 {
            return Err(violation("record.tail_steps", "0: need at least one step"));
        }
        if self.record.heldout_batches == 0 {
            return Err(violation(
                "record.heldout_batches",
                "0: the held-out loss needs at least one batch",
            ));
        }
        if let Some(llc) = &self.llc {
            llc.validate(self.train.steps)?;
        }
        Ok(())
    }

    /// The bytes one run holds at once, estimated from the shapes: f32 parameters (W n×m,
    /// b n) four times over (values, gradient, two Adam moments), and a batch's input,
    /// output and output gradient (B×n each) with its hidden activations and their gradient
    /// (B×m each). Saturating, so absurd sizes compare as huge instead of wrapping.
    pub fn memory_estimate(&self) -> u64 {
        let (n, m) = self.model.shape();
        memory_of(n as u64, m as u64, self.train.batch_size as u64)
    }
}
