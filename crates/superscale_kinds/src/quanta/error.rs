//! The errors of the quanta kind.

/// Errors of task generation, training and analysis. Numeric outcomes (a run whose loss
/// becomes NaN, a task never learned) are recorded in results, not raised.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is out of range; `field` names it as in the experiment spec.
    #[error("field `{field}`: {message}")]
    Invalid {
        /// the spec field, e.g. `task.k`
        field: &'static str,
        /// what is wrong
        message: String,
    },
    /// Rejection sampling of distinct subsets gave up (`docs/science/quanta.md` §1: at most
    /// 10·n_tasks attempts).
    #[error("drew only {found} distinct {k}-subsets of {n} bits in {attempts} attempts, needed {n_tasks}")]
    Subsets {
        /// distinct subsets found
        found: usize,
        /// subsets needed
        n_tasks: usize,
        /// bits per input
        n: usize,
        /// subset size
        k: usize,
        /// attempts made
        attempts: usize,
    },
    /// The MLP refused a buffer (a bug in this crate if it happens).
    #[error(transparent)]
    Mlp(#[from] superscale_models::mlp::Error),
    /// The toy model's data could not be set up (bad α, density or probabilities).
    #[error(transparent)]
    Model(#[from] superscale_models::Error),
    /// A fit failed (too few points, non-positive values).
    #[error("fit of {what}: {source}")]
    Fit {
        /// which fit
        what: String,
        /// the fitter's error
        source: superscale_fit::Error,
    },
}

/// Result alias of the quanta kind.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Error {
    Error::Invalid {
        field,
        message: message.into(),
    }
}
