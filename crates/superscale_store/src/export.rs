//! `superscale export`: the store as flat tables for pandas, polars or a spreadsheet.
//!
//! Three tables: `runs` (one row per run: identity, state, provenance, every spec field as
//! a dotted column such as `model.n_hidden`, and the scalar results), `curves` (long form:
//! run, replicate, step, loss) and `row_norms` (long form: run, replicate, feature, norm).
//! Missing values and NaN are empty cells in CSV and nulls in Parquet.

use crate::error::{io, sqlite, Result};
use crate::store::Store;
use rusqlite::types::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// comma-separated text, floats printed in their shortest exact form
    Csv,
    /// Apache Parquet (uncompressed, one row group per table)
    Parquet,
}

/// The values of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// signed integers
    Int(Vec<Option<i64>>),
    /// unsigned 64-bit integers (seeds)
    UInt(Vec<Option<u64>>),
    /// doubles (NaN is stored as None)
    Float(Vec<Option<f64>>),
    /// text
    Text(Vec<Option<String>>),
}

/// A named, typed column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// the column's name
    pub name: String,
    /// its values, one per row
    pub values: Values,
}

/// A table of equally long columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// the table's name (the file's stem)
    pub name: String,
    /// its columns in order
    pub columns: Vec<Column>,
}

// Column lists with their types, so an export has the same schema however few runs exist.
const RUN_COLUMNS: [(&str, char); 18] = [
    ("r.idx", 'i'),
    ("r.run_id", 't'),
    ("r.replicate", 'i'),
    ("r.seed", 'u'),
    ("r.status", 't'),
    ("r.diverged_step", 'i'),
    ("r.error", 't'),
    ("r.attempts", 'i'),
    ("r.started_at", 't'),
    ("r.finished_at", 't'),
    ("r.seconds", 'f'),
    ("r.host", 't'),
    ("r.superscale_version", 't'),
    ("r.git_commit", 't'),
    ("r.weights_file", 't'),
    ("r.digest", 't'),
    ("r.weights_digest", 't'),
    ("r.spec_json", 's'),
];
const RESULT_COLUMNS: [(&str, char); 16] = [
    ("loss_train_tail_n_mse", 'f'),
    ("loss_train_tail_sd_n_mse", 'f'),
    ("loss_heldout_n_mse", 'f'),
    ("sparse_backward_fraction", 'f'),
    ("phi_half", 'f'),
    ("phi_one", 'f'),
    ("dimensions_per_feature", 'f'),
    ("rows_overlap_all", 'i'),
    ("mean_sq_overlap_all", 'f'),
    ("var_sq_overlap_all", 'f'),
    ("mean_abs_overlap_all", 'f'),
    ("rows_norm_above_1", 'i'),
    ("mean_sq_overlap_norm_above_1", 'f'),
    ("var_sq_overlap_norm_above_1", 'f'),
    ("mean_abs_overlap_norm_above_1", 'f'),
    ("welch_kappa_sq_norm_above_1", 'f'),
];

/// Builds the three export tables from the store.
pub fn tables(store: &Store) -> Result<Vec<Table>> {
    let mut select: Vec<String> = RUN_COLUMNS.iter().map(|(c, _)| c.to_string()).collect();
    select.extend(RESULT_COLUMNS.iter().map(|(c, _)| format!("res.{c}")));
    let runs_sql =
        format!("SELECT {} FROM runs r LEFT JOIN results res USING (run_id, replicate) ORDER BY r.idx, r.replicate", select.join(", "));
    let rows = query(store, &runs_sql)?;
    let mut columns = Vec::new();
    for (position, (name, kind)) in RUN_COLUMNS.iter().chain(RESULT_COLUMNS.iter()).enumerate() {
        let name = name.trim_start_matches("r.");
        let cells = rows.iter().map(|row| row[position].clone());
        match kind {
            's' => columns.extend(spec_columns(cells.map(|v| {
                if let Value::Text(t) = v {
                    t
                } else {
                    String::new()
                }
            }))),
            kind => columns.push(Column {
                name: if name == "idx" {
                    "index".into()
                } else {
                    name.into()
                },
                values: typed(*kind, cells),
            }),
        }
    }
    let long = |name: &str, sql: &str, labels: [&str; 4]| -> Result<Table> {
        let rows = query(store, sql)?;
        let kinds = ['t', 'i', 'i', 'f'];
        let columns = (0..4).map(|c| Column {
            name: labels[c].into(),
            values: typed(kinds[c], rows.iter().map(|row| row[c].clone())),
        });
        Ok(Table {
            name: name.into(),
            columns: columns.collect(),
        })
    };
    Ok(vec![
        Table { name: "runs".into(), columns },
        long(
            "curves",
            "SELECT c.run_id, c.replicate, c.step, c.loss_batch_n_mse FROM curves c JOIN runs r USING (run_id, replicate) ORDER BY r.idx, c.replicate, c.point",
            ["run_id", "replicate", "step", "loss_batch_n_mse"],
        )?,
        long(
            "row_norms",
            "SELECT n.run_id, n.replicate, n.feature, n.norm FROM row_norms n JOIN runs r USING (run_id, replicate) ORDER BY r.idx, n.replicate, n.feature",
            ["run_id", "replicate", "feature", "norm"],
        )?,
    ])
}

