//! The one error type of the spec crate.

use std::path::PathBuf;

/// A spec that cannot be run, located in its file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("{path}: cannot read the spec: {source}")]
    Io {
        /// the file
        path: PathBuf,
        /// the cause
        source: std::io::Error,
    },
    /// The TOML is malformed, or a field is unknown or of the wrong type.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        /// the file
        path: PathBuf,
        /// 1-based line
        line: usize,
        /// 1-based column
        column: usize,
        /// what the parser said
        message: String,
    },
    /// A field has an impossible value.
    #[error("{path}:{line}: field `{field}`: {message}")]
    Invalid {
        /// the file
        path: PathBuf,
        /// 1-based line of the field (or of the sweep axis that set it)
        line: usize,
        /// dotted path of the field
        field: String,
        /// why the value is impossible
        message: String,
    },
}

/// Result alias of the spec crate.
pub type Result<T> = std::result::Result<T, Error>;

/// A validation failure before it is located in a file: the dotted field and the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// dotted path of the field
    pub field: String,
    /// why its value is impossible
    pub message: String,
}

/// A violation of `field`.
pub fn violation(field: &str, message: impl Into<String>) -> Violation {
    Violation {
        field: field.to_string(),
        message: message.into(),
    }
}
