//! The errors of a toy-model run.

/// Errors that stop a run before it trains (a diverged run is a result, not an error).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model or data could not be built from the spec.
    #[error("run {run_id}: {source}")]
    Model {
        /// the run
        run_id: String,
        /// the cause
        source: superscale_models::Error,
    },
    /// Training could not start.
    #[error("run {run_id}: {source}")]
    Train {
        /// the run
        run_id: String,
        /// the cause
        source: superscale_models::train::Error,
    },
    /// A measurement failed.
    #[error("run {run_id}: {source}")]
    Measure {
        /// the run
        run_id: String,
        /// the cause
        source: superscale_measure::Error,
    },
    /// The `[llc]` settings were refused by the estimator.
    #[error("run {run_id}: llc.sampler.{source}")]
    Llc {
        /// the run
        run_id: String,
        /// the cause
        source: superscale_measure::llc::Invalid,
    },
    /// The batched grid path refused the run (`grid_runs.rs`).
    #[error("run {run_id}: {message}")]
    Grid {
        /// the run
        run_id: String,
        /// what the grid said
        message: String,
    },
    /// The thread pool could not be built.
    #[error("cannot start {threads} worker threads: {message}")]
    ThreadPool {
        /// the requested count
        threads: usize,
        /// what rayon said
        message: String,
    },
}

/// Result alias of the toy kind.
pub type Result<T> = std::result::Result<T, Error>;
