//! The study engine: everything a study needs that does not depend on what it trains.
//!
//! A kind of experiment (toy models of superposition, quanta, Platonic alignment, …)
//! implements [`Kind`]: how one job of runs is trained, what a run records, how a finished
//! study is analysed and reported. The engine does the rest once for every kind: it plans
//! a study into its store, schedules the runs still to do over a thread pool (largest
//! first, one job per worker, idle workers helping through the shared pool), commits each
//! run as it finishes, resumes after a kill, runs shards, and hands the finished runs to
//! the kind's analysis (`docs/architecture.md`).
#![deny(missing_docs)]

mod error;
mod event;
mod kind;
mod memory;
mod observe;
mod recorder;
mod schedule;
mod slurm;
mod study;

pub use error::{AnalysisError, Error, Result, RunError};
pub use event::Event;
pub use kind::{Finished, FinishedRun, Kind, Run};
pub use memory::{run_in_memory, run_in_memory_observed};
pub use observe::{label, row, summary, Observer, RunLabel, Silent, Summary, Update};
pub use recorder::Recorder;
pub use schedule::{run_jobs, worker_threads, Outcome as RunOutcome, Stopped};
pub use slurm::{script_path, shards_dir, slurm_script, SlurmJob};
pub use study::{
    analyse_study, default_dir, finished_runs, run_study, study_plan, write_report, Options,
    Outcome, Report, Trained, Written,
};
