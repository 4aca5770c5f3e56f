//! The durable run store: a study as a directory that survives kills, resumes where it
//! stopped, splits into shards for a cluster and merges back.
//!
//! A store is a directory holding `superscale.db`, an SQLite database in WAL mode with
//! the experiment's source and one row per run (see [`RunRecord`]), plus the report files
//! and, when asked, `weights/<run id>-r<replicate>.safetensors`. A run is committed in one
//! transaction as soon as it finishes, so a kill at any moment loses only the runs in
//! flight. Because seeds derive from run ids, a resumed study is bit-identical to an
//! uninterrupted one; each run's [`result_digest`] and [`weights_digest`] prove it.
//!
//! ```no_run
//! # fn main() -> superscale_store::Result<()> {
//! use superscale_store::{Plan, Store};
//! let experiment = superscale_spec::Experiment::load("experiments/flagship.toml".as_ref()).unwrap();
//! let prepared = Store::prepare("runs/flagship".as_ref(), &experiment, &Plan::default())?;
//! println!("{} runs to do, {} already finished", prepared.todo.len(), prepared.finished);
//! let results = prepared.store.results()?; // the finished runs, for superscale_report
//! # Ok(()) }
//! ```
//!
//! The store depends on the run crate (it stores and rebuilds `RunResult`s) rather than
//! the reverse, so the engine stays free of SQLite; the CLI commits from the study's
//! `Finished` events.
#![deny(missing_docs)]

mod error;
mod export;
mod load;
mod merge;
mod output;
mod parquet_file;
mod provenance;
mod reconcile;
mod record;
mod recorder;
mod schema;
mod shard;
mod store;
mod weights;

pub use error::{Error, Result};
pub use export::{csv, export, tables, Column, ExportFormat, Table, Values};
pub use merge::{merge, MergeSummary};
pub use output::{
    Array, ArrayColumn, ArrayData, CurveColumn, End, PlannedRow, RunOutput, Scalar, ScalarColumn,
    ScalarType, Schema, StudyPlan, Tensors,
};
pub use parquet_file::read_parquet;
pub use provenance::{git_commit, host, version};
pub use record::{result_digest, weights_digest, RunRecord, RunState};
pub use recorder::Recorder;
pub use schema::{Meta, DB_FILE, FORMAT_VERSION};
pub use shard::Shard;
pub use store::{fingerprint, Plan, Prepared, Store};
pub use weights::{read_weights, weights_file, Weights};

#[cfg(test)]
mod tests;
