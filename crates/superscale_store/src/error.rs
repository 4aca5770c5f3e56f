//! The one error type of the store crate.

use std::path::{Path, PathBuf};

/// Errors of the run store. [`Error::is_user_error`] separates the user's mistakes (a wrong
/// directory, a changed spec, a bad shard, a store in use) from failures of the machine
/// (disk, SQLite) and of the calling code (an output that does not fit its schema).
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
    /// The database file cannot be read as a store: damaged, truncated, empty, another
    /// program's file, or a run whose rows no longer match their digest.
    #[error("{path} is corrupted or is not a superscale store database ({message}); superscale left it untouched: restore it from a copy or use another directory")]
    Corrupt {
        /// the database file (or weights file)
        path: PathBuf,
        /// what was wrong
        message: String,
    },
    /// The store was written in a format this build does not read.
    #[error("{path}: store format {found} is not supported by this superscale (it reads formats 1 and {supported})")]
    Format {
        /// the database file
        path: PathBuf,
        /// the format found
        found: String,
        /// the format this build writes
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
    /// Another process writes this store (a run, an extension or a merge into it).
    #[error("{dir} is in use by another superscale process ({holder}); wait for it to finish, or read the store meanwhile (`ls`, `show`, `export` work while it runs)")]
    Locked {
        /// the store
        dir: PathBuf,
        /// who holds the lock, as it wrote itself into the lock file
        holder: String,
    },
    /// The store's log holds commits SQLite cannot read from a read-only directory.
    #[error("{path}: the store's directory is read-only and its log ({path}-wal) still holds commits that SQLite can only read with a writable directory; copy the store somewhere writable and read the copy")]
    UnreadableLog {
        /// the database file
        path: PathBuf,
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
    /// A write through a store opened for reading (a bug of the caller: writers come from
    /// [`crate::Store::prepare`]).
    #[error("{dir}: the store was opened for reading; writes need Store::prepare, which takes the writer lock")]
    ReadOnly {
        /// the store
        dir: PathBuf,
    },
    /// A schema or a run output that the store cannot keep as declared (a bug of the kind
    /// that made it, not of the user).
    #[error("{message}")]
    Schema {
        /// what does not fit
        message: String,
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
    /// argument, a store in use) rather than a failure of the machine or of the calling
    /// code; the CLI exits with 2 for these.
    pub fn is_user_error(&self) -> bool {
        !matches!(
            self,
            Error::Sqlite { .. }
                | Error::Io { .. }
                | Error::Encode { .. }
                | Error::ReadOnly { .. }
                | Error::Schema { .. }
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

/// A damaged or foreign file at `path`.
pub(crate) fn corrupt(path: &Path, message: impl Into<String>) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        message: message.into(),
    }
}
