//! Reading never modifies what it reads: foreign and empty files are refused untouched,
//! readers open read-only, and a store on a read-only directory can be listed.

use super::*;
use rusqlite::Connection;

/// The files in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn foreign_and_empty_databases_are_refused_untouched() {
    let plan = standard();
    // Another program's SQLite file (rollback journal), one with a `meta` table that is
    // not ours, a zero-byte file, and a text file, each named superscale.db.
    type Make = fn(&Path);
    let cases: [(&str, Make); 4] = [
        ("without the store's `meta` table", |db| {
            let conn = Connection::open(db).unwrap();
            conn.execute_batch("CREATE TABLE notes (x); INSERT INTO notes VALUES (1);")
                .unwrap();
        }),
        ("no `format = superscale-store`", |db| {
            let conn = Connection::open(db).unwrap();
            conn.execute_batch(
                "CREATE TABLE meta (key, value); INSERT INTO meta VALUES ('a', 'b');",
            )
            .unwrap();
        }),
        ("empty (0 bytes)", |db| std::fs::write(db, b"").unwrap()),
        ("SQLite header", |db| {
            std::fs::write(db, b"this is not a database at all, just text").unwrap()
        }),
    ];
    for (n, (why, make)) in cases.into_iter().enumerate() {
        let dir = scratch(&format!("foreign{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join(DB_FILE);
        make(&db);
        let before = file_hash(&db);
        let header = std::fs::read(&db).unwrap();
        let shard = scratch(&format!("foreign-shard{n}"));
        drop(run_into(
            &shard,
            &plan,
            &Plan {
                extend: false,
                shard: Some(Shard::new(1, 2).unwrap()),
            },
            false,
        ));
        for err in [
            Store::open(&dir).err().unwrap(),
            Store::prepare(&dir, &plan, &Plan::default()).err().unwrap(),
            merge(&dir, std::slice::from_ref(&shard), &plan).unwrap_err(),
        ] {
            assert!(
                matches!(err, Error::Corrupt { .. }) && err.is_user_error(),
                "{why}: {err}"
            );
            assert!(err.to_string().contains(why), "{why}: {err}");
        }
        assert_eq!(file_hash(&db), before, "{why}: bytes unchanged");
        assert_eq!(listing(&dir), [DB_FILE], "{why}: no log, no lock file");
        if header.len() > 20 && header.starts_with(b"SQLite") {
            assert_eq!(
                header[18..20],
                [1, 1],
                "{why}: still a rollback-journal file"
            );
        }
        remove(&dir);
        remove(&shard);
    }
}

#[test]
fn foreign_and_fresh_directories() {
    let plan = standard();
    let foreign = scratch("foreign-dir");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    assert!(matches!(
        Store::prepare(&foreign, &plan, &Plan::default()),
        Err(Error::NotAStore { .. })
    ));
    assert!(matches!(
        Store::open(&foreign),
        Err(Error::NotAStore { .. })
    ));
    assert_eq!(listing(&foreign), ["notes.txt"], "not even a lock file");
    assert!(matches!(
        Store::open(&foreign.join("absent")),
        Err(Error::Missing { .. })
    ));
    // What an interrupted creation leaves (the lock file, a partial database) is not a
    // store for readers, and a fresh directory for the next writer.
    let interrupted = scratch("interrupted");
    std::fs::create_dir_all(&interrupted).unwrap();
    std::fs::write(interrupted.join(LOCK_FILE), "pid 1 on nowhere").unwrap();
    std::fs::write(interrupted.join("superscale.db.partial"), "half").unwrap();
    assert!(matches!(
        Store::open(&interrupted),
        Err(Error::Missing { .. })
    ));
    assert!(
        Store::prepare(&interrupted, &plan, &Plan::default())
            .unwrap()
            .created
    );
    assert_eq!(listing(&interrupted), [DB_FILE, LOCK_FILE]);
    for dir in [foreign, interrupted] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn readers_leave_the_database_file_unchanged() {
    let dir = scratch("reader-hash");
    drop(run_into(&dir, &standard(), &Plan::default(), true));
    let db = dir.join(DB_FILE);
    let before = file_hash(&db);
    let store = Store::open(&dir).unwrap();
    store.runs().unwrap();
    store.outputs().unwrap();
    let out = scratch("reader-hash-export");
    export(&store, &out, ExportFormat::Csv).unwrap();
    drop(store);
    assert_eq!(file_hash(&db), before);
    for dir in [dir, out] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

/// What a reader sees of a store: "N runs, M finished, K tables".
fn list(dir: &Path) -> String {
    match Store::open(dir).and_then(|store| {
        Ok(format!(
            "{} runs, {} finished, {} tables",
            store.runs()?.len(),
            store.outputs()?.len(),
            tables(&store)?.len()
        ))
    }) {
        Ok(text) => text,
        Err(err) => format!("error: {err}"),
    }
}

/// Child: lists `$SUPERSCALE_TEST_READ_DIR` (run without write permission).
#[test]
#[ignore = "a child process of a_store_on_a_read_only_directory_can_be_listed"]
fn read_only_reader() {
    let Some(dir) = child_env("SUPERSCALE_TEST_READ_DIR") else {
        return;
    };
    println!("CHILD {}", list(&dir));
}

/// Lists `dir` as a process that cannot write it: this one, or (when it runs as root,
/// which writes anywhere) a child with root's privileges dropped.
fn list_without_write_permission(dir: &Path) -> Option<String> {
    let probe = dir.join("probe");
    if std::fs::write(&probe, b"").is_err() {
        return Some(list(dir));
    }
    std::fs::remove_file(&probe).unwrap();
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "tests::readonly::read_only_reader",
            "--nocapture",
            "--test-threads=1",
        ]);
    let setpriv = Command::new("setpriv").arg("--version").output();
    if !setpriv.is_ok_and(|o| o.status.success()) {
        return None;
    }
    let (mut child, mut says) = spawn(command, &[("SUPERSCALE_TEST_READ_DIR", dir)]);
    let said = child_says(&mut says);
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    Some(said)
}

#[test]
fn a_store_on_a_read_only_directory_can_be_listed() {
    let dir = scratch("read-only");
    drop(run_into(&dir, &standard(), &Plan::default(), true));
    // A format-1 store too: its reader migrates in memory.
    let old = scratch("read-only-format1");
    let status = Command::new("cp")
        .arg("-R")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format1"))
        .arg(&old)
        .status()
        .unwrap();
    assert!(status.success());
    for (store, expected) in [
        (&dir, "6 runs, 6 finished, 4 tables"),
        (&old, "16 runs, 16 finished, 3 tables"),
    ] {
        let before = file_hash(&store.join(DB_FILE));
        let files = listing(store);
        let chmod = Command::new("chmod")
            .arg("-R")
            .arg("a-w")
            .arg(store)
            .status()
            .unwrap();
        assert!(chmod.success());
        let Some(said) = list_without_write_permission(store) else {
            eprintln!("cannot drop root's privileges (no setpriv): read-only directory not tested");
            break;
        };
        assert_eq!(said, expected, "{}", store.display());
        assert_eq!(file_hash(&store.join(DB_FILE)), before);
        assert_eq!(listing(store), files, "no file added");
        remove(store);
    }
}

#[test]
fn a_killed_writers_store_on_a_read_only_directory() {
    let dir = scratch("read-only-killed");
    let (mut writer, mut says) = child(
        "tests::resume::killed_writer",
        &[("SUPERSCALE_TEST_KILL_DIR", &dir)],
    );
    assert_eq!(child_says(&mut says), "committed 3");
    writer.kill().unwrap();
    assert!(!writer.wait().unwrap().success());
    let log = dir.join(format!("{DB_FILE}-wal"));
    assert!(
        std::fs::metadata(&log).unwrap().len() > 0,
        "commits in the log"
    );
    let chmod = |mode: &str| {
        let status = Command::new("chmod").arg(mode).arg(&dir).status().unwrap();
        assert!(status.success());
    };
    chmod("a-w");
    let Some(said) = list_without_write_permission(&dir) else {
        eprintln!("cannot drop root's privileges (no setpriv): read-only directory not tested");
        remove(&dir);
        return;
    };
    // The log's index is there: SQLite reads the log read-only.
    assert_eq!(said, "6 runs, 3 finished, 4 tables");
    // Without the index the log cannot be read from a read-only directory: an error, not
    // the older state the database file alone holds.
    chmod("u+w");
    std::fs::remove_file(dir.join(format!("{DB_FILE}-shm"))).unwrap();
    chmod("a-w");
    let said = list_without_write_permission(&dir).unwrap();
    assert!(
        said.starts_with("error: ") && said.contains("still holds commits"),
        "{said}"
    );
    remove(&dir);
}
