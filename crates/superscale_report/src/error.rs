//! The one error type of the report crate.

use std::path::PathBuf;

/// Errors while writing a study's outputs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// the file
        path: PathBuf,
        /// the cause
        source: std::io::Error,
    },
    /// A plot could not be drawn.
    #[error("cannot draw the plot '{title}': {message}")]
    Plot {
        /// the plot's title
        title: String,
        /// what plotters said
        message: String,
    },
    /// A figure could not be exported (its SVG does not parse, a PNG cannot be made).
    #[error("cannot export the figure '{id}': {message}")]
    Figure {
        /// the figure's name
        id: String,
        /// what went wrong
        message: String,
    },
}

/// Result alias of the report crate.
pub type Result<T> = std::result::Result<T, Error>;
