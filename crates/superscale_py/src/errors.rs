//! The exception hierarchy (safetensors' `create_exception!` layout, `docs/science/conventions.md`
//! §7) and the mapping of every crate's errors onto it, variant by variant.
//!
//! Messages are the crates' `Display` text, so Python shows exactly what the CLI prints
//! after `error: ` (for a spec: `file:line: field `name`: why`). No Rust panic reaches
//! Python: library calls go through [`guard`] or [`detached`], which turn a panic into a
//! [`SuperscaleError`] naming it as a bug.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError};
use pyo3::prelude::*;
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

create_exception!(
    superscale,
    SuperscaleError,
    PyException,
    "Base class of every error raised by superscale."
);
create_exception!(
    superscale,
    SpecError,
    SuperscaleError,
    "An experiment spec that cannot be run. The message names the file, the line and the \
     field, as the CLI does; the attributes ``path``, ``line`` and ``field`` (``column`` for \
     malformed TOML) carry them separately (``None`` where they do not apply)."
);
create_exception!(
    superscale,
    RunError,
    SuperscaleError,
    "A run could not be built or trained (a diverged run is a result, not an error)."
);
create_exception!(
    superscale,
    FitError,
    SuperscaleError,
    "Data that cannot be fitted: too few points, a non-positive value under a logarithm, a \
     NaN, mismatched lengths or an invalid option."
);
create_exception!(
    superscale,
    MeasureError,
    SuperscaleError,
    "A weight matrix that cannot be measured (for example one with zero columns)."
);
create_exception!(
    superscale,
    StoreError,
    SuperscaleError,
    "The run store could not be opened, read or written, or does not match the study (a \
     changed spec, a directory that is not a store); the message is the CLI's."
);

/// Registers the exception classes in the native module.
pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("SuperscaleError", py.get_type::<SuperscaleError>())?;
    module.add("SpecError", py.get_type::<SpecError>())?;
    module.add("RunError", py.get_type::<RunError>())?;
    module.add("FitError", py.get_type::<FitError>())?;
    module.add("MeasureError", py.get_type::<MeasureError>())?;
    module.add("StoreError", py.get_type::<StoreError>())?;
    Ok(())
}

/// A [`SpecError`] with the location as attributes.
pub fn spec_error(py: Python<'_>, err: &superscale_spec::Error) -> PyErr {
    use superscale_spec::Error;
    let error = SpecError::new_err(err.to_string());
    let (path, line, column, field) = match err {
        Error::Io { path, .. } => (path, None, None, None),
        Error::Parse {
            path, line, column, ..
        } => (path, Some(*line), Some(*column), None),
        Error::Invalid {
            path, line, field, ..
        } => (path, Some(*line), None, Some(field.clone())),
    };
    let value = error.value(py);
    // Setting attributes on a fresh exception instance cannot fail in practice; if it did,
    // the message still carries everything.
    let _ = value.setattr("path", path.display().to_string());
    let _ = value.setattr("line", line);
    let _ = value.setattr("column", column);
    let _ = value.setattr("field", field);
    error
}

/// The Python exception of an engine error: a bad spec is a [`SpecError`], a store
/// problem a [`StoreError`], a run that could not be trained a [`RunError`], anything else
/// a [`SuperscaleError`]; the message is the CLI's.
pub fn engine_error(py: Python<'_>, err: &superscale_engine::Error) -> PyErr {
    use superscale_engine::Error;
    match err {
        Error::Spec(err) => spec_error(py, err),
        Error::Store(_) | Error::Record(_) => StoreError::new_err(err.to_string()),
        Error::Run(_) => RunError::new_err(err.to_string()),
        Error::Report(err) => report_error(err),
        Error::Analysis(_) | Error::ThreadPool { .. } => SuperscaleError::new_err(err.to_string()),
    }
}

/// A [`StoreError`] from the store crate's error, with the CLI's message.
pub fn store_error(err: &superscale_store::Error) -> PyErr {
    StoreError::new_err(err.to_string())
}

/// A [`FitError`] from the fitting crate's error.
pub fn fit_error(err: &superscale_fit::Error) -> PyErr {
    FitError::new_err(err.to_string())
}

/// A [`MeasureError`] from the measurement crate's error.
pub fn measure_error(err: &superscale_measure::Error) -> PyErr {
    MeasureError::new_err(err.to_string())
}

/// Report errors: a file that cannot be written is an `OSError`, a plot or a figure that
/// cannot be exported a [`SuperscaleError`].
pub fn report_error(err: &superscale_report::Error) -> PyErr {
    match err {
        superscale_report::Error::Io { .. } => PyOSError::new_err(err.to_string()),
        superscale_report::Error::Plot { .. } | superscale_report::Error::Figure { .. } => {
            SuperscaleError::new_err(err.to_string())
        }
    }
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// The error raised in place of a panic.
pub fn panic_error(what: &str, payload: &(dyn Any + Send)) -> PyErr {
    SuperscaleError::new_err(format!(
        "internal error in {what} (a bug in superscale, please report it): {}",
        panic_message(payload)
    ))
}

/// Runs `f` with the GIL held, turning a panic into a [`SuperscaleError`].
pub fn guard<T>(what: &str, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(panic_error(what, &*payload)))
}

/// Runs `f` with the GIL released (other Python threads run meanwhile), turning a panic
/// into a [`SuperscaleError`].
pub fn detached<T, F>(py: Python<'_>, what: &str, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    py.detach(|| catch_unwind(AssertUnwindSafe(f)))
        .map_err(|payload| panic_error(what, &*payload))
}
