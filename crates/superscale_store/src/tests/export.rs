//! Export tables built from the schema, and their CSV and Parquet files.

use super::*;

fn values<'a>(table: &'a Table, name: &str) -> &'a Values {
    &table
        .columns
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{}: no column {name}", table.name))
        .values
}

#[test]
fn tables_follow_the_schema() {
    let dir = scratch("export");
    let plan = standard();
    let mut prepared = run_into(&dir, &plan, &Plan::default(), false);
    // One unfinished run: a row in `runs` with empty results, no curve or array rows.
    let extended = study("a", &[3, DIVERGING_WIDTH, 5, 2], 2);
    drop(prepared);
    prepared = Store::prepare(
        &dir,
        &extended,
        &Plan {
            extend: true,
            shard: None,
        },
    )
    .unwrap();
    let tables = tables(&prepared.store).unwrap();
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["runs", "curves", "grid", "norms"]);

    let runs = &tables[0];
    let columns: Vec<&str> = runs.columns.iter().map(|c| c.name.as_str()).collect();
    let mut expected: Vec<&str> = crate::validate::RUN_COLUMNS.to_vec();
    expected.extend(["base", "width", "count", "loss", "gap", "phase"]);
    assert_eq!(columns, expected);
    assert!(
        matches!(values(runs, "width"), Values::Int(v) if v[..] == [Some(3), Some(3), Some(13), Some(13), Some(5), Some(5), Some(2), Some(2)])
    );
    assert!(matches!(values(runs, "base"), Values::Text(v) if v[0].as_deref() == Some("a")));
    assert!(matches!(values(runs, "seed"), Values::UInt(v) if v[5] == Some(plan.runs[5].seed)));
    let Values::Int(count) = values(runs, "count") else {
        panic!()
    };
    let Values::Float(gap) = values(runs, "gap") else {
        panic!()
    };
    let Values::Text(phase) = values(runs, "phase") else {
        panic!()
    };
    assert_eq!(count[2], None, "missing");
    assert_eq!(count[6], None, "unfinished");
    assert!(count[0].is_some());
    assert_eq!(gap[0].map(f64::to_bits), Some((-0.0f64).to_bits()));
    assert_eq!(gap[1].map(f64::to_bits), Some(1));
    assert_eq!(phase[4].as_deref(), Some("ordered, \"w5\"\nline two"));
    let Values::Float(loss) = values(runs, "loss") else {
        panic!()
    };
    assert_eq!(loss[3], None, "NaN");
    assert!(
        matches!(values(runs, "status"), Values::Text(v) if v[6].as_deref() == Some("pending") && v[2].as_deref() == Some("diverged"))
    );

    // Curves sharing a table, aligned by step; a diverged run's extra step comes in order
    // of appearance.
    let curves = &tables[1];
    let steps = |run: usize| -> Vec<i64> {
        let (Values::Text(ids), Values::Int(reps), Values::Int(steps)) = (
            values(curves, "run_id"),
            values(curves, "replicate"),
            values(curves, "step"),
        ) else {
            panic!()
        };
        (0..ids.len())
            .filter(|&i| {
                ids[i].as_deref() == Some(plan.runs[run].run_id.as_str())
                    && reps[i] == Some(i64::from(plan.runs[run].replicate))
            })
            .map(|i| steps[i].unwrap())
            .collect()
    };
    assert_eq!(steps(0), [0, 1, 2, 4, 8]);
    assert_eq!(steps(2), [0, 1, 2, 7, 4, 8]);
    let Values::Float(accuracy) = values(curves, "accuracy") else {
        panic!()
    };
    assert_eq!(
        &accuracy[..5]
            .iter()
            .map(|v| v.map(f64::to_bits))
            .collect::<Vec<_>>(),
        &[
            Some((-0.0f64).to_bits()),
            None,
            None,
            accuracy[3].map(f64::to_bits),
            Some(1.0f64.to_bits())
        ]
    );
    assert!(accuracy[3].is_some());

    // Arrays, row-major, one column per axis.
    let grid = &tables[2];
    assert!(
        matches!(values(grid, "row"), Values::Int(v) if v[..6] == [Some(0), Some(0), Some(0), Some(1), Some(1), Some(1)])
    );
    assert!(
        matches!(values(grid, "column"), Values::Int(v) if v[..6] == [Some(0), Some(1), Some(2), Some(0), Some(1), Some(2)])
    );
    assert!(
        matches!(values(grid, "v"), Values::Float(v) if v.len() == 36 && v[1] == Some(-0.0) && v[3] == Some(f64::NEG_INFINITY))
    );
    let norms = &tables[3];
    let Values::Float(norm) = values(norms, "norm") else {
        panic!()
    };
    assert_eq!(norm.len(), 2 * 3 + 2 * 13 + 2 * 5);
    assert_eq!(norm[6], None, "the diverged run's NaN");
    let ArrayData::F32(first) = &compute(&plan.runs[0]).arrays[1].data else {
        panic!()
    };
    assert_eq!(norm[0], Some(f64::from(first[0])), "f32 widened exactly");
    drop(prepared);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn parquet_and_csv_files_hold_the_tables() {
    let dir = scratch("export-files");
    drop(run_into(&dir, &standard(), &Plan::default(), false));
    let store = Store::open(&dir).unwrap();
    let tables = tables(&store).unwrap();
    let out = dir.join("export");
    let files = export(&store, &out, ExportFormat::Parquet).unwrap();
    assert_eq!(files.len(), 4);
    for table in &tables {
        let read = read_parquet(&out.join(format!("{}.parquet", table.name))).unwrap();
        assert_eq!(&read, table, "{}", table.name);
    }
    let files = export(&store, &out, ExportFormat::Csv).unwrap();
    let text = std::fs::read_to_string(&files[1]).unwrap();
    assert!(text.starts_with("run_id,replicate,step,loss_batch,accuracy\n"));
    // −0.0 prints as -0, a missing point as an empty cell.
    let run = &store.runs().unwrap()[0].run_id;
    assert!(
        text.contains(&format!("{run},0,0,")) && text.contains(",-0\n"),
        "{text}"
    );
    assert!(text.contains(&format!("{run},0,1,")) && text.lines().nth(2).unwrap().ends_with(','));
    let runs = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        runs.contains("\"ordered, \"\"w3\"\"\nline two\""),
        "quoted text"
    );
    assert_eq!(
        runs.lines().next().unwrap().split(',').count(),
        tables[0].columns.len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
