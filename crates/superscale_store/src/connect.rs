//! Opening the database file: read-only for readers, read-write for the one writer, and a
//! fresh file for a new store. Nothing here changes a file that is not a store.

use crate::error::{corrupt, io, sqlite, Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// How long a connection waits for another one (a checkpoint, a commit) before giving up.
const BUSY: Duration = Duration::from_secs(30);

/// Rejects a file that is not an SQLite database before SQLite touches it: SQLite would
/// take an empty file for a new database, and could add a log beside a stranger's file.
pub(crate) fn check_file(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]).map_err(io(path))? {
            0 => break,
            n => read += n,
        }
    }
    if read == 0 {
        Err(corrupt(path, "the file is empty (0 bytes)"))
    } else if &header[..read] != b"SQLite format 3\0" {
        Err(corrupt(
            path,
            "the file does not start with the SQLite header",
        ))
    } else {
        Ok(())
    }
}

/// Whether the database header says WAL mode (file format bytes 18 and 19 are 2).
fn is_wal(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut header))
        .is_ok_and(|()| header[18] == 2 && header[19] == 2)
}

/// Opens the database for reading only: never writes to it (no journal-mode switch, no
/// checkpoint, no recovery), works while the writer runs, and on a read-only directory.
pub(crate) fn open_read(path: &Path) -> Result<Connection> {
    check_file(path)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(sqlite(path))?;
    conn.busy_timeout(BUSY).map_err(sqlite(path))?;
    match probe(&conn) {
        Ok(()) => Ok(conn),
        // A WAL database needs its shared-memory file beside it; on a read-only directory
        // without one SQLite cannot create it. Then no writer can be active, and with no
        // log left to replay the file alone is the whole store: open it as immutable.
        Err(err) if cannot_open_log(&err) && is_wal(path) => {
            let wal = wal_file(path);
            if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
                return Err(Error::UnreadableLog {
                    path: path.to_path_buf(),
                });
            }
            let uri = format!("file:{}?immutable=1", uri_path(path));
            let conn = Connection::open_with_flags(&uri, flags).map_err(sqlite(path))?;
            probe(&conn).map_err(sqlite(path))?;
            Ok(conn)
        }
        Err(err) => Err(sqlite(path)(err)),
    }
}

/// Runs `attempt` on the database `path` and, when it fails, removes the log and
/// shared-memory files SQLite made beside a file it then refused (a damaged or foreign
/// database): a failed look leaves the directory as it was. Files that were there before
/// (a live writer's) are never touched.
pub(crate) fn leaving_no_trace<T>(path: &Path, attempt: impl FnOnce() -> Result<T>) -> Result<T> {
    let sidecars = [sidecar(path, "-wal"), sidecar(path, "-shm")];
    let existed = sidecars.clone().map(|file| file.exists());
    let outcome = attempt();
    if outcome.is_err() {
        for (file, existed) in sidecars.iter().zip(existed) {
            if !existed {
                let _ = std::fs::remove_file(file);
            }
        }
    }
    outcome
}

fn sidecar(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// The first read, which is where SQLite opens the log of a WAL database.
fn probe(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
}

fn cannot_open_log(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen)
    )
}

fn wal_file(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

/// The path for an SQLite URI: every byte but unreserved ones and `/` percent-encoded.
fn uri_path(path: &Path) -> String {
    let bytes = path.as_os_str().as_encoded_bytes();
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Opens an existing store database for the writer (who holds the lock). WAL: readers
/// (`superscale ls` while a sweep runs) never block the writer, and a commit is one append
/// to the log, so a SIGKILL at any moment leaves the last committed state.
/// synchronous=NORMAL keeps commits durable against a killed process (the log is in the OS
/// page cache); only a power cut can lose the last few commits, never corrupt the store.
pub(crate) fn open_write(path: &Path) -> Result<Connection> {
    check_file(path)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(sqlite(path))?;
    // First, so that even switching to WAL waits for a reader to finish.
    conn.busy_timeout(BUSY).map_err(sqlite(path))?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(sqlite(path))?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(sqlite(path))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(sqlite(path))?;
    Ok(conn)
}

/// Creates a new database file (the caller builds it under a temporary name and renames
/// it into place when complete). It stays in the default rollback-journal mode until then:
/// a WAL log is tied to its database's name.
pub(crate) fn create(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(sqlite(path))?;
    conn.busy_timeout(BUSY).map_err(sqlite(path))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(sqlite(path))?;
    Ok(conn)
}
