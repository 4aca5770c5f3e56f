//! The errors of a Platonic network's training and of a study's analysis (a mistake in the
//! experiment file is a `superscale_spec::Error`, located before anything runs).

/// A failure of a crate underneath, reported as a failed run or a failed analysis, never a
/// panic.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An alignment metric refused its inputs.
    #[error("alignment: {0}")]
    Align(#[from] superscale_measure::align::Error),
    /// The MLP refused its inputs.
    #[error("mlp: {0}")]
    Mlp(#[from] superscale_models::mlp::Error),
    /// A fit or bootstrap failed.
    #[error("fit: {0}")]
    Fit(#[from] superscale_fit::Error),
    /// The finished runs are not those of the study (a run missing, or an output of
    /// another shape).
    #[error("{0}")]
    Runs(String),
}

/// Result alias of the Platonic kind.
pub type Result<T> = std::result::Result<T, Error>;
