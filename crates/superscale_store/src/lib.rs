//! The durable run store of every experiment kind: a study as a directory that survives
//! kills, resumes where it stopped, splits into shards for a cluster and merges back.
//!
//! A store is a directory holding `superscale.db`, an SQLite database in WAL mode with
//! the experiment's source, the kind's [`Schema`] and one row per run (see [`RunRecord`]),
//! plus the report files and, when asked, `weights/<run id>-r<replicate>.safetensors`.
//! The store knows schemas and outputs, not kinds: a kind declares what it records (its
//! scalar columns, curves and arrays) and hands each finished run over as a [`RunOutput`];
//! a new kind adds no table. A run is committed in one transaction as soon as it
//! finishes, so a kill at any moment loses only the runs in flight. Because seeds derive
//! from run ids, a resumed study is bit-identical to an uninterrupted one; each run's
//! [`output_digest`] and [`weights_digest`] prove it, and every read checks them.
//!
//! One process writes a store at a time ([`Store::prepare`] and [`merge`] take an
//! exclusive lock); any number read it meanwhile ([`Store::open`] is read-only, also on a
//! read-only file system). Stores of format 1 (toy runs, before this layout) are read
//! through a migration. The layout, the digests and what readers may rely on are in
//! `docs/store.md`.
//!
//! ```no_run
//! # fn main() -> superscale_store::Result<()> {
//! # let plan: superscale_store::StudyPlan = todo!();
//! use superscale_store::{Plan, Store};
//! // `plan` comes from the engine: the study's runs, source and kind schema.
//! let prepared = Store::prepare("runs/flagship".as_ref(), &plan, &Plan::default())?;
//! println!("{} runs to do, {} already finished", prepared.todo.len(), prepared.finished);
//! let finished = prepared.store.outputs()?; // (record, output) of every finished run
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod connect;
mod database;
mod describe;
mod digest;
mod error;
mod export;
mod lock;
mod merge;
mod migrate;
mod output;
mod parquet_file;
mod provenance;
mod read;
mod reconcile;
mod record;
mod rows;
mod shard;
mod store;
mod validate;
mod weights;

pub use database::{Meta, DB_FILE, FORMAT_VERSION};
pub use describe::{describe_runs, listing};
pub use digest::{output_digest, weights_digest};
pub use error::{Error, Result};
pub use export::{csv, export, tables, Column, ExportFormat, Table, Values};
pub use lock::LOCK_FILE;
pub use merge::{merge, MergeSummary};
pub use output::{
    Array, ArrayColumn, ArrayData, CurveColumn, End, PlannedRow, RunOutput, Scalar, ScalarColumn,
    ScalarType, Schema, StudyPlan, Tensors,
};
pub use parquet_file::read_parquet;
pub use provenance::{git_commit, host, version};
pub use record::{RunRecord, RunState};
pub use shard::Shard;
pub use store::{fingerprint, Plan, Prepared, Store};
pub use weights::{read_weights, weights_file};

#[cfg(test)]
mod tests;
