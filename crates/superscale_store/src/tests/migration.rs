//! Format-1 stores (written by superscale 0.1.0, kept in `tests/fixtures/format1`) read
//! through the migration: value for value what format 1 held, by a reader that leaves the
//! file untouched and by a writer that migrates it in place.

use super::*;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format1")
}

/// A copy of the fixture (tests never open the committed files).
fn copy_fixture(name: &str) -> PathBuf {
    let dir = scratch(name);
    let status = Command::new("cp")
        .arg("-R")
        .arg(fixture())
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

/// The toy schema as the store contract spells out format 1's tables: the 16 results
/// columns in order (the two row counts Int), the loss curve in `curves`, the row norms.
fn toy() -> Schema {
    let int = ["rows_overlap_all", "rows_norm_above_1"];
    let names = [
        "loss_train_tail_n_mse",
        "loss_train_tail_sd_n_mse",
        "loss_heldout_n_mse",
        "sparse_backward_fraction",
        "phi_half",
        "phi_one",
        "dimensions_per_feature",
        "rows_overlap_all",
        "mean_sq_overlap_all",
        "var_sq_overlap_all",
        "mean_abs_overlap_all",
        "rows_norm_above_1",
        "mean_sq_overlap_norm_above_1",
        "var_sq_overlap_norm_above_1",
        "mean_abs_overlap_norm_above_1",
        "welch_kappa_sq_norm_above_1",
    ];
    Schema {
        kind: "toy".into(),
        scalars: names
            .iter()
            .map(|&name| ScalarColumn {
                name: name.into(),
                kind: if int.contains(&name) {
                    ScalarType::Int
                } else {
                    ScalarType::Float
                },
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

/// The raw format-1 file, opened immutable so that not even a log file appears.
fn raw(db: &Path) -> Connection {
    let uri = format!("file:{}?immutable=1", db.display());
    Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
    )
    .unwrap()
}

/// What format 1 held of each finished run, as printed outputs (see [`kept`]): NULL
/// counts missing, NULL measurements NaN.
fn format1_outputs(db: &Path) -> HashMap<(String, u32), String> {
    let conn = raw(db);
    let schema = toy();
    let mut curves: HashMap<(String, u32), Vec<(u64, f64)>> = HashMap::new();
    let mut statement = conn
        .prepare("SELECT run_id, replicate, step, loss_batch_n_mse FROM curves ORDER BY point")
        .unwrap();
    let rows = statement
        .query_map([], |row| {
            Ok((
                (row.get(0)?, row.get(1)?),
                row.get::<_, i64>(2)? as u64,
                row.get::<_, Option<f64>>(3)?.unwrap_or(f64::NAN),
            ))
        })
        .unwrap();
    for row in rows {
        let (key, step, value) = row.unwrap();
        curves.entry(key).or_default().push((step, value));
    }
    let mut norms: HashMap<(String, u32), Vec<f64>> = HashMap::new();
    let mut statement = conn
        .prepare("SELECT run_id, replicate, norm FROM row_norms ORDER BY feature")
        .unwrap();
    let rows = statement
        .query_map([], |row| {
            Ok(((row.get(0)?, row.get(1)?), row.get::<_, f64>(2)?))
        })
        .unwrap();
    for row in rows {
        let (key, norm) = row.unwrap();
        norms.entry(key).or_default().push(norm);
    }
    let mut statement = conn
        .prepare("SELECT r.status, r.diverged_step, res.* FROM runs r JOIN results res USING (run_id, replicate)")
        .unwrap();
    let rows = statement
        .query_map([], |row| {
            let key: (String, u32) = (row.get(2)?, row.get(3)?);
            let end = match row.get::<_, String>(0)?.as_str() {
                "done" => End::Done,
                _ => End::Diverged {
                    step: row.get::<_, i64>(1)? as u64,
                },
            };
            let mut scalars = Vec::new();
            for (i, column) in schema.scalars.iter().enumerate() {
                scalars.push(match (column.kind, row.get::<_, Value>(4 + i)?) {
                    (ScalarType::Int, Value::Integer(v)) => Scalar::Int(v),
                    (ScalarType::Int, Value::Null) => Scalar::Missing,
                    (_, Value::Real(v)) => Scalar::Float(v),
                    (_, Value::Null) => Scalar::Float(f64::NAN),
                    (_, other) => panic!("{other:?}"),
                });
            }
            Ok((key, end, scalars))
        })
        .unwrap();
    rows.map(|row| {
        let (key, end, scalars) = row.unwrap();
        let norms = norms.remove(&key).unwrap_or_default();
        let output = RunOutput {
            end,
            scalars,
            curves: vec![curves.remove(&key).unwrap_or_default()],
            arrays: vec![Array {
                shape: vec![norms.len()],
                data: ArrayData::F64(norms),
            }],
            weights: Tensors::default(),
            seconds: 0.0,
        };
        (key, kept(&output))
    })
    .collect()
}

/// The study of the fixture as the engine would plan it again from its spec.
fn fixture_plan(db: &Path) -> StudyPlan {
    let conn = raw(db);
    let meta = |key: &str| -> String {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
            row.get(0)
        })
        .unwrap()
    };
    let mut statement = conn
        .prepare("SELECT run_id, replicate, idx, seed, spec_json, axes_json FROM runs ORDER BY idx")
        .unwrap();
    let runs = statement
        .query_map([], |row| {
            Ok(PlannedRow {
                run_id: row.get(0)?,
                replicate: row.get(1)?,
                index: row.get::<_, i64>(2)? as usize,
                seed: row.get::<_, String>(3)?.parse().unwrap(),
                spec_json: row.get(4)?,
                axes: serde_json::from_str(&row.get::<_, String>(5)?).unwrap(),
            })
        })
        .unwrap()
        .map(|row| row.unwrap())
        .collect();
    StudyPlan {
        name: meta("name"),
        source: meta("source"),
        source_path: meta("source_path").into(),
        schema: toy(),
        runs,
    }
}

fn format_version(db: &Path) -> String {
    raw(db)
        .query_row(
            "SELECT value FROM meta WHERE key = 'format_version'",
            [],
            |row| row.get(0),
        )
        .unwrap()
}

/// The export of `store` equals format 1's, byte for byte (CSV) and table for table
/// (Parquet), but for the `digest` column: format 2 hashes its outputs differently (see
/// `output_digest`), so each run's digest is checked against its output instead.
fn exports_equal_format_1(store: &Store, out: &Path) {
    export(store, out, ExportFormat::Csv).unwrap();
    export(store, out, ExportFormat::Parquet).unwrap();
    let digests: Vec<String> = store
        .outputs()
        .unwrap()
        .iter()
        .map(|(_, output)| output_digest(output))
        .collect();
    let without_digest = |mut table: Table| {
        let at = table.columns.iter().position(|c| c.name == "digest");
        if let Some(at) = at {
            table.columns.remove(at);
        }
        (table, at)
    };
    for name in ["runs", "curves", "row_norms"] {
        let ours = read_parquet(&out.join(format!("{name}.parquet"))).unwrap();
        let theirs = read_parquet(&fixture().join(format!("export/{name}.parquet"))).unwrap();
        let (ours_table, at) = without_digest(ours.clone());
        assert_eq!(ours_table, without_digest(theirs).0, "{name}.parquet");
        if let Some(at) = at {
            let Values::Text(column) = &ours.columns[at].values else {
                panic!()
            };
            let column: Vec<String> = column.iter().map(|d| d.clone().unwrap()).collect();
            assert_eq!(column, digests);
        }
        let csv_lines = |path: PathBuf| -> Vec<String> {
            let text = std::fs::read_to_string(path).unwrap();
            text.lines()
                .map(|line| {
                    let mut cells: Vec<&str> = line.split(',').collect();
                    if let Some(at) = at {
                        cells.remove(at);
                    }
                    cells.join(",")
                })
                .collect()
        };
        let ours = csv_lines(out.join(format!("{name}.csv")));
        let theirs = csv_lines(fixture().join(format!("export/{name}.csv")));
        assert_eq!(ours.len(), theirs.len(), "{name}.csv");
        for (line, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(a, b, "{name}.csv line {}", line + 1);
        }
    }
}

#[test]
fn a_reader_migrates_in_memory_and_leaves_the_file_alone() {
    let dir = copy_fixture("format1-read");
    let db = dir.join(DB_FILE);
    let before = file_hash(&db);
    let expected = format1_outputs(&db);
    assert_eq!(expected.len(), 16);
    let store = Store::open(&dir).unwrap();
    assert_eq!(store.meta().schema, toy());
    assert_eq!(store.meta().name, "format1-fixture");
    let outputs = store.outputs().unwrap();
    assert_eq!(outputs.len(), 16);
    let mut diverged = 0;
    let mut no_strong_rows = 0;
    for (record, output) in &outputs {
        let key = (record.run_id.clone(), record.replicate);
        assert_eq!(kept(output), expected[&key], "run {} r{}", key.0, key.1);
        assert_eq!(
            record.digest.as_deref(),
            Some(output_digest(output).as_str())
        );
        diverged += usize::from(matches!(output.end, End::Diverged { .. }));
        no_strong_rows += usize::from(
            matches!(output.scalars[7], Scalar::Int(_))
                && matches!(output.scalars[11], Scalar::Missing),
        );
        // The headline is format 1's held-out loss.
        let Scalar::Float(heldout) = output.scalars[2] else {
            panic!()
        };
        assert_eq!(record.headline, (!heldout.is_nan()).then_some(heldout));
    }
    assert_eq!(
        (diverged, no_strong_rows),
        (8, 4),
        "the fixture's awkward runs"
    );
    // Weights files of format 1: W then b, and the digest format 1 stored.
    for record in store.runs().unwrap() {
        let tensors = read_weights(&dir.join(record.weights_file.as_ref().unwrap())).unwrap();
        let names: Vec<&str> = tensors.tensors.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["W", "b"]);
        assert_eq!(record.weights_digest, Some(weights_digest(&tensors)));
        assert!(tensors
            .metadata
            .iter()
            .any(|(k, v)| k == "run_id" && *v == record.run_id));
    }
    exports_equal_format_1(&store, &scratch("format1-read-export"));
    drop(store);
    assert_eq!(file_hash(&db), before, "a reader never writes");
    assert_eq!(format_version(&db), "1");
    remove(&scratch("format1-read-export"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_writer_migrates_in_place_and_resumes() {
    let dir = copy_fixture("format1-write");
    let db = dir.join(DB_FILE);
    let expected = format1_outputs(&db);
    let plan = fixture_plan(&db);
    assert_eq!(
        fingerprint(&plan),
        Store::open(&dir).unwrap().meta().fingerprint
    );
    let prepared = Store::prepare(&dir, &plan, &Plan::default()).unwrap();
    assert_eq!(
        (prepared.finished, prepared.todo.len(), prepared.created),
        (16, 0, false)
    );
    drop(prepared);
    assert_eq!(format_version(&db), "2");
    let conn = raw(&db);
    let mut statement = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    let tables: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(|row| row.unwrap())
        .collect();
    drop(statement);
    drop(conn);
    assert_eq!(tables, ["arrays", "curves", "meta", "runs", "scalars"]);
    let store = Store::open(&dir).unwrap();
    for (record, output) in store.outputs().unwrap() {
        assert_eq!(
            kept(&output),
            expected[&(record.run_id.clone(), record.replicate)]
        );
    }
    exports_equal_format_1(&store, &scratch("format1-write-export"));
    remove(&scratch("format1-write-export"));
    drop(store);
    // Migrated once: the next writer finds format 2 and does not migrate again.
    let migrated = || -> String {
        raw(&db)
            .query_row("SELECT value FROM meta WHERE key = 'migrated'", [], |row| {
                row.get(0)
            })
            .unwrap()
    };
    let before = migrated();
    assert!(before.starts_with("from format 1 at "), "{before}");
    drop(Store::prepare(&dir, &plan, &Plan::default()).unwrap());
    assert_eq!(migrated(), before);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_damaged_format_1_store_is_refused_not_migrated() {
    let dir = copy_fixture("format1-damaged");
    let db = dir.join(DB_FILE);
    let plan = fixture_plan(&db);
    let conn = Connection::open(&db).unwrap();
    let changed = conn
        .execute(
            "UPDATE results SET phi_half = 0.5 WHERE run_id = (SELECT run_id FROM runs WHERE idx = 0) AND replicate = 0",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    let before = file_hash(&db);
    let err = Store::open(&dir).err().unwrap();
    assert!(
        matches!(err, Error::Corrupt { .. }) && err.to_string().contains("format-1 digest"),
        "{err}"
    );
    let err = Store::prepare(&dir, &plan, &Plan::default()).err().unwrap();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert_eq!(file_hash(&db), before);
    assert_eq!(format_version(&db), "1");
    std::fs::remove_dir_all(&dir).unwrap();
}
