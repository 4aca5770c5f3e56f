//! Stores of format 1 (toy-model runs only, written by superscale before the store knew
//! other kinds) read and migrated as format 2.
//!
//! Format 1 kept a finished run in three typed tables: `results` (the 16 scalar columns of
//! `results.csv`), `curves` (point, step, `loss_batch_n_mse`) and `row_norms` (feature,
//! norm). They map onto the toy schema below, which is what the toy kind declares: NULL
//! counts become missing scalars, NULL measurements NaN, the row norms an f64 array. Each
//! run is checked against its format-1 digest before it is migrated (a damaged row is
//! refused, never blessed with a new digest), then gets its format-2 digest. The writer
//! migrates the file in place in one transaction; a reader migrates a copy in memory.

use crate::database::{FORMAT_VERSION, OUTPUT_TABLES};
use crate::digest::{f64_bits, hex, output_digest};
use crate::error::{corrupt, sqlite, Result};
use crate::output::{
    Array, ArrayColumn, ArrayData, CurveColumn, End, RunOutput, Scalar, ScalarColumn, ScalarType,
    Schema,
};
use crate::provenance::{now_utc, version};
use crate::rows::Key;
use rusqlite::types::Value;
use rusqlite::{params, Connection, TransactionBehavior};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

/// The 16 columns of format 1's `results` table, in order.
const RESULT_COLUMNS: [(&str, ScalarType); 16] = [
    ("loss_train_tail_n_mse", ScalarType::Float),
    ("loss_train_tail_sd_n_mse", ScalarType::Float),
    ("loss_heldout_n_mse", ScalarType::Float),
    ("sparse_backward_fraction", ScalarType::Float),
    ("phi_half", ScalarType::Float),
    ("phi_one", ScalarType::Float),
    ("dimensions_per_feature", ScalarType::Float),
    ("rows_overlap_all", ScalarType::Int),
    ("mean_sq_overlap_all", ScalarType::Float),
    ("var_sq_overlap_all", ScalarType::Float),
    ("mean_abs_overlap_all", ScalarType::Float),
    ("rows_norm_above_1", ScalarType::Int),
    ("mean_sq_overlap_norm_above_1", ScalarType::Float),
    ("var_sq_overlap_norm_above_1", ScalarType::Float),
    ("mean_abs_overlap_norm_above_1", ScalarType::Float),
    ("welch_kappa_sq_norm_above_1", ScalarType::Float),
];

/// The schema of a format-1 store: the toy kind's results, loss curve and row norms.
pub(crate) fn toy_schema() -> Schema {
    Schema {
        kind: "toy".into(),
        scalars: RESULT_COLUMNS
            .iter()
            .map(|&(name, kind)| ScalarColumn {
                name: name.into(),
                kind,
            })
            .collect(),
        curves: vec![CurveColumn {
            name: "loss_batch_n_mse".into(),
            table: "curves".into(),
        }],
        arrays: vec![ArrayColumn {
            name: "row_norms".into(),
            axes: vec!["feature".into()],
            value: "norm".into(),
        }],
        headline: Some("loss_heldout_n_mse".into()),
    }
}

/// Migrates the format-1 database behind `conn` to format 2 in one transaction: a kill
/// leaves it wholly format 1 or wholly format 2.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite(path))?;
    let outputs = read_legacy(&tx, path)?;
    tx.execute_batch("DROP TABLE results; DROP TABLE curves; DROP TABLE row_norms;")
        .map_err(sqlite(path))?;
    tx.execute_batch(OUTPUT_TABLES).map_err(sqlite(path))?;
    let schema = toy_schema();
    for (key, output) in &outputs {
        crate::rows::write_output(&tx, &schema, (&key.0, key.1), output, path)?;
        tx.execute(
            "UPDATE runs SET digest = ?3 WHERE run_id = ?1 AND replicate = ?2",
            params![key.0, key.1, output_digest(output)],
        )
        .map_err(sqlite(path))?;
    }
    let schema = serde_json::to_string(&schema).expect("a schema is plain data");
    for (key, value) in [
        ("format_version", FORMAT_VERSION.to_string()),
        ("schema", schema),
        (
            "migrated",
            format!("from format 1 at {} by superscale {}", now_utc(), version()),
        ),
    ] {
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            params![key, value],
        )
        .map_err(sqlite(path))?;
    }
    tx.commit().map_err(sqlite(path))
}

/// A format-2 copy in memory of the format-1 database behind `conn` (read-only): what a
/// reader sees of a store it must not modify.
pub(crate) fn in_memory(conn: &Connection, path: &Path) -> Result<Connection> {
    let mut memory = Connection::open_in_memory().map_err(sqlite(path))?;
    rusqlite::backup::Backup::new(conn, &mut memory)
        .and_then(|backup| backup.run_to_completion(i32::MAX, std::time::Duration::ZERO, None))
        .map_err(sqlite(path))?;
    migrate(&mut memory, path)?;
    Ok(memory)
}

