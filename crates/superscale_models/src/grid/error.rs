//! The one error type of the grid crate.

/// Why a grid cannot be trained (a diverged model is a result, not an error).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The members of a grid do not fit together or a value is out of range.
    #[error("grid member {member}: field `{field}`: {message}")]
    InvalidMember {
        /// position of the member in the grid
        member: usize,
        /// the offending field
        field: &'static str,
        /// what is wrong
        message: String,
    },
    /// The shared configuration is unusable.
    #[error("grid configuration: field `{field}`: {message}")]
    InvalidConfig {
        /// the offending field
        field: &'static str,
        /// what is wrong
        message: String,
    },
}

/// Result alias of the grid crate.
pub type Result<T> = std::result::Result<T, Error>;
