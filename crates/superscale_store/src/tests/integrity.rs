//! Every read checks each run against its digest: an edited, deleted or added row is
//! reported as a damaged store, never read as a result.

use super::*;
use rusqlite::Connection;

/// A finished store of the standard study, edited by `sql` behind the store's back.
fn tampered(name: &str, sql: &str) -> (PathBuf, Error) {
    let dir = scratch(name);
    drop(run_into(&dir, &standard(), &Plan::default(), false));
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    assert_eq!(conn.execute(sql, []).unwrap(), 1, "{sql}");
    drop(conn);
    let store = Store::open(&dir).unwrap();
    let err = store.outputs().expect_err("a tampered store must not read");
    (dir, err)
}

#[test]
fn an_edited_value_is_a_corrupt_store() {
    let cases = [
        // a float changed in its last bit
        "UPDATE scalars SET value = value * 1.0000000000000004 WHERE name = 'loss' AND replicate = 0 AND run_id = (SELECT run_id FROM runs WHERE idx = 0)",
        // −0.0 turned into 0
        "UPDATE scalars SET value = 0.0 WHERE name = 'gap' AND replicate = 0 AND run_id = (SELECT run_id FROM runs WHERE idx = 0)",
        // a NaN (NULL) scalar deleted: missing is not NaN
        "DELETE FROM scalars WHERE name = 'loss' AND value IS NULL AND replicate = 0",
        // a missing scalar made NaN
        "INSERT INTO scalars SELECT run_id, replicate, 'count', NULL FROM runs WHERE status = 'diverged' AND replicate = 1",
        // a curve point moved to another step
        "UPDATE curves SET step = 3 WHERE name = 'loss_batch' AND step = 4 AND replicate = 0 AND run_id = (SELECT run_id FROM runs WHERE idx = 0)",
        // a byte of an array
        "UPDATE arrays SET data = zeroblob(length(data)) WHERE name = 'grid' AND replicate = 1 AND run_id = (SELECT run_id FROM runs WHERE idx = 1)",
        // a row the schema does not know
        "INSERT INTO scalars SELECT run_id, replicate, 'stowaway', 1.0 FROM runs WHERE idx = 0",
        // an array lost
        "DELETE FROM arrays WHERE name = 'norms' AND replicate = 0 AND run_id = (SELECT run_id FROM runs WHERE idx = 0)",
        // the wrong type
        "UPDATE scalars SET value = '1' WHERE name = 'count' AND replicate = 0 AND run_id = (SELECT run_id FROM runs WHERE idx = 0)",
    ];
    for (n, sql) in cases.iter().enumerate() {
        let (dir, err) = tampered(&format!("tamper{n}"), sql);
        assert!(
            matches!(err, Error::Corrupt { .. }) && err.is_user_error(),
            "{sql}: {err}"
        );
        assert!(err.to_string().contains("run "), "names the run: {err}");
        // Exports refuse too.
        let store = Store::open(&dir).unwrap();
        assert!(
            matches!(tables(&store), Err(Error::Corrupt { .. })),
            "{sql}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn rewriting_values_with_themselves_changes_nothing() {
    // The control of the test above: its statements fail because they change a value,
    // not because the store was opened behind its back.
    let dir = scratch("tamper-control");
    drop(run_into(&dir, &standard(), &Plan::default(), false));
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    for table in ["scalars", "curves"] {
        conn.execute(&format!("UPDATE {table} SET value = value"), [])
            .unwrap();
    }
    conn.execute("UPDATE arrays SET data = data", []).unwrap();
    drop(conn);
    assert_eq!(Store::open(&dir).unwrap().outputs().unwrap().len(), 6);
    std::fs::remove_dir_all(&dir).unwrap();
}
