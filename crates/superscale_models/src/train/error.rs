//! The one error type of the training crate.

/// Errors that stop a training run before it starts (a diverged run is an [`crate::train::Outcome`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The configuration cannot be trained.
    #[error("{field} = {value}: {reason}")]
    InvalidConfig {
        /// the offending field
        field: &'static str,
        /// its value, printed
        value: String,
        /// why it is invalid
        reason: String,
    },
    /// An error from the model (shape or parameter).
    #[error(transparent)]
    Model(#[from] crate::Error),
}

/// Result alias of the training crate.
pub type Result<T> = std::result::Result<T, Error>;
