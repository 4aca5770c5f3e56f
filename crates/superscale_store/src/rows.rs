//! A run's output as rows of the long tables `scalars`, `curves` and `arrays`, and back.
//!
//! Encoding: an Int scalar is an INTEGER, a Float a REAL (NaN as NULL), a Text a TEXT, and
//! a missing scalar has no row, so that missing and NaN stay apart. A curve point is
//! (point, step, value) with the value a REAL or NULL for NaN. An array is one row: its
//! dtype, its shape as JSON and its values as one little-endian BLOB (bit-exact, NaN
//! payloads included).

use crate::digest::output_digest;
use crate::error::{sqlite, Result};
use crate::output::{Array, ArrayData, End, RunOutput, Scalar, ScalarType, Schema};
use rusqlite::types::Value;
use rusqlite::{params, Connection};
use std::collections::HashMap;
use std::path::Path;

/// (run id, replicate)
pub(crate) type Key = (String, u32);

/// NaN as NULL (SQLite has no NaN).
fn real(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

/// Replaces the output rows of one run (a rerun of a failed run must not trip over rows an
/// older attempt left).
pub(crate) fn write_output(
    conn: &Connection,
    schema: &Schema,
    key: (&str, u32),
    output: &RunOutput,
    path: &Path,
) -> Result<()> {
    for table in ["scalars", "curves", "arrays"] {
        conn.prepare_cached(&format!(
            "DELETE FROM {table} WHERE run_id = ?1 AND replicate = ?2"
        ))
        .and_then(|mut delete| delete.execute(params![key.0, key.1]))
        .map_err(sqlite(path))?;
    }
    let mut scalar = conn
        .prepare_cached("INSERT INTO scalars VALUES (?1, ?2, ?3, ?4)")
        .map_err(sqlite(path))?;
    for (column, value) in schema.scalars.iter().zip(&output.scalars) {
        let value = match value {
            Scalar::Missing => continue,
            Scalar::Int(v) => Value::Integer(*v),
            Scalar::Float(v) => real(*v).map_or(Value::Null, Value::Real),
            Scalar::Text(v) => Value::Text(v.clone()),
        };
        scalar
            .execute(params![key.0, key.1, column.name, value])
            .map_err(sqlite(path))?;
    }
    let mut curve = conn
        .prepare_cached("INSERT INTO curves VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .map_err(sqlite(path))?;
    for (column, points) in schema.curves.iter().zip(&output.curves) {
        for (point, &(step, value)) in points.iter().enumerate() {
            // Steps are u64; SQLite integers are i64: the same 64 bits, read back as u64.
            curve
                .execute(params![
                    key.0,
                    key.1,
                    column.name,
                    point as i64,
                    step as i64,
                    real(value)
                ])
                .map_err(sqlite(path))?;
        }
    }
    let mut array = conn
        .prepare_cached("INSERT INTO arrays VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .map_err(sqlite(path))?;
    for (column, data) in schema.arrays.iter().zip(&output.arrays) {
        let (dtype, bytes) = encode(data);
        let shape = serde_json::to_string(&data.shape).expect("a shape is a list of numbers");
        array
            .execute(params![key.0, key.1, column.name, dtype, shape, bytes])
            .map_err(sqlite(path))?;
    }
    Ok(())
}

/// The dtype name and little-endian bytes of an array.
pub(crate) fn encode(array: &Array) -> (&'static str, Vec<u8>) {
    match &array.data {
        ArrayData::F64(v) => ("f64", v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        ArrayData::F32(v) => ("f32", v.iter().flat_map(|x| x.to_le_bytes()).collect()),
    }
}

/// An array from its dtype, JSON shape and bytes.
pub(crate) fn decode(dtype: &str, shape: &str, bytes: &[u8]) -> std::result::Result<Array, String> {
    let shape: Vec<usize> =
        serde_json::from_str(shape).map_err(|err| format!("shape '{shape}': {err}"))?;
    let data = match dtype {
        "f64" if bytes.len().is_multiple_of(8) => ArrayData::F64(
            bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect(),
        ),
        "f32" if bytes.len().is_multiple_of(4) => ArrayData::F32(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect(),
        ),
        _ => {
            return Err(format!(
                "dtype '{dtype}' with {} bytes of data",
                bytes.len()
            ))
        }
    };
    let array = Array { shape, data };
    crate::validate::filled(&array)?;
    Ok(array)
}

/// An `arrays` row: name, dtype, shape (JSON) and data.
type ArrayRow = (String, String, String, Vec<u8>);

/// The stored rows of runs, by run, before they are assembled into outputs.
#[derive(Default)]
pub(crate) struct Rows {
    scalars: HashMap<Key, Vec<(String, Value)>>,
    curves: HashMap<Key, Vec<(String, i64, Value)>>,
    arrays: HashMap<Key, Vec<ArrayRow>>,
}

impl Rows {
    /// The rows of every run (`only` = None) or of one run.
    pub(crate) fn read(conn: &Connection, only: Option<(&str, u32)>, path: &Path) -> Result<Self> {
        // One run's rows (by primary key), or all of them; the key is bound, not spliced.
        let (filter, key) = match only {
            Some(key) => ("WHERE run_id = ?1 AND replicate = ?2", key),
            None => ("WHERE ?1 = '' AND ?2 = 0", ("", 0)),
        };
        let mut rows = Rows::default();
        let query =
            |sql: &str, each: &mut dyn FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>| {
                let mut statement = conn.prepare(sql).map_err(sqlite(path))?;
                let mut found = statement
                    .query(params![key.0, key.1])
                    .map_err(sqlite(path))?;
                while let Some(row) = found.next().map_err(sqlite(path))? {
                    each(row).map_err(sqlite(path))?;
                }
                Ok::<(), crate::Error>(())
            };
        query(
            &format!("SELECT run_id, replicate, name, value FROM scalars {filter}"),
            &mut |row| {
                rows.scalars
                    .entry((row.get(0)?, row.get(1)?))
                    .or_default()
                    .push((row.get(2)?, row.get(3)?));
                Ok(())
            },
        )?;
        query(
            &format!("SELECT run_id, replicate, name, step, value FROM curves {filter} ORDER BY run_id, replicate, name, point"),
            &mut |row| {
                rows.curves
                    .entry((row.get(0)?, row.get(1)?))
                    .or_default()
                    .push((row.get(2)?, row.get(3)?, row.get(4)?));
                Ok(())
            },
        )?;
        query(
            &format!("SELECT run_id, replicate, name, dtype, shape, data FROM arrays {filter}"),
            &mut |row| {
                rows.arrays
                    .entry((row.get(0)?, row.get(1)?))
                    .or_default()
                    .push((row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?));
                Ok(())
            },
        )?;
        Ok(rows)
    }

    /// The output of one finished run, rebuilt from its rows and checked against its
    /// digest. Errors say what is wrong (the caller names the run and the file).
    pub(crate) fn output(
        &mut self,
        schema: &Schema,
        key: &Key,
        end: End,
        seconds: f64,
        digest: Option<&str>,
    ) -> std::result::Result<RunOutput, String> {
        let mut scalar_rows: HashMap<String, Value> = self
            .scalars
            .remove(key)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut scalars = Vec::with_capacity(schema.scalars.len());
        for column in &schema.scalars {
            let value = match (column.kind, scalar_rows.remove(&column.name)) {
                (_, None) => Scalar::Missing,
                (ScalarType::Int, Some(Value::Integer(v))) => Scalar::Int(v),
                (ScalarType::Float, Some(Value::Real(v))) => Scalar::Float(v),
                (ScalarType::Float, Some(Value::Null)) => Scalar::Float(f64::NAN),
                (ScalarType::Text, Some(Value::Text(v))) => Scalar::Text(v),
                (kind, Some(other)) => {
                    return Err(format!(
                        "scalar '{}' ({kind:?}) holds {other:?}",
                        column.name
                    ))
                }
            };
            scalars.push(value);
        }
        if let Some(name) = scalar_rows.keys().next() {
            return Err(format!(
                "it has a scalar '{name}' its schema does not declare"
            ));
        }
        let mut curve_rows: HashMap<String, Vec<(u64, f64)>> = HashMap::new();
        for (name, step, value) in self.curves.remove(key).unwrap_or_default() {
            let value = match value {
                Value::Real(v) => v,
                Value::Null => f64::NAN,
                other => return Err(format!("curve '{name}' holds {other:?}")),
            };
            curve_rows
                .entry(name)
                .or_default()
                .push((step as u64, value));
        }
        let curves = schema
            .curves
            .iter()
            .map(|c| curve_rows.remove(&c.name).unwrap_or_default())
            .collect();
        if let Some(name) = curve_rows.keys().next() {
            return Err(format!(
                "it has a curve '{name}' its schema does not declare"
            ));
        }
        let mut array_rows: HashMap<String, (String, String, Vec<u8>)> = self
            .arrays
            .remove(key)
            .unwrap_or_default()
            .into_iter()
            .map(|(name, dtype, shape, data)| (name, (dtype, shape, data)))
            .collect();
        let mut arrays = Vec::with_capacity(schema.arrays.len());
        for column in &schema.arrays {
            let Some((dtype, shape, data)) = array_rows.remove(&column.name) else {
                return Err(format!("array '{}' is missing", column.name));
            };
            arrays.push(
                decode(&dtype, &shape, &data)
                    .map_err(|e| format!("array '{}': {e}", column.name))?,
            );
        }
        if let Some(name) = array_rows.keys().next() {
            return Err(format!(
                "it has an array '{name}' its schema does not declare"
            ));
        }
        let output = RunOutput {
            end,
            scalars,
            curves,
            arrays,
            weights: Default::default(),
            seconds,
        };
        let recomputed = output_digest(&output);
        if digest != Some(recomputed.as_str()) {
            return Err(format!(
                "its rows do not match its digest (stored {}, rows give {recomputed})",
                digest.unwrap_or("none")
            ));
        }
        Ok(output)
    }
}
