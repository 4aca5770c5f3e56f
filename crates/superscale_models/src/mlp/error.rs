//! The one error type of the MLP crate.

/// Shape and value errors of the MLP. Numeric outcomes (a NaN loss) are not errors: the
/// caller sees them in the returned loss.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The layer sizes do not describe a network (fewer than two sizes, or a zero size).
    #[error("invalid MLP architecture {layer_sizes:?}: {reason}")]
    Architecture {
        /// the sizes that were given
        layer_sizes: Vec<usize>,
        /// what is wrong with them
        reason: &'static str,
    },
    /// A buffer has the wrong number of values.
    #[error("{what}: expected {expected} values, got {got}")]
    Length {
        /// which buffer
        what: &'static str,
        /// the length it needed
        expected: usize,
        /// the length it had
        got: usize,
    },
    /// A class label is not below the number of outputs.
    #[error("label {label} of row {row} is not below the number of classes {classes}")]
    Label {
        /// the row of the batch
        row: usize,
        /// its label
        label: u32,
        /// the output dimension
        classes: usize,
    },
    /// A sparse input names a column outside the input dimension.
    #[error("sparse input row {row} has column {column}, input dimension is {input_dim}")]
    SparseColumn {
        /// the row of the batch
        row: usize,
        /// the offending column
        column: u32,
        /// the first layer's input dimension
        input_dim: usize,
    },
    /// A row of a one-hot ⊕ bits input is malformed.
    #[error("one-hot ⊕ bits input row {row}: {reason}")]
    OneHotBits {
        /// the row of the batch
        row: usize,
        /// what is wrong with it
        reason: String,
    },
    /// The workspace was built for another architecture.
    #[error("workspace was built for layer sizes {workspace:?}, the model has {model:?}")]
    Workspace {
        /// sizes of the workspace
        workspace: Vec<usize>,
        /// sizes of the model
        model: Vec<usize>,
    },
    /// A kernel refused its operands (a bug in this crate if it happens).
    #[error(transparent)]
    Kernel(#[from] superscale_kernels::Error),
}

/// Result alias of the MLP crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn check_length(what: &'static str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(Error::Length {
            what,
            expected,
            got,
        })
    }
}
