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
    /// The file system holding the store has no space left. Committed runs are intact
    /// (SQLite rolls back the transaction it could not write).
    #[error("{path}: the disk is full (no space left on the file system holding it): free some space and run the same command again to resume")]
    DiskFull {
        /// the file being written
        path: PathBuf,
    },
    /// SQLite failed for a reason other than a damaged file or a full disk (locked, ...).
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
                | Error::DiskFull { .. }
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
        Some(rusqlite::ErrorCode::DiskFull) => Error::DiskFull {
            path: path.to_path_buf(),
        },
        // A full disk met while growing the WAL index or writing a page reaches SQLite as a
        // plain I/O error (`xShmMap`, `xWrite`): name it for what it is when the file
        // system is indeed full.
        Some(rusqlite::ErrorCode::SystemIoFailure) if file_system_full(path) => Error::DiskFull {
            path: path.to_path_buf(),
        },
        _ => Error::Sqlite {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// Maps an I/O error on `path` (`ENOSPC` becomes [`Error::DiskFull`]).
pub(crate) fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| {
        if source.kind() == std::io::ErrorKind::StorageFull {
            Error::DiskFull {
                path: path.to_path_buf(),
            }
        } else {
            Error::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// Whether the file system holding `path` (or its directory, for a file not yet made) has
/// less than a page of SQLite's worth of space left for an unprivileged writer.
fn file_system_full(path: &Path) -> bool {
    let probe = if path.exists() {
        path
    } else {
        path.parent().unwrap_or(path)
    };
    free_bytes(probe).is_some_and(|free| free < 64 * 1024)
}

#[cfg(unix)]
#[allow(unsafe_code)] // statvfs(3) has no safe wrapper in std
fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `name` is a NUL-terminated path and `stats` is written by statvfs before it
    // is read, only when the call succeeds.
    let stats = unsafe {
        if libc::statvfs(name.as_ptr(), stats.as_mut_ptr()) != 0 {
            return None;
        }
        stats.assume_init()
    };
    #[allow(clippy::unnecessary_cast)] // the field types differ between platforms
    Some(stats.f_bavail as u64 * stats.f_frsize as u64)
}

#[cfg(not(unix))]
fn free_bytes(_path: &Path) -> Option<u64> {
    None
}

/// A damaged or foreign file at `path`.
pub(crate) fn corrupt(path: &Path, message: impl Into<String>) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_named_as_such() {
        let path = Path::new("/tmp/study/superscale.db");
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        );
        let err = sqlite(path)(full);
        assert!(matches!(err, Error::DiskFull { .. }), "{err}");
        assert!(err.to_string().contains("the disk is full"), "{err}");
        let err = io(path)(std::io::Error::from_raw_os_error(libc::ENOSPC));
        assert!(matches!(err, Error::DiskFull { .. }), "{err}");
        // an I/O error on a file system with space left stays an I/O error
        let shm = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR_SHMMAP),
            None,
        );
        let err = sqlite(Path::new("/tmp"))(shm);
        assert!(matches!(err, Error::Sqlite { .. }), "{err}");
    }
}
