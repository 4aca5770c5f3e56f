//! Experiments declared as data.
//!
//! An experiment file (TOML) holds one base run spec and a `[sweep]` of dotted field
//! paths to lists of values; the study is the cross product of those lists times the
//! replicates. Every point is validated, serialised to canonical JSON and hashed into a
//! run id; a replicate's seed is hashed from that id and the replicate number, never from
//! the clock (`docs/science/conventions.md` §6). Errors name the file, line and field.
#![deny(missing_docs)]

mod anthropic;
mod error;
mod experiment;
mod identity;
mod kind_spec;
pub mod limits;
mod location;
pub use location::line_of;
mod run_spec;
mod sampler;

pub use error::{violation, Error, Result, Violation};
pub use experiment::{
    kind_of, Experiment, RunPoint, COMMON_FIELDS, DEFAULT_KIND, MAX_NAME_LENGTH, MAX_RUNS,
};
pub use identity::{replicate_seed, run_id, SCHEMA_VERSION};
pub use kind_spec::{canonical_json, replicated, KindSpec, PlannedRun};
pub use run_spec::{
    AnthropicSpec, ExtraFeatureSpec, ModelSpec, RecordSpec, RunSpec, SamplerKind, ScheduleSpec,
    SuperpositionScalingSpec, TrainSpec,
};
pub use sampler::{
    CheckpointLlcSpec, PreconditionerName, SamplerSpec, MAX_CHAINS, MAX_LLC_ROWS, MAX_SAMPLER_STEPS,
};
