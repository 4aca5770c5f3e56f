//! The one error type of the store crate.

use std::path::{Path, PathBuf};

/// Errors of the run store. [`Error::is_user_error`] separates the user's mistakes (a wrong
/// directory, a changed spec, a bad shard) from failures of the machine (disk, SQLite).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The directory holds files but no store database, so it is somebody else's.
    #[error("{dir} is not a superscale store (it holds files but no {db}); a new study needs a new or empty directory", db = crate::DB_FILE)]
    NotAStore {
        /// the directory
        dir: PathBuf,
    },
    /// There is no store at all where one must exist (`ls`, `show`, `export`, `merge` inputs).
    #[error("{dir}: no superscale store here (no {db})", db = crate::DB_FILE)]
    Missing {
        /// the directory
        dir: PathBuf,
    },
    /// The database file cannot be read as a store: damaged, truncated, or another file.
    #[error("{path} is corrupted or is not a superscale store database ({message}); restore it from a copy or use another directory")]
    Corrupt {
        /// the database file
        path: PathBuf,
        /// what was wrong
        message: String,
    },
    /// The store was written in a format this build does not read.
    #[error("{path}: store format {found} is not supported by this superscale (it reads format {supported})")]
    Format {
        /// the database file
        path: PathBuf,
        /// the format found
        found: String,
        /// the format this build reads
        supported: u32,
    },
    /// The experiment, shard or another store does not match this store.
    #[error("{dir}: {message}")]
    Conflict {
        /// the store
        dir: PathBuf,
        /// what conflicts, and what to do
        message: String,
    },
    /// No run of the store has this id (or id prefix).
    #[error("{dir}: {message}")]
    UnknownRun {
        /// the store
        dir: PathBuf,
        /// which id was asked and what exists
        message: String,
    },
    /// A `--shard K/N` that is malformed or out of range.
    #[error("invalid shard '{text}': {message}")]
    Shard {
        /// what was given
        text: String,
        /// why it is invalid
        message: String,
    },
    /// The experiment source kept in the store no longer validates.
    #[error("{dir}: the experiment kept in the store no longer validates: {source}")]
    StoredSpec {
        /// the store
        dir: PathBuf,
        /// why
        source: superscale_spec::Error,
    },
    /// SQLite failed for a reason other than a damaged file (disk full, locked, ...).
    #[error("{path}: database error: {source}")]
    Sqlite {
        /// the database file
        path: PathBuf,
        /// what SQLite said
        source: rusqlite::Error,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// the file
        path: PathBuf,
        /// the cause
        source: std::io::Error,
    },
    /// A weights file or an export table could not be encoded.
    #[error("{path}: cannot write: {message}")]
    Encode {
        /// the file
        path: PathBuf,
        /// what the encoder said
        message: String,
    },
}

impl Error {
    /// Whether the error is the user's to fix (wrong directory or spec, damaged file, bad
    /// argument) rather than a failure of the machine; the CLI exits with 2 for these.
    pub fn is_user_error(&self) -> bool {
        !matches!(
            self,
            Error::Sqlite { .. } | Error::Io { .. } | Error::Encode { .. }
        )
    }
}

/// Result alias of the store crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Maps a SQLite error on `path`, turning "not a database" and "malformed" into
/// [`Error::Corrupt`] so that a damaged file reaches the user as such.
pub(crate) fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |source| match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            Error::Corrupt {
                path: path.to_path_buf(),
                message: source.to_string(),
            }
        }
        _ => Error::Sqlite {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// Maps an I/O error on `path`.
pub(crate) fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}
