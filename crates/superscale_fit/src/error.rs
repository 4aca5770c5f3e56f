//! The one error type of the fitting crate.
//!
//! Errors are reserved for input that cannot be fitted at all. A fit that runs but does not
//! converge is a numeric *outcome*, reported through the `converged` field of the result
//! structs together with the best attempt (`docs/science/conventions.md` §7).

/// Everything that can go wrong when fitting a law to data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value that must be positive because its logarithm is taken was not.
    #[error("{what} must be positive to take its logarithm, but point {index} has {value}")]
    NonPositive {
        /// which variable (for example "x" or "y")
        what: &'static str,
        /// zero-based index of the offending point
        index: usize,
        /// the offending value
        value: f64,
    },
    /// Fewer points than the form has parameters (plus one, for a standard error).
    #[error("{form} needs at least {needed} points, got {got}")]
    TooFewPoints {
        /// the law being fitted
        form: &'static str,
        /// the minimum number of points
        needed: usize,
        /// how many were given
        got: usize,
    },
    /// x and y have different lengths.
    #[error("x has {x} values but y has {y}")]
    LengthMismatch {
        /// length of x
        x: usize,
        /// length of y
        y: usize,
    },
    /// Fewer distinct inputs than the law has parameters: no data can tell the parameters
    /// apart (e.g. a power law through points that all share one x).
    #[error(
        "not identifiable: a law of {parameters} parameters needs at least {parameters} \
         distinct inputs, the data has {distinct}"
    )]
    NotIdentifiable {
        /// the law's number of parameters
        parameters: usize,
        /// distinct inputs (x, or (N, D) pairs) in the data
        distinct: usize,
    },
    /// A NaN or infinite value in the input.
    #[error("{what} at point {index} is not finite ({value})")]
    NotFinite {
        /// which variable
        what: &'static str,
        /// zero-based index of the offending point
        index: usize,
        /// the offending value
        value: f64,
    },
    /// An option or argument outside its meaningful range.
    #[error("invalid {name}: {reason}")]
    InvalidOption {
        /// the option's name
        name: &'static str,
        /// what is wrong with it
        reason: String,
    },
    /// A second input (tokens or compute) given to a form other than Chinchilla, or missing
    /// for the Chinchilla form.
    #[error("{}", if *needed { "the Chinchilla form needs a second input (tokens D or compute C)" } else { "only the Chinchilla form takes a second input (tokens D or compute C)" })]
    SecondInput {
        /// whether it was missing (else it was given to another form)
        needed: bool,
    },
    /// A table (CSV file) that cannot be read or has a bad cell.
    #[error("{path}{}{}: {message}", row.map(|r| format!(", line {r}")).unwrap_or_default(), column.as_ref().map(|c| format!(", column '{c}'")).unwrap_or_default())]
    Table {
        /// the file
        path: String,
        /// one-based line number in the file (the header is line 1), when known
        row: Option<u64>,
        /// the column, when known
        column: Option<String>,
        /// what is wrong
        message: String,
    },
}

/// Result alias of the fitting crate.
pub type Result<T> = std::result::Result<T, Error>;
