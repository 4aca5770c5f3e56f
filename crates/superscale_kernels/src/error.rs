//! The one error type of the kernel crate.

/// Shape errors of the kernels. Numeric outcomes (NaN, divergence) are not errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Two operands of a kernel do not have compatible shapes.
    #[error("{op}: shape mismatch, expected {expected}, got {got}")]
    ShapeMismatch {
        /// the kernel that was called
        op: &'static str,
        /// the shape it needed
        expected: String,
        /// the shape it was given
        got: String,
    },
}

/// Result alias of the kernel crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn check(
    op: &'static str,
    ok: bool,
    expected: impl FnOnce() -> (String, String),
) -> Result<()> {
    if ok {
        Ok(())
    } else {
        let (expected, got) = expected();
        Err(Error::ShapeMismatch { op, expected, got })
    }
}
