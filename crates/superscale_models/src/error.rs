//! The one error type of the models crate.

/// Invalid model or data parameters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A parameter is outside the range where the model is defined.
    #[error("{field} = {value}: {reason}")]
    InvalidParameter {
        /// the parameter's name
        field: &'static str,
        /// its value, printed
        value: String,
        /// why it is invalid
        reason: String,
    },
    /// A shape error from a kernel (a bug, reported rather than panicking).
    #[error(transparent)]
    Kernel(#[from] superscale_kernels::Error),
}

/// Result alias of the models crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn invalid(
    field: &'static str,
    value: impl ToString,
    reason: impl Into<String>,
) -> Error {
    Error::InvalidParameter {
        field,
        value: value.to_string(),
        reason: reason.into(),
    }
}
