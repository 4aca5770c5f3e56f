//! The one error type of the weights crate.

use std::path::PathBuf;

/// Errors reading a weight file. Every variant names the file, and the tensor where there is
/// one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// the file
        path: PathBuf,
        /// the underlying error
        source: std::io::Error,
    },
    /// The file's extension is not one of `.safetensors`, `.npy`, `.npz`, `.gguf`.
    #[error("{path}: unknown weight format (expected .safetensors, .npy, .npz or .gguf)")]
    UnknownFormat {
        /// the file
        path: PathBuf,
    },
    /// The file is truncated, corrupted, or its header lies about sizes.
    #[error("{path}: not a valid {format} file: {reason}")]
    Corrupt {
        /// the file
        path: PathBuf,
        /// the format it claims to be
        format: &'static str,
        /// what is wrong
        reason: String,
    },
    /// No tensor of that name in the file.
    #[error("{path}: no tensor named {tensor:?} (available: {available})")]
    UnknownTensor {
        /// the file
        path: PathBuf,
        /// the requested name
        tensor: String,
        /// the names the file has, comma-separated
        available: String,
    },
    /// The tensor is not a 2-D matrix.
    #[error("{path}: tensor {tensor:?} has shape {shape:?}, not a 2-D matrix")]
    NotMatrix {
        /// the file
        path: PathBuf,
        /// the tensor
        tensor: String,
        /// its shape
        shape: Vec<usize>,
    },
    /// The tensor's element type cannot be converted to f64.
    #[error(
        "{path}: tensor {tensor:?} has dtype {dtype}, not one of f64, f32, f16, bf16 \
         (GGUF: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K)"
    )]
    UnsupportedDtype {
        /// the file
        path: PathBuf,
        /// the tensor
        tensor: String,
        /// its dtype as the file spells it
        dtype: String,
    },
    /// The matrix has no rows or no columns.
    #[error("{path}: tensor {tensor:?} is empty ({rows} × {columns})")]
    Empty {
        /// the file
        path: PathBuf,
        /// the tensor
        tensor: String,
        /// number of rows
        rows: usize,
        /// number of columns
        columns: usize,
    },
    /// A family member's loss (`--loss FILE=VALUE`, a `--losses` table, or the
    /// safetensors metadata) is malformed, not positive, or names no input file.
    #[error("{origin}: {reason}")]
    Loss {
        /// where the value was given: the argument, `table.csv:LINE: field loss`, or
        /// `file: __metadata__ field "loss"`
        origin: String,
        /// what is wrong
        reason: String,
    },
    /// A file has several 2-D tensors and none was named.
    #[error("{path}: choose one of its 2-D tensors ({available}) with --tensor NAME")]
    TensorNeeded {
        /// the file
        path: PathBuf,
        /// its 2-D tensors, comma-separated
        available: String,
    },
}

impl Error {
    /// Whether the error is the input's fault (a bad file, name, tensor or loss) rather than
    /// the machine's: every variant is, since reading does not measure.
    pub fn is_user_error(&self) -> bool {
        true
    }
}

/// Result alias of the weights crate.
pub type Result<T> = std::result::Result<T, Error>;
