//! Reading a store back: run records, and the finished runs' outputs, each checked bit for
//! bit against its digest.

use crate::error::{corrupt, sqlite, Error, Result};
use crate::output::{End, RunOutput};
use crate::record::{RunRecord, RunState};
use crate::rows::Rows;
use crate::store::Store;
use rusqlite::types::Value;
use rusqlite::{Connection, Row};
use std::path::Path;

const RECORD_COLUMNS: &str = "r.run_id, r.replicate, r.idx, r.seed, r.spec_json, r.axes_json, r.status, r.diverged_step, r.error,
    r.attempts, r.started_at, r.finished_at, r.seconds, r.host, r.superscale_version, r.git_commit, r.weights_file, r.digest,
    r.weights_digest, h.value";

fn record(row: &Row<'_>) -> rusqlite::Result<RunRecord> {
    let text_error = |index: usize, message: String| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            message.into(),
        )
    };
    let seed: String = row.get(3)?;
    let axes: String = row.get(5)?;
    let status: String = row.get(6)?;
    let state = RunState::parse(&status)
        .ok_or_else(|| text_error(6, format!("unknown status '{status}'")))?;
    let headline = match row.get::<_, Value>(19)? {
        Value::Real(v) if state.is_finished() => Some(v),
        Value::Integer(v) if state.is_finished() => Some(v as f64),
        _ => None,
    };
    Ok(RunRecord {
        run_id: row.get(0)?,
        replicate: row.get(1)?,
        index: row.get::<_, i64>(2)? as usize,
        seed: seed
            .parse()
            .map_err(|_| text_error(3, format!("seed '{seed}' is not a u64")))?,
        spec_json: row.get(4)?,
        axes: serde_json::from_str(&axes).map_err(|err| text_error(5, err.to_string()))?,
        state,
        diverged_step: row.get::<_, Option<i64>>(7)?.map(|s| s as u64),
        error: row.get(8)?,
        attempts: row.get(9)?,
        started_at: row.get(10)?,
        finished_at: row.get(11)?,
        seconds: row.get(12)?,
        host: row.get(13)?,
        superscale_version: row.get(14)?,
        git_commit: row.get(15)?,
        weights_file: row.get(16)?,
        digest: row.get(17)?,
        weights_digest: row.get(18)?,
        headline,
    })
}

/// A value that cannot be what this crate wrote means a damaged or foreign file.
fn corrupt_or(path: &Path, err: rusqlite::Error) -> Error {
    match err {
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::IntegralValueOutOfRange(..) => corrupt(path, err.to_string()),
        other => sqlite(path)(other),
    }
}

/// The run records matching `filter` (`?2` bound to `arg`), in the study's order.
pub(crate) fn records(
    conn: &Connection,
    headline: Option<&str>,
    filter: &str,
    arg: &str,
    path: &Path,
) -> Result<Vec<RunRecord>> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM runs r LEFT JOIN scalars h
         ON h.run_id = r.run_id AND h.replicate = r.replicate AND h.name = ?1
         {filter} ORDER BY r.idx, r.replicate"
    );
    let mut statement = conn.prepare(&sql).map_err(sqlite(path))?;
    let rows = statement
        .query_map(rusqlite::params![headline.unwrap_or_default(), arg], record)
        .map_err(sqlite(path))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(|err| corrupt_or(path, err))
}

