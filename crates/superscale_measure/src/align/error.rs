//! The one error type of the alignment crate.

/// Errors of the alignment metrics: inputs that cannot be compared. Numeric outcomes (a
/// degenerate CKA denominator) are values (NaN), not errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A matrix's values are not a whole number of rows of the stated width.
    #[error("matrix {name}: {len} values are not a whole number of rows of width {width}")]
    Shape {
        /// `A` or `B`
        name: &'static str,
        /// number of values
        len: usize,
        /// the stated width
        width: usize,
    },
    /// The two matrices do not pair the same number of items.
    #[error("matrix A has {rows_a} rows but matrix B has {rows_b}: rows must be the same items")]
    RowMismatch {
        /// rows of A
        rows_a: usize,
        /// rows of B
        rows_b: usize,
    },
    /// A value is NaN or infinite.
    #[error("matrix {name}: value at row {row}, column {column} is not finite")]
    NonFinite {
        /// `A` or `B`
        name: &'static str,
        /// its row
        row: usize,
        /// its column
        column: usize,
    },
    /// An option the metric cannot use (k ≥ n, too few items, q outside (0, 1], …).
    #[error("{0}")]
    Invalid(String),
    /// The SVD of SVCCA did not converge.
    #[error("SVCCA: the singular value decomposition did not converge")]
    NoConvergence,
    /// A kernel failed (a bug, reported rather than panicking).
    #[error(transparent)]
    Kernel(#[from] superscale_kernels::Error),
}

/// Result alias of the alignment crate.
pub type Result<T> = std::result::Result<T, Error>;
