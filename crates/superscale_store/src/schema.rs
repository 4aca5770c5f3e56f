//! The database: its tables, how it is opened, and the study-level metadata.
//!
//! Layout (format 1). `meta` is a key/value table of the study; `runs` has one row per
//! (run id, replicate) from the moment the study is planned, so a run's status is always
//! known; `results`, `curves` and `row_norms` hold what a finished run measured and are
//! written in the same transaction that marks it finished. Floats are IEEE doubles; SQLite
//! cannot store NaN, so a NaN is stored as NULL and read back as NaN. The measured float
//! columns have no declared type on purpose: REAL affinity stores an integral double as an
//! integer, which turns −0.0 into 0 and would break bit-exact results.

use crate::error::{io, sqlite, Error, Result};
use crate::shard::Shard;
use rusqlite::{params, Connection, OpenFlags, Transaction};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The database file inside a store directory.
pub const DB_FILE: &str = "superscale.db";
/// The format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const FORMAT_NAME: &str = "superscale-store";

const TABLES: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE runs (
    run_id TEXT NOT NULL,
    replicate INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    seed TEXT NOT NULL,
    spec_json TEXT NOT NULL,
    axes_json TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'done', 'diverged', 'failed')),
    diverged_step INTEGER,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_at TEXT,
    finished_at TEXT,
    seconds REAL,
    host TEXT,
    superscale_version TEXT,
    git_commit TEXT,
    weights_file TEXT,
    digest TEXT,
    weights_digest TEXT,
    PRIMARY KEY (run_id, replicate)
) WITHOUT ROWID;
CREATE INDEX runs_by_idx ON runs (idx);
CREATE TABLE results (
    run_id TEXT NOT NULL,
    replicate INTEGER NOT NULL,
    loss_train_tail_n_mse,
    loss_train_tail_sd_n_mse,
    loss_heldout_n_mse,
    sparse_backward_fraction,
    phi_half,
    phi_one,
    dimensions_per_feature,
    rows_overlap_all INTEGER,
    mean_sq_overlap_all,
    var_sq_overlap_all,
    mean_abs_overlap_all,
    rows_norm_above_1 INTEGER,
    mean_sq_overlap_norm_above_1,
    var_sq_overlap_norm_above_1,
    mean_abs_overlap_norm_above_1,
    welch_kappa_sq_norm_above_1,
    PRIMARY KEY (run_id, replicate),
    FOREIGN KEY (run_id, replicate) REFERENCES runs (run_id, replicate)
) WITHOUT ROWID;
CREATE TABLE curves (
    run_id TEXT NOT NULL,
    replicate INTEGER NOT NULL,
    point INTEGER NOT NULL,
    step INTEGER NOT NULL,
    loss_batch_n_mse,
    PRIMARY KEY (run_id, replicate, point),
    FOREIGN KEY (run_id, replicate) REFERENCES runs (run_id, replicate)
) WITHOUT ROWID;
CREATE TABLE row_norms (
    run_id TEXT NOT NULL,
    replicate INTEGER NOT NULL,
    feature INTEGER NOT NULL,
    norm,
    PRIMARY KEY (run_id, replicate, feature),
    FOREIGN KEY (run_id, replicate) REFERENCES runs (run_id, replicate)
) WITHOUT ROWID;
";

/// The study-level facts kept in `meta`.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    /// the experiment's name
    pub name: String,
    /// the experiment file's text, exactly as last run (re-parsed to rebuild run points)
    pub source: String,
    /// where that file was read from (for messages only)
    pub source_path: PathBuf,
    /// hash of the experiment's full set of (run id, replicate), see [`crate::fingerprint`]
    pub fingerprint: String,
    /// the slice of the study this store holds, or `None` for all of it
    pub shard: Option<Shard>,
    /// when the store was created (ISO 8601 UTC)
    pub created_at: String,
}

/// What a database file turned out to hold.
pub(crate) enum Contents {
    /// no tables: a store whose creation was interrupted before its first commit
    Empty,
    /// an initialised store
    Store(Meta),
}

/// Opens (or, with `create`, creates) the database file with the store's settings.
pub(crate) fn connect(path: &Path, create: bool) -> Result<Connection> {
    check_header(path)?;
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).map_err(sqlite(path))?;
    // First, so that even switching to WAL waits for a reader (`superscale ls`) to finish.
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(sqlite(path))?;
    // WAL: readers (`ls` while a sweep runs) never block the writer, and a commit is one
    // append to the log, so a SIGKILL at any moment leaves the last committed state.
    // synchronous=NORMAL keeps commits durable against a killed process (the log is in
    // the OS page cache); only a power cut can lose the last few commits, never corrupt.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(sqlite(path))?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(sqlite(path))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(sqlite(path))?;
    Ok(conn)
}

