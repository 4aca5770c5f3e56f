//! The one error type of the measurement crate.

/// Measurement errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The matrix is not n × width.
    #[error("a weight matrix of {len} values is not a whole number of rows of width {width}")]
    Shape {
        /// number of values
        len: usize,
        /// the stated row width
        width: usize,
    },
    /// A kernel failed (a bug, reported rather than panicking).
    #[error(transparent)]
    Kernel(#[from] superscale_kernels::Error),
}

/// Result alias of the measurement crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn check_shape<T>(weights: &[T], width: usize) -> Result<usize> {
    if width == 0 || !weights.len().is_multiple_of(width) {
        return Err(Error::Shape {
            len: weights.len(),
            width,
        });
    }
    Ok(weights.len() / width)
}