/// The finished runs (all, or one) with their outputs, in the study's order.
pub(crate) fn finished(
    store: &Store,
    only: Option<(&str, u32)>,
) -> Result<Vec<(RunRecord, RunOutput)>> {
    let path = &store.path;
    let (filter, key) = match only {
        Some(key) => ("AND r.run_id = ?2 AND r.replicate = ?3", key),
        None => ("AND ?2 = '' AND ?3 = 0", ("", 0)),
    };
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM runs r LEFT JOIN scalars h
         ON h.run_id = r.run_id AND h.replicate = r.replicate AND h.name = ?1
         WHERE r.status IN ('done', 'diverged') {filter} ORDER BY r.idx, r.replicate"
    );
    let runs: Vec<RunRecord> = {
        let mut statement = store.conn.prepare(&sql).map_err(sqlite(path))?;
        let rows = statement
            .query_map(
                rusqlite::params![
                    store.meta.schema.headline.as_deref().unwrap_or_default(),
                    key.0,
                    key.1
                ],
                record,
            )
            .map_err(sqlite(path))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|err| corrupt_or(path, err))?
    };
    let mut rows = Rows::read(&store.conn, only, path)?;
    runs.into_iter()
        .map(|run| {
            let end = match run.state {
                RunState::Diverged => End::Diverged {
                    step: run.diverged_step.unwrap_or_default(),
                },
                _ => End::Done,
            };
            let key = (run.run_id.clone(), run.replicate);
            let output = rows
                .output(
                    &store.meta.schema,
                    &key,
                    end,
                    run.seconds.unwrap_or(f64::NAN),
                    run.digest.as_deref(),
                )
                .map_err(|message| {
                    corrupt(
                        path,
                        format!("run {} replicate {}: {message}", key.0, key.1),
                    )
                })?;
            Ok((run, output))
        })
        .collect()
}

impl Store {
    /// Every run of the store, in the study's order.
    pub fn runs(&self) -> Result<Vec<RunRecord>> {
        records(
            &self.conn,
            self.meta.schema.headline.as_deref(),
            "WHERE ?2 = ''",
            "",
            &self.path,
        )
    }

    /// The runs whose id starts with `prefix` (all their replicates); an error when none
    /// or several run ids match, so `show` never shows the wrong run.
    pub fn find(&self, prefix: &str) -> Result<Vec<RunRecord>> {
        let pattern = format!("{}%", prefix.replace(['%', '_'], ""));
        let found = records(
            &self.conn,
            self.meta.schema.headline.as_deref(),
            "WHERE r.run_id LIKE ?2",
            &pattern,
            &self.path,
        )?;
        let mut ids: Vec<&str> = found.iter().map(|r| r.run_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let unknown = |message: String| {
            Err(Error::UnknownRun {
                dir: self.dir.clone(),
                message,
            })
        };
        match ids.len() {
            _ if prefix.is_empty() => unknown(
                "give a run id (or a unique prefix of one); `superscale ls` lists them".into(),
            ),
            0 => unknown(format!(
                "no run id starts with '{prefix}'; `superscale ls` lists them"
            )),
            1 => Ok(found),
            n => unknown(format!(
                "'{prefix}' is the start of {n} run ids ({}, ...); give more digits",
                ids[..2].join(", ")
            )),
        }
    }

    /// The finished (done or diverged) runs in the study's order with their outputs, each
    /// checked against its digest ([`Error::Corrupt`] names the first run that does not
    /// match). `weights` are empty (read them with [`crate::read_weights`]); `seconds` is
    /// NaN where the store has no time. All from one snapshot of the database, so a
    /// writer committing meanwhile cannot tear it.
    pub fn outputs(&self) -> Result<Vec<(RunRecord, RunOutput)>> {
        self.snapshot(|store| finished(store, None))
    }

    /// One run's output, checked against its digest; `None` if the run is not finished
    /// (or not a run of the store).
    pub fn output(&self, run_id: &str, replicate: u32) -> Result<Option<RunOutput>> {
        self.snapshot(|store| {
            Ok(finished(store, Some((run_id, replicate)))?
                .pop()
                .map(|(_, output)| output))
        })
    }

    /// Runs `read` inside one read transaction: every query sees the same commit.
    pub(crate) fn snapshot<T>(&self, read: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(sqlite(&self.path))?;
        let value = read(self)?;
        // Read only: ending it is all that is left to do.
        drop(tx);
        Ok(value)
    }
}