/// Rejects a file that is not SQLite before SQLite touches it (and before it could add a
/// `-wal` file beside a stranger's file).
fn check_header(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(io(path)(err)),
    };
    let read = file.read(&mut header).map_err(io(path))?;
    if read == 0 || &header[..read] == b"SQLite format 3\0" {
        Ok(())
    } else {
        Err(Error::Corrupt {
            path: path.to_path_buf(),
            message: "the file does not start with the SQLite header".into(),
        })
    }
}

/// Reads the metadata, telling an interrupted creation (no tables) from a store and from
/// a database that is something else.
pub(crate) fn read_contents(conn: &Connection, path: &Path) -> Result<Contents> {
    let tables: Vec<String> = {
        let mut statement = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .map_err(sqlite(path))?;
        let names = statement
            .query_map([], |row| row.get(0))
            .map_err(sqlite(path))?;
        names
            .collect::<rusqlite::Result<_>>()
            .map_err(sqlite(path))?
    };
    if tables.is_empty() {
        return Ok(Contents::Empty);
    }
    let corrupt = |message: String| Error::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    for table in ["meta", "runs", "results", "curves", "row_norms"] {
        if !tables.iter().any(|t| t == table) {
            return Err(corrupt(format!("table `{table}` is missing")));
        }
    }
    let mut statement = conn
        .prepare("SELECT key, value FROM meta")
        .map_err(sqlite(path))?;
    let pairs = statement
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(sqlite(path))?;
    let mut meta: BTreeMap<String, String> = pairs
        .collect::<rusqlite::Result<_>>()
        .map_err(sqlite(path))?;
    if meta.get("format").map(String::as_str) != Some(FORMAT_NAME) {
        return Err(corrupt(
            "it has no `format = superscale-store` entry".into(),
        ));
    }
    let version = meta.remove("format_version").unwrap_or_default();
    if version != FORMAT_VERSION.to_string() {
        return Err(Error::Format {
            path: path.to_path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let mut take = |key: &str| {
        meta.remove(key)
            .ok_or_else(|| corrupt(format!("meta key `{key}` is missing")))
    };
    let shard = match take("shard")?.as_str() {
        "" => None,
        text => Some(
            text.parse()
                .map_err(|err: Error| corrupt(err.to_string()))?,
        ),
    };
    Ok(Contents::Store(Meta {
        name: take("name")?,
        source: take("source")?,
        source_path: PathBuf::from(take("source_path")?),
        fingerprint: take("fingerprint")?,
        shard,
        created_at: take("created_at")?,
    }))
}

/// Creates the tables and writes `meta`, inside the caller's transaction so a kill leaves
/// either nothing or a complete store.
pub(crate) fn initialise(tx: &Transaction<'_>, meta: &Meta, path: &Path) -> Result<()> {
    tx.execute_batch(TABLES).map_err(sqlite(path))?;
    write_meta(tx, meta, path)?;
    let mut insert = tx
        .prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")
        .map_err(sqlite(path))?;
    for (key, value) in [
        ("format", FORMAT_NAME.to_string()),
        ("format_version", FORMAT_VERSION.to_string()),
        ("created_at", meta.created_at.clone()),
        (
            "created_by",
            format!("superscale {}", crate::provenance::version()),
        ),
        (
            "shard",
            meta.shard.map(|s| s.to_string()).unwrap_or_default(),
        ),
    ] {
        insert.execute(params![key, value]).map_err(sqlite(path))?;
    }
    Ok(())
}

/// Writes the experiment's keys of `meta` (they change when a study is extended).
pub(crate) fn write_meta(tx: &Transaction<'_>, meta: &Meta, path: &Path) -> Result<()> {
    let mut upsert = tx
        .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")
        .map_err(sqlite(path))?;
    for (key, value) in [
        ("name", meta.name.as_str()),
        ("source", meta.source.as_str()),
        ("source_path", &meta.source_path.to_string_lossy()),
        ("fingerprint", meta.fingerprint.as_str()),
    ] {
        upsert.execute(params![key, value]).map_err(sqlite(path))?;
    }
    Ok(())
}
