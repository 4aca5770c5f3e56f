//! The errors of the capability measurement.

/// Why capability could not be measured or analysed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input does not fit the others (a weight matrix of the wrong size, widths out of
    /// order); `field` names it.
    #[error("capability: `{field}`: {message}")]
    Invalid {
        /// the input, e.g. `weights`
        field: &'static str,
        /// what is wrong
        message: String,
    },
    /// The toy model's data could not be set up (bad α, density or probabilities).
    #[error(transparent)]
    Model(#[from] superscale_models::Error),
}

/// Result alias of the capability measurement.
pub type Result<T> = std::result::Result<T, Error>;

pub(super) fn invalid(field: &'static str, message: impl Into<String>) -> Error {
    Error::Invalid {
        field,
        message: message.into(),
    }
}
