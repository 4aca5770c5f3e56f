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
    /// Entries that are NaN or infinite: no geometry is measured from them (a mean squared
    /// overlap of a matrix with a NaN in it is not a number), unless the options drop or
    /// zero the rows that hold them.
    #[error(
        "{entries} non-finite {} (NaN or ±inf) in {rows} of its {total_rows} rows, the first \
         at row {row}, column {column} ({value}): no geometry is measured from a matrix with \
         them; dropping or zeroing those rows measures the rest",
        if *entries == 1 { "entry" } else { "entries" }
    )]
    NonFinite {
        /// non-finite entries
        entries: usize,
        /// rows holding at least one
        rows: usize,
        /// rows of the matrix
        total_rows: usize,
        /// zero-based row of the first
        row: usize,
        /// zero-based column of the first
        column: usize,
        /// its value
        value: f64,
    },
    /// Every row holds a non-finite entry, so dropping them leaves nothing to measure.
    #[error("every one of the {rows} rows holds a non-finite entry (NaN or ±inf): dropping them leaves nothing to measure")]
    NoFiniteRow {
        /// rows of the matrix
        rows: usize,
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
