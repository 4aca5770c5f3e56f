//! The quantization model of neural scaling (Michaud et al. 2023) on multitask sparse
//! parity, and what it teaches about emergence and forecasting (`docs/science/quanta.md`;
//! fits: `docs/science/fitting.md`).
#![deny(missing_docs)]

mod analysis;
mod capability;
mod capability_sweep;
mod emergence;
mod error;
mod forecast;
mod mirage;
mod scaling;
mod study;
mod task;
mod train;

pub use analysis::{analyze, ExponentRow, FinishedRun, RunEmergence, StudyAnalysis};
pub use capability::{feature_errors, feature_outputs, power_law_sampler, FeatureErrors};
pub use capability_sweep::{
    average_ranks, capability_sweep, spearman, CapabilitySweep, FeatureProfile, Slope,
    CAPABLE_BELOW,
};
pub use emergence::{
    drop_profile, summarize_emergence, task_emergence, DropProfile, EmergenceSummary,
    TaskEmergence, CHANCE_ABOVE_BITS, DROP_WITHIN_FACTOR, LEARNED_BELOW_BITS, RELAPSE_ABOVE_BITS,
};
pub use error::{Error, Result};
pub use forecast::{
    backtest, AggregateForecast, Backtest, Interval, ScaleSeries, TaskForecast, Verdict,
};
pub use mirage::{inflections, log_grid, Mirage};
pub use scaling::{
    fit_exponent, theory_parameter_exponent, theory_step_exponent, ExponentEstimate,
};
pub use study::{AnalysisSpec, RunPlan, StudySpec, SweepSpec};
pub use task::{derive_seed, test_sizes, zipf_frequencies, Batch, MultitaskParity, TaskConfig};
pub use train::{eval_steps, train_run, RunResult, TestSets, TrainConfig};
