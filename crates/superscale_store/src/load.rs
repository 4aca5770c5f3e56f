//! Reading a store back: run records, and the finished runs rebuilt as [`RunResult`]s for
//! the report crate, checked bit for bit against their digests.

use crate::error::{sqlite, Error, Result};
use crate::record::{result_digest, unreal, RunRecord, RunState};
use crate::store::Store;
use rusqlite::Row;
use std::collections::HashMap;
use superscale_measure::{Geometry, OverlapStats};
use superscale_kinds::{RunResult, RunStatus};

/// (run id, replicate) → [(step or feature, value)], for curves and row norms.
type LongTable = HashMap<(String, u32), Vec<(u64, f64)>>;

const RECORD_COLUMNS: &str = "r.run_id, r.replicate, r.idx, r.seed, r.spec_json, r.axes_json, r.status, r.diverged_step, r.error,
    r.attempts, r.started_at, r.finished_at, r.seconds, r.host, r.superscale_version, r.git_commit, r.weights_file, r.digest,
    r.weights_digest, res.loss_heldout_n_mse";

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
    Ok(RunRecord {
        run_id: row.get(0)?,
        replicate: row.get(1)?,
        index: row.get::<_, i64>(2)? as usize,
        seed: seed
            .parse()
            .map_err(|_| text_error(3, format!("seed '{seed}' is not a u64")))?,
        spec_json: row.get(4)?,
        axes: serde_json::from_str(&axes).map_err(|err| text_error(5, err.to_string()))?,
        state: RunState::parse(&status)
            .ok_or_else(|| text_error(6, format!("unknown status '{status}'")))?,
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
        loss_heldout: row.get(19)?,
    })
}

impl Store {
    /// Every run of the store, in the experiment's order.
    pub fn runs(&self) -> Result<Vec<RunRecord>> {
        self.query_records("", &[])
    }

