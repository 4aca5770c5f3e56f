//! `superscale export`: the store as flat tables for pandas, polars or a spreadsheet.
//!
//! Tables, whatever the kind: `runs` (one row per run: identity, state, provenance, every
//! spec field as a dotted column such as `model.n_hidden`, then the schema's scalars in
//! order), one long table per curve table (`run_id, replicate, step, <curve>...`) and one
//! per array (`run_id, replicate, <axis>..., <value>`, row-major). For a toy store these
//! are `runs`, `curves` (the loss curve) and `row_norms`. Missing values and NaN are empty
//! cells in CSV and nulls in Parquet.

use crate::error::{io, Result};
use crate::output::{ArrayData, RunOutput, Scalar, ScalarType};
use crate::record::RunRecord;
use crate::store::Store;
use std::collections::{BTreeMap, HashMap};
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

fn column(name: &str, values: Values) -> Column {
    Column {
        name: name.into(),
        values,
    }
}

/// NaN as null.
fn float(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

/// Builds the export tables of the store: `runs`, then the curve tables in the order the
/// schema first names them, then one table per array. Every finished run is checked
/// against its digest on the way ([`crate::Error::Corrupt`] otherwise).
pub fn tables(store: &Store) -> Result<Vec<Table>> {
    let (records, outputs) =
        store.snapshot(|s| Ok((s.runs()?, crate::read::finished(s, None)?)))?;
    let outputs: Vec<(RunRecord, RunOutput)> = outputs;
    let by_key: HashMap<(&str, u32), &RunOutput> = outputs
        .iter()
        .map(|(r, o)| ((r.run_id.as_str(), r.replicate), o))
        .collect();
    let mut tables = vec![runs_table(store, &records, &by_key)];
    let schema = &store.meta.schema;
    let mut curve_tables: Vec<&str> = Vec::new();
    for curve in &schema.curves {
        if !curve_tables.contains(&curve.table.as_str()) {
            curve_tables.push(&curve.table);
        }
    }
    for table in curve_tables {
        tables.push(curve_table(store, table, &outputs));
    }
    for (position, array) in schema.arrays.iter().enumerate() {
        let mut keys = (Vec::new(), Vec::new());
        let mut axes: Vec<Vec<Option<i64>>> = vec![Vec::new(); array.axes.len()];
        let mut values = Vec::new();
        for (record, output) in &outputs {
            let data = &output.arrays[position];
            let cells: Vec<Option<f64>> = match &data.data {
                ArrayData::F64(v) => v.iter().map(|&x| float(x)).collect(),
                ArrayData::F32(v) => v.iter().map(|&x| float(f64::from(x))).collect(),
            };
            for (flat, cell) in cells.into_iter().enumerate() {
                keys.0.push(Some(record.run_id.clone()));
                keys.1.push(Some(i64::from(record.replicate)));
                // Row-major: the last axis varies fastest.
                let mut rest = flat;
                for (axis, &dim) in data.shape.iter().enumerate().rev() {
                    axes[axis].push(Some((rest % dim) as i64));
                    rest /= dim;
                }
                values.push(cell);
            }
        }
        let mut columns = vec![
            column("run_id", Values::Text(keys.0)),
            column("replicate", Values::Int(keys.1)),
        ];
        for (name, cells) in array.axes.iter().zip(axes) {
            columns.push(column(name, Values::Int(cells)));
        }
        columns.push(column(&array.value, Values::Float(values)));
        tables.push(Table {
            name: array.name.clone(),
            columns,
        });
    }
    Ok(tables)
}

/// One row per run: identity, state, provenance, the spec's fields, the scalars.
fn runs_table(
    store: &Store,
    records: &[RunRecord],
    outputs: &HashMap<(&str, u32), &RunOutput>,
) -> Table {
    let text =
        |f: &dyn Fn(&RunRecord) -> Option<String>| Values::Text(records.iter().map(f).collect());
    let int = |f: &dyn Fn(&RunRecord) -> Option<i64>| Values::Int(records.iter().map(f).collect());
    let mut columns = vec![
        column("index", int(&|r| Some(r.index as i64))),
        column("run_id", text(&|r| Some(r.run_id.clone()))),
        column("replicate", int(&|r| Some(i64::from(r.replicate)))),
        column(
            "seed",
            Values::UInt(records.iter().map(|r| Some(r.seed)).collect()),
        ),
        column("status", text(&|r| Some(r.state.as_str().into()))),
        column("diverged_step", int(&|r| r.diverged_step.map(|s| s as i64))),
        column("error", text(&|r| r.error.clone())),
        column("attempts", int(&|r| Some(i64::from(r.attempts)))),
        column("started_at", text(&|r| r.started_at.clone())),
        column("finished_at", text(&|r| r.finished_at.clone())),
        column(
            "seconds",
            Values::Float(records.iter().map(|r| r.seconds).collect()),
        ),
        column("host", text(&|r| r.host.clone())),
        column(
            "superscale_version",
            text(&|r| r.superscale_version.clone()),
        ),
        column("git_commit", text(&|r| r.git_commit.clone())),
        column("weights_file", text(&|r| r.weights_file.clone())),
        column("digest", text(&|r| r.digest.clone())),
        column("weights_digest", text(&|r| r.weights_digest.clone())),
    ];
    debug_assert_eq!(
        columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        crate::validate::RUN_COLUMNS
    );
    // A spec field named like a column of the run's identity or provenance (the quanta
    // spec's own `replicate`) is kept, under `spec.<name>`, so every column name is unique.
    let taken: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    columns.extend(
        spec_columns(records.iter().map(|r| r.spec_json.clone()))
            .into_iter()
            .map(|mut column| {
                if taken.contains(&column.name) {
                    column.name = format!("spec.{}", column.name);
                }
                column
            }),
    );
    for (position, scalar) in store.meta.schema.scalars.iter().enumerate() {
        let cells = records.iter().map(|r| {
            outputs
                .get(&(r.run_id.as_str(), r.replicate))
                .map(|o| &o.scalars[position])
        });
        let values = match scalar.kind {
            ScalarType::Int => Values::Int(
                cells
                    .map(|s| match s {
                        Some(Scalar::Int(v)) => Some(*v),
                        _ => None,
                    })
                    .collect(),
            ),
            ScalarType::Float => Values::Float(
                cells
                    .map(|s| match s {
                        Some(Scalar::Float(v)) => float(*v),
                        _ => None,
                    })
                    .collect(),
            ),
            ScalarType::Text => Values::Text(
                cells
                    .map(|s| match s {
                        Some(Scalar::Text(v)) => Some(v.clone()),
                        _ => None,
                    })
                    .collect(),
            ),
        };
        columns.push(column(&scalar.name, values));
    }
    Table {
        name: "runs".into(),
        columns,
    }
}

/// The long table of the curves that share `table`: one row per (run, step); curves that
/// share a table are aligned by step (the k-th point at a step with the k-th point of the
/// others at that step), rows in the order the steps first appear, null where a curve has
/// no point at that step.
fn curve_table(store: &Store, table: &str, outputs: &[(RunRecord, RunOutput)]) -> Table {
    let curves: Vec<(usize, &str)> = store
        .meta
        .schema
        .curves
        .iter()
        .enumerate()
        .filter(|(_, c)| c.table == table)
        .map(|(i, c)| (i, c.name.as_str()))
        .collect();
    let (mut run_ids, mut replicates, mut steps) = (Vec::new(), Vec::new(), Vec::new());
    let mut values: Vec<Vec<Option<f64>>> = vec![Vec::new(); curves.len()];
    for (record, output) in outputs {
        // (step, occurrence at that step) → row of this run
        let mut rows: Vec<(u64, usize)> = Vec::new();
        let mut position: HashMap<(u64, usize), usize> = HashMap::new();
        let mut cells: Vec<Vec<Option<f64>>> = vec![Vec::new(); curves.len()];
        for (c, &(index, _)) in curves.iter().enumerate() {
            let mut seen: HashMap<u64, usize> = HashMap::new();
            for &(step, value) in &output.curves[index] {
                let occurrence = seen.entry(step).or_default();
                let key = (step, *occurrence);
                *occurrence += 1;
                let row = *position.entry(key).or_insert_with(|| {
                    rows.push(key);
                    rows.len() - 1
                });
                for column in cells.iter_mut() {
                    column.resize(rows.len(), None);
                }
                cells[c][row] = float(value);
            }
        }
        for column in cells.iter_mut() {
            column.resize(rows.len(), None);
        }
        for (step, _) in &rows {
            run_ids.push(Some(record.run_id.clone()));
            replicates.push(Some(i64::from(record.replicate)));
            steps.push(Some(*step as i64));
        }
        for (all, run) in values.iter_mut().zip(cells) {
            all.extend(run);
        }
    }
    let mut columns = vec![
        column("run_id", Values::Text(run_ids)),
        column("replicate", Values::Int(replicates)),
        column("step", Values::Int(steps)),
    ];
    for ((_, name), cells) in curves.iter().zip(values) {
        columns.push(column(name, Values::Float(cells)));
    }
    Table {
        name: table.into(),
        columns,
    }
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
