//! The one error type of the platonic crate.

use std::path::PathBuf;

/// A study that cannot be run: a spec mistake located in its file, or a failure of a crate
/// underneath (reported, never a panic).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec file could not be read.
    #[error("{path}: cannot read the study spec: {source}")]
    Io {
        /// the file
        path: PathBuf,
        /// the cause
        source: std::io::Error,
    },
    /// Malformed TOML, an unknown field or a value of the wrong type.
    #[error("{path}:{line}: {message}")]
    Parse {
        /// the file
        path: PathBuf,
        /// 1-based line
        line: usize,
        /// what the parser said
        message: String,
    },
    /// A field with an impossible value.
    #[error("{path}:{line}: field `{field}`: {message}")]
    Invalid {
        /// the file
        path: PathBuf,
        /// 1-based line of the field (or of its table when the field is a default)
        line: usize,
        /// dotted path of the field
        field: String,
        /// why the value is impossible
        message: String,
    },
    /// An alignment metric refused its inputs.
    #[error("alignment: {0}")]
    Align(#[from] superscale_align::Error),
    /// The MLP refused its inputs.
    #[error("mlp: {0}")]
    Mlp(#[from] superscale_mlp::Error),
    /// A fit or bootstrap failed.
    #[error("fit: {0}")]
    Fit(#[from] superscale_fit::Error),
    /// A toy-model run failed.
    #[error("toy-model run: {0}")]
    Run(#[from] superscale_kinds::Error),
    /// A numerical step could not be completed (an SVD that did not converge, …).
    #[error("{0}")]
    Numeric(String),
}

impl Error {
    /// Whether the user can fix it by editing the spec (the CLI exits with 2).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Error::Io { .. } | Error::Parse { .. } | Error::Invalid { .. }
        )
    }
}

/// Result alias of the platonic crate.
pub type Result<T> = std::result::Result<T, Error>;