/// Every finished run of a format-1 database as a toy output, checked against its
/// format-1 digest, in the study's order.
fn read_legacy(conn: &Connection, path: &Path) -> Result<Vec<(Key, RunOutput)>> {
    let mut curves: HashMap<Key, Vec<(u64, f64)>> = HashMap::new();
    let mut norms: HashMap<Key, Vec<f64>> = HashMap::new();
    let float = |value: Value, what: &str| match value {
        Value::Real(v) => Ok(v),
        Value::Null => Ok(f64::NAN),
        other => Err(corrupt(path, format!("{what} holds {other:?}"))),
    };
    {
        let mut statement = conn
            .prepare("SELECT run_id, replicate, step, loss_batch_n_mse FROM curves ORDER BY run_id, replicate, point")
            .map_err(sqlite(path))?;
        let mut rows = statement.query([]).map_err(sqlite(path))?;
        while let Some(row) = rows.next().map_err(sqlite(path))? {
            let (key, step, value): (Key, i64, Value) = (|| {
                Ok::<_, rusqlite::Error>(((row.get(0)?, row.get(1)?), row.get(2)?, row.get(3)?))
            })()
            .map_err(sqlite(path))?;
            let value = float(value, "a curve point")?;
            curves.entry(key).or_default().push((step as u64, value));
        }
        let mut statement = conn
            .prepare(
                "SELECT run_id, replicate, norm FROM row_norms ORDER BY run_id, replicate, feature",
            )
            .map_err(sqlite(path))?;
        let mut rows = statement.query([]).map_err(sqlite(path))?;
        while let Some(row) = rows.next().map_err(sqlite(path))? {
            let (key, value): (Key, Value) =
                (|| Ok::<_, rusqlite::Error>(((row.get(0)?, row.get(1)?), row.get(2)?)))()
                    .map_err(sqlite(path))?;
            let value = float(value, "a row norm")?;
            norms.entry(key).or_default().push(value);
        }
    }
    let columns: Vec<String> = RESULT_COLUMNS
        .iter()
        .map(|(name, _)| format!("res.{name}"))
        .collect();
    let mut statement = conn
        .prepare(&format!(
            "SELECT r.run_id, r.replicate, r.status, r.diverged_step, r.digest, res.run_id, {}
             FROM runs r LEFT JOIN results res USING (run_id, replicate)
             WHERE r.status IN ('done', 'diverged') ORDER BY r.idx, r.replicate",
            columns.join(", ")
        ))
        .map_err(sqlite(path))?;
    let mut rows = statement.query([]).map_err(sqlite(path))?;
    let mut outputs = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite(path))? {
        let get = |index: usize| row.get::<_, Value>(index).map_err(sqlite(path));
        let key: Key = (
            row.get(0).map_err(sqlite(path))?,
            row.get(1).map_err(sqlite(path))?,
        );
        let run = format!("run {} replicate {}", key.0, key.1);
        if get(5)? == Value::Null {
            return Err(corrupt(
                path,
                format!("{run} is finished but has no results"),
            ));
        }
        let end = match (get(2)?, get(3)?) {
            (Value::Text(s), Value::Integer(step)) if s == "diverged" => {
                End::Diverged { step: step as u64 }
            }
            (Value::Text(s), _) if s == "done" => End::Done,
            (status, step) => {
                return Err(corrupt(
                    path,
                    format!("{run} has status {status:?} with step {step:?}"),
                ))
            }
        };
        let mut scalars = Vec::with_capacity(RESULT_COLUMNS.len());
        for (i, (name, kind)) in RESULT_COLUMNS.iter().enumerate() {
            scalars.push(match (kind, get(6 + i)?) {
                (ScalarType::Int, Value::Integer(v)) => Scalar::Int(v),
                (ScalarType::Int, Value::Null) => Scalar::Missing,
                (_, value) => Scalar::Float(float(value, &format!("{run}: {name}"))?),
            });
        }
        let curve = curves.remove(&key).unwrap_or_default();
        let norms = norms.remove(&key).unwrap_or_default();
        let stored: Option<String> = row.get(4).map_err(sqlite(path))?;
        if stored.as_deref() != Some(legacy_digest(end, &scalars, &curve, &norms).as_str()) {
            return Err(corrupt(
                path,
                format!("{run} does not match its format-1 digest; it is not migrated"),
            ));
        }
        let output = RunOutput {
            end,
            scalars,
            curves: vec![curve],
            arrays: vec![Array {
                shape: vec![norms.len()],
                data: ArrayData::F64(norms),
            }],
            weights: Default::default(),
            seconds: f64::NAN,
        };
        outputs.push((key, output));
    }
    Ok(outputs)
}

/// The digest format 1 stored (its `result_digest`): status, the four losses, the curve,
/// then the geometry if the run was measured (φ½, φ₁, D*, both overlap statistics, the row
/// norms). The Welch bound, derived, was not part of it.
fn legacy_digest(end: End, scalars: &[Scalar], curve: &[(u64, f64)], norms: &[f64]) -> String {
    let float = |i: usize| match scalars[i] {
        Scalar::Float(v) => v,
        _ => f64::NAN,
    };
    let count = |i: usize| match scalars[i] {
        Scalar::Int(v) => Some(v as u64),
        _ => None,
    };
    let mut hash = Sha256::new();
    match end {
        End::Done => hash.update([0u8]),
        End::Diverged { step } => {
            hash.update([1u8]);
            hash.update(step.to_le_bytes());
        }
    }
    for i in 0..4 {
        hash.update(f64_bits(float(i)));
    }
    hash.update((curve.len() as u64).to_le_bytes());
    for &(step, loss) in curve {
        hash.update(step.to_le_bytes());
        hash.update(f64_bits(loss));
    }
    if count(7).is_some() {
        hash.update([1u8]);
        for i in 4..7 {
            hash.update(f64_bits(float(i)));
        }
        for first in [7, 11] {
            match count(first) {
                Some(rows) => {
                    hash.update(rows.to_le_bytes());
                    for i in first + 1..first + 4 {
                        hash.update(f64_bits(float(i)));
                    }
                }
                None => hash.update([0u8]),
            }
        }
        hash.update((norms.len() as u64).to_le_bytes());
        for &v in norms {
            hash.update(f64_bits(v));
        }
    } else {
        hash.update([0u8]);
    }
    hex(&hash.finalize())
}
