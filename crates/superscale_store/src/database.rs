//! The database: its tables (format 2) and the study-level metadata.
//!
//! `meta` is a key/value table of the study, including the kind's [`Schema`] as JSON;
//! `runs` has one row per (run id, replicate) from the moment the study is planned, so a
//! run's status is always known; `scalars`, `curves` and `arrays` are long tables holding
//! what a finished run recorded, whatever its kind, written in the same transaction that
//! marks it finished. The value columns have no declared type on purpose: REAL affinity
//! stores an integral double as an integer, which turns −0.0 into 0 and would break
//! bit-exact results. SQLite has no NaN, so a NaN is stored as NULL; a missing scalar has
//! no row at all, which keeps the two apart (see `docs/store.md`).

use crate::error::{corrupt, sqlite, Error, Result};
use crate::output::Schema;
use crate::shard::Shard;
use rusqlite::{params, Connection, Transaction};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The database file inside a store directory.
pub const DB_FILE: &str = "superscale.db";
/// The format this build writes (it also reads format 1, through a migration).
pub const FORMAT_VERSION: u32 = 2;
pub(crate) const FORMAT_NAME: &str = "superscale-store";
/// Where a new database is built before it is renamed to [`DB_FILE`], so that a store
/// directory never holds a half-created database.
pub(crate) const PARTIAL_FILE: &str = "superscale.db.partial";

/// The `runs` table, unchanged since format 1.
pub(crate) const RUNS_TABLE: &str = "
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
";

/// The tables of a finished run's output (format 2).
pub(crate) const OUTPUT_TABLES: &str = "
CREATE TABLE scalars (
    run_id TEXT NOT NULL,
    replicate INTEGER NOT NULL,
    name TEXT NOT NULL,
    value,
    PRIMARY KEY (run_id, replicate, name),
    FOREIGN KEY (run_id, replicate) REFERENCES runs (run_id, replicate)
) WITHOUT ROWID;
CREATE TABLE curves (
    run_id TEXT NOT NULL,
    replicate INTEGER NOT NULL,
    name TEXT NOT NULL,
    point INTEGER NOT NULL,
    step INTEGER NOT NULL,
    value,
    PRIMARY KEY (run_id, replicate, name, point),
    FOREIGN KEY (run_id, replicate) REFERENCES runs (run_id, replicate)
) WITHOUT ROWID;
CREATE TABLE arrays (
    run_id TEXT NOT NULL,
    replicate INTEGER NOT NULL,
    name TEXT NOT NULL,
    dtype TEXT NOT NULL CHECK (dtype IN ('f64', 'f32')),
    shape TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (run_id, replicate, name),
    FOREIGN KEY (run_id, replicate) REFERENCES runs (run_id, replicate)
) WITHOUT ROWID;
";

/// The study-level facts kept in `meta`.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    /// the experiment's name
    pub name: String,
    /// the experiment file's text, exactly as last run (the caller re-parses it to rebuild
    /// the study's runs)
    pub source: String,
    /// where that file was read from (for messages only)
    pub source_path: PathBuf,
    /// hash of the experiment's full set of (run id, replicate), see [`crate::fingerprint`]
    pub fingerprint: String,
    /// the slice of the study this store holds, or `None` for all of it
    pub shard: Option<Shard>,
    /// when the store was created (ISO 8601 UTC)
    pub created_at: String,
    /// what the study's kind records of every run (its name is `schema.kind`)
    pub schema: Schema,
}

/// The tables each format must have.
fn required_tables(version: u32) -> &'static [&'static str] {
    match version {
        1 => &["meta", "runs", "results", "curves", "row_norms"],
        _ => &["meta", "runs", "scalars", "curves", "arrays"],
    }
}

/// Reads the metadata and the format version, refusing a database that is not a store
/// (another program's SQLite file, a store of an unknown format). A format-1 store has no
/// schema in `meta`: it gets the toy schema its tables held.
pub(crate) fn read_meta(conn: &Connection, path: &Path) -> Result<(u32, Meta)> {
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
    if !tables.iter().any(|t| t == "meta") {
        return Err(corrupt(
            path,
            if tables.is_empty() {
                "it is an SQLite database without tables".to_string()
            } else {
                "it is an SQLite database without the store's `meta` table".to_string()
            },
        ));
    }
    let mut statement = conn
        .prepare("SELECT key, value FROM meta")
        .map_err(sqlite(path))?;
    let pairs = statement
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(|err| corrupt(path, format!("its `meta` table is not the store's: {err}")))?;
    let mut meta: BTreeMap<String, String> = pairs
        .collect::<rusqlite::Result<_>>()
        .map_err(|err| corrupt(path, format!("its `meta` table is not the store's: {err}")))?;
    if meta.get("format").map(String::as_str) != Some(FORMAT_NAME) {
        return Err(corrupt(path, "it has no `format = superscale-store` entry"));
    }
    let found = meta.remove("format_version").unwrap_or_default();
    let version = match found.as_str() {
        "1" => 1,
        "2" => 2,
        _ => {
            return Err(Error::Format {
                path: path.to_path_buf(),
                found,
                supported: FORMAT_VERSION,
            })
        }
    };
    for table in required_tables(version) {
        if !tables.iter().any(|t| t == table) {
            return Err(corrupt(path, format!("table `{table}` is missing")));
        }
    }
    let mut take = |key: &str| {
        meta.remove(key)
            .ok_or_else(|| corrupt(path, format!("meta key `{key}` is missing")))
    };
    let shard = match take("shard")?.as_str() {
        "" => None,
        text => Some(
            text.parse()
                .map_err(|err: Error| corrupt(path, err.to_string()))?,
        ),
    };
    let schema = if version == 1 {
        crate::migrate::toy_schema()
    } else {
        serde_json::from_str(&take("schema")?)
            .map_err(|err| corrupt(path, format!("meta key `schema` is not a schema: {err}")))?
    };
    Ok((
        version,
        Meta {
            name: take("name")?,
            source: take("source")?,
            source_path: PathBuf::from(take("source_path")?),
            fingerprint: take("fingerprint")?,
            shard,
            created_at: take("created_at")?,
            schema,
        },
    ))
}

/// Creates the tables and writes `meta`, inside the caller's transaction.
pub(crate) fn initialise(tx: &Transaction<'_>, meta: &Meta, path: &Path) -> Result<()> {
    tx.execute_batch(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
    )
    .map_err(sqlite(path))?;
    tx.execute_batch(RUNS_TABLE).map_err(sqlite(path))?;
    tx.execute_batch(OUTPUT_TABLES).map_err(sqlite(path))?;
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

/// Writes the experiment's keys of `meta` (they change when a study is extended) and the
/// schema.
pub(crate) fn write_meta(tx: &Transaction<'_>, meta: &Meta, path: &Path) -> Result<()> {
    let schema = serde_json::to_string(&meta.schema).expect("a schema is plain data");
    let mut upsert = tx
        .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")
        .map_err(sqlite(path))?;
    for (key, value) in [
        ("name", meta.name.as_str()),
        ("source", meta.source.as_str()),
        ("source_path", &meta.source_path.to_string_lossy()),
        ("fingerprint", meta.fingerprint.as_str()),
        ("schema", schema.as_str()),
    ] {
        upsert.execute(params![key, value]).map_err(sqlite(path))?;
    }
    Ok(())
}