    /// The runs whose id starts with `prefix` (all their replicates); an error when none
    /// or several run ids match, so `show` never shows the wrong run.
    pub fn find(&self, prefix: &str) -> Result<Vec<RunRecord>> {
        let pattern = format!("{}%", prefix.replace(['%', '_'], ""));
        let found = self.query_records("WHERE r.run_id LIKE ?1", &[&pattern])?;
        let mut ids: Vec<&str> = found.iter().map(|r| r.run_id.as_str()).collect();
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

    fn query_records(&self, filter: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<RunRecord>> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM runs r LEFT JOIN results res USING (run_id, replicate) {filter} ORDER BY r.idx, r.replicate"
        );
        let mut statement = self.conn.prepare(&sql).map_err(sqlite(&self.path))?;
        let rows = statement
            .query_map(args, record)
            .map_err(sqlite(&self.path))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|err| self.corrupt_or(err))
    }

    /// The loss curve of one run: (step, batch loss).
    pub fn curve(&self, run_id: &str, replicate: u32) -> Result<Vec<(u64, f64)>> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT step, loss_batch_n_mse FROM curves WHERE run_id = ?1 AND replicate = ?2 ORDER BY point")
            .map_err(sqlite(&self.path))?;
        let rows = statement
            .query_map(rusqlite::params![run_id, replicate], |row| {
                Ok((row.get::<_, i64>(0)? as u64, unreal(row.get(1)?)))
            })
            .map_err(sqlite(&self.path))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(sqlite(&self.path))
    }

    /// The finished (done or diverged) runs as the run crate's results, in the
    /// experiment's order, for the report. Weights are not in the database, so `weights`
    /// and `bias` are empty (see [`crate::read_weights`]). Each run's digest is checked.
    pub fn results(&self) -> Result<Vec<RunResult>> {
        self.results_of(None)
    }

    /// One finished run as a [`RunResult`] (`None` if it is not finished).
    pub fn result(&self, run_id: &str, replicate: u32) -> Result<Option<RunResult>> {
        Ok(self.results_of(Some((run_id, replicate)))?.pop())
    }

    fn results_of(&self, only: Option<(&str, u32)>) -> Result<Vec<RunResult>> {
        let experiment = self.experiment()?;
        // One run's rows (by primary key), or all of them; the key is bound, not spliced.
        let (filter, key): (&str, (&str, u32)) = match only {
            Some(key) => ("WHERE run_id = ?1 AND replicate = ?2", key),
            None => ("WHERE ?1 = '' AND ?2 = 0", ("", 0)),
        };
        let points: HashMap<(&str, u32), &superscale_spec::RunPoint> = experiment
            .points
            .iter()
            .map(|p| ((p.run_id.as_str(), p.replicate), p))
            .collect();
        let mut curves = self.long_table(
            &format!("SELECT run_id, replicate, step, loss_batch_n_mse FROM curves {filter} ORDER BY run_id, replicate, point"),
            key,
        )?;
        let mut norms =
            self.long_table(&format!("SELECT run_id, replicate, feature, norm FROM row_norms {filter} ORDER BY run_id, replicate, feature"), key)?;
        let mut statement = self
            .conn
            .prepare(&format!(
                "SELECT r.run_id, r.replicate, r.status, r.diverged_step, r.seconds, r.digest,
                 res.loss_train_tail_n_mse, res.loss_train_tail_sd_n_mse, res.loss_heldout_n_mse, res.sparse_backward_fraction,
                 res.phi_half, res.phi_one, res.dimensions_per_feature,
                 res.rows_overlap_all, res.mean_sq_overlap_all, res.var_sq_overlap_all, res.mean_abs_overlap_all,
                 res.rows_norm_above_1, res.mean_sq_overlap_norm_above_1, res.var_sq_overlap_norm_above_1, res.mean_abs_overlap_norm_above_1
                 FROM runs r JOIN results res USING (run_id, replicate)
                 {filter} AND r.status IN ('done', 'diverged') ORDER BY r.idx, r.replicate"
            ))
            .map_err(sqlite(&self.path))?;
        let mut rows = statement
            .query(rusqlite::params![key.0, key.1])
            .map_err(sqlite(&self.path))?;
        let mut results = Vec::new();
        while let Some(row) = rows.next().map_err(sqlite(&self.path))? {
            let (run_id, replicate): (String, u32) = (
                row.get(0).map_err(sqlite(&self.path))?,
                row.get(1).map_err(sqlite(&self.path))?,
            );
            let Some(point) = points.get(&(run_id.as_str(), replicate)).copied() else {
                return Err(self.corrupt(format!(
                    "run {run_id} replicate {replicate} is not a run of the stored experiment"
                )));
            };
            let key = (run_id, replicate);
            let result = rebuild(
                row,
                point.clone(),
                curves.remove(&key).unwrap_or_default(),
                norms.remove(&key).unwrap_or_default(),
            )
            .map_err(|err| self.corrupt_or(err))?;
            let digest: Option<String> = row.get(5).map_err(sqlite(&self.path))?;
            if digest.as_deref() != Some(result_digest(&result).as_str()) {
                return Err(self.corrupt(format!(
                    "run {} replicate {} does not match its digest",
                    key.0, key.1
                )));
            }
            results.push(result);
        }
        Ok(results)
    }

    /// (run id, replicate) → [(position, value)] of a long table, in order.
    fn long_table(&self, sql: &str, key: (&str, u32)) -> Result<LongTable> {
        let mut statement = self.conn.prepare(sql).map_err(sqlite(&self.path))?;
        let mut rows = statement
            .query(rusqlite::params![key.0, key.1])
            .map_err(sqlite(&self.path))?;
        let mut table = LongTable::new();
        while let Some(row) = rows.next().map_err(sqlite(&self.path))? {
            let get = || -> rusqlite::Result<_> {
                Ok((
                    (row.get(0)?, row.get(1)?),
                    (row.get::<_, i64>(2)? as u64, unreal(row.get(3)?)),
                ))
            };
            let (key, value) = get().map_err(sqlite(&self.path))?;
            table.entry(key).or_default().push(value);
        }
        Ok(table)
    }

    fn corrupt(&self, message: String) -> Error {
        Error::Corrupt {
            path: self.path.clone(),
            message,
        }
    }

    /// A value that cannot be what this crate wrote means a damaged or foreign file.
    fn corrupt_or(&self, err: rusqlite::Error) -> Error {
        match err {
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..) => self.corrupt(err.to_string()),
            other => sqlite(&self.path)(other),
        }
    }
}

/// A [`RunResult`] from its `runs` + `results` row, curve and row norms.
fn rebuild(
    row: &Row<'_>,
    point: superscale_spec::RunPoint,
    curve: Vec<(u64, f64)>,
    norms: Vec<(u64, f64)>,
) -> rusqlite::Result<RunResult> {
    let float = |index: usize| -> rusqlite::Result<f64> { Ok(unreal(row.get(index)?)) };
    let stats = |first: usize| -> rusqlite::Result<Option<OverlapStats>> {
        Ok(match row.get::<_, Option<i64>>(first)? {
            Some(rows) => Some(OverlapStats {
                rows: rows as usize,
                mean: float(first + 1)?,
                variance: float(first + 2)?,
                mean_abs: float(first + 3)?,
            }),
            None => None,
        })
    };
    let status = match row.get::<_, String>(2)?.as_str() {
        "diverged" => RunStatus::Diverged {
            step: row.get::<_, Option<i64>>(3)?.unwrap_or_default() as u64,
        },
        _ => RunStatus::Done,
    };
    let geometry = match stats(13)? {
        Some(overlap_all) => Some(Geometry {
            row_norms: norms.into_iter().map(|(_, norm)| norm).collect(),
            phi_half: float(10)?,
            phi_one: float(11)?,
            overlap_all,
            overlap_strong: stats(17)?,
            dimensions_per_feature: float(12)?,
        }),
        None => None,
    };
    Ok(RunResult {
        point,
        status,
        loss_train_tail: float(6)?,
        loss_train_tail_sd: float(7)?,
        loss_heldout: float(8)?,
        curve,
        geometry,
        sparse_backward_fraction: float(9)?,
        seconds: row.get::<_, Option<f64>>(4)?.unwrap_or(f64::NAN),
        weights: Vec::new(),
        bias: Vec::new(),
    })
}
