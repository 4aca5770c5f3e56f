//! Errors of the engine, and the failure of one run (which is data, not an abort).

/// Why one run could not be trained. The study goes on without it; a store marks it
/// failed and the next invocation trains it again.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("run {run_id} replicate {replicate}: {message}")]
pub struct RunError {
    /// the run
    pub run_id: String,
    /// its replicate
    pub replicate: u32,
    /// what went wrong, in the kind's words
    pub message: String,
}

/// Why a finished study could not be analysed or reported.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The kind's analysis failed.
    #[error("{0}")]
    Kind(String),
    /// A figure or file of the report could not be made.
    #[error(transparent)]
    Report(#[from] superscale_report::Error),
}

/// Errors of the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The worker threads could not be started.
    #[error("cannot start {threads} worker threads: {message}")]
    ThreadPool {
        /// how many were asked for
        threads: usize,
        /// what the OS said
        message: String,
    },
    /// A run failed (the first failure of a study; the others are in its events).
    #[error(transparent)]
    Run(#[from] RunError),
    /// The finished study could not be analysed or reported.
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    /// The experiment (or its study tables) is not valid.
    #[error(transparent)]
    Spec(#[from] superscale_spec::Error),
    /// The store could not be opened, planned or read.
    #[error(transparent)]
    Store(#[from] superscale_store::Error),
    /// The store could not record a run; the runs committed before are kept.
    #[error("{0} (the store could not record a run; the runs committed before are kept)")]
    Record(superscale_store::Error),
    /// A report file could not be written.
    #[error(transparent)]
    Report(#[from] superscale_report::Error),
}

/// Result alias of the engine.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Whether the error is the user's to fix (a bad spec, a wrong or damaged store, a
    /// conflicting experiment) rather than a failure of the machine; the CLI exits with 2.
    pub fn is_user_error(&self) -> bool {
        match self {
            Error::Spec(_) => true,
            Error::Store(err) | Error::Record(err) => err.is_user_error(),
            _ => false,
        }
    }
}