/// Writes the tables into `out` (created if needed) as `<table>.csv` or `<table>.parquet`.
pub fn export(store: &Store, out: &Path, format: ExportFormat) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    let mut written = Vec::new();
    for table in tables(store)? {
        let path = out.join(format!(
            "{}.{}",
            table.name,
            if format == ExportFormat::Csv {
                "csv"
            } else {
                "parquet"
            }
        ));
        let partial = path.with_extension("partial");
        match format {
            ExportFormat::Csv => std::fs::write(&partial, csv(&table)).map_err(io(&partial))?,
            ExportFormat::Parquet => crate::parquet_file::write(&partial, &table)?,
        }
        std::fs::rename(&partial, &path).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}

fn query(store: &Store, sql: &str) -> Result<Vec<Vec<Value>>> {
    let mut statement = store.conn.prepare(sql).map_err(sqlite(&store.path))?;
    let width = statement.column_count();
    let rows = statement
        .query_map([], |row| {
            (0..width).map(|c| row.get::<_, Value>(c)).collect()
        })
        .map_err(sqlite(&store.path))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(sqlite(&store.path))
}

fn typed(kind: char, cells: impl Iterator<Item = Value>) -> Values {
    match kind {
        'i' => Values::Int(
            cells
                .map(|v| {
                    if let Value::Integer(i) = v {
                        Some(i)
                    } else {
                        None
                    }
                })
                .collect(),
        ),
        'u' => Values::UInt(
            cells
                .map(|v| {
                    if let Value::Text(t) = v {
                        t.parse().ok()
                    } else {
                        None
                    }
                })
                .collect(),
        ),
        'f' => Values::Float(
            cells
                .map(|v| match v {
                    Value::Real(f) => Some(f),
                    Value::Integer(i) => Some(i as f64),
                    _ => None,
                })
                .collect(),
        ),
        _ => Values::Text(
            cells
                .map(|v| {
                    if let Value::Text(t) = v {
                        Some(t)
                    } else {
                        None
                    }
                })
                .collect(),
        ),
    }
}

/// The spec's fields as dotted columns (`model.n_hidden`, `train.schedule.peak_lr`), typed
/// by their JSON values: all integers → Int, all numbers → Float, otherwise Text. A field
/// that only some runs have (another model variant) is null in the others.
fn spec_columns(specs: impl Iterator<Item = String>) -> Vec<Column> {
    let flat: Vec<BTreeMap<String, serde_json::Value>> = specs
        .map(|text| {
            let mut out = BTreeMap::new();
            flatten(
                "",
                &serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
                &mut out,
            );
            out
        })
        .collect();
    // serde_json's maps are sorted, so the columns come in alphabetical order.
    let names: std::collections::BTreeSet<String> =
        flat.iter().flat_map(|row| row.keys().cloned()).collect();
    names
        .into_iter()
        .map(|name| {
            let cells: Vec<Option<&serde_json::Value>> =
                flat.iter().map(|row| row.get(&name)).collect();
            let present = || cells.iter().flatten();
            let values = if present().all(|v| v.is_i64()) {
                Values::Int(cells.iter().map(|v| v.and_then(|v| v.as_i64())).collect())
            } else if present().all(|v| v.is_number()) {
                Values::Float(cells.iter().map(|v| v.and_then(|v| v.as_f64())).collect())
            } else {
                Values::Text(
                    cells
                        .iter()
                        .map(|v| v.map(|v| v.as_str().map_or_else(|| v.to_string(), String::from)))
                        .collect(),
                )
            };
            Column { name, values }
        })
        .collect()
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, serde_json::Value>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&name, inner, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

/// The table as CSV (RFC 4180 quoting; NaN and null as empty cells).
pub fn csv(table: &Table) -> String {
    let quote = |text: &str| {
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_string()
        }
    };
    let rows = table.columns.first().map_or(0, |c| c.values.len());
    let mut out = table
        .columns
        .iter()
        .map(|c| quote(&c.name))
        .collect::<Vec<_>>()
        .join(",")
        + "\n";
    for row in 0..rows {
        let cells: Vec<String> = table
            .columns
            .iter()
            .map(|column| match &column.values {
                Values::Int(v) => v[row].map(|x| x.to_string()).unwrap_or_default(),
                Values::UInt(v) => v[row].map(|x| x.to_string()).unwrap_or_default(),
                // `{}` prints the shortest decimal that parses back to the same double.
                Values::Float(v) => v[row]
                    .filter(|x| !x.is_nan())
                    .map(|x| x.to_string())
                    .unwrap_or_default(),
                Values::Text(v) => v[row].as_deref().map(quote).unwrap_or_default(),
            })
            .collect();
        out += &(cells.join(",") + "\n");
    }
    out
}

impl Values {
    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            Values::Int(v) => v.len(),
            Values::UInt(v) => v.len(),
            Values::Float(v) => v.len(),
            Values::Text(v) => v.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
