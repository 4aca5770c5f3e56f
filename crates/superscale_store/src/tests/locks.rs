//! One writer per store, with real concurrent processes: a second writer (run, extend,
//! merge into) is refused and told who holds the store; readers keep working.

use super::*;

const DIR: &str = "SUPERSCALE_TEST_LOCK_DIR";

/// Child: prepares the standard study in `$SUPERSCALE_TEST_LOCK_DIR`, says whether it got
/// the store, and holds it until the parent closes its stdin.
#[test]
#[ignore = "a child process of the lock tests"]
fn writer_process() {
    let Some(dir) = child_env(DIR) else {
        return;
    };
    match Store::prepare(&dir, &standard(), &Plan::default()) {
        Ok(mut prepared) => {
            // Some work in progress, so that readers see a live store.
            let run = &standard().runs[0];
            prepared.store.mark_running(run).unwrap();
            prepared.store.commit(run, &compute(run), false).unwrap();
            prepared.store.mark_running(&standard().runs[1]).unwrap();
            println!("CHILD holds pid {}", std::process::id());
            wait_for_parent();
        }
        Err(err @ Error::Locked { .. }) => println!("CHILD refused: {err}"),
        Err(err) => println!("CHILD failed: {err}"),
    }
}

#[test]
fn a_second_writer_is_refused_while_readers_read() {
    let dir = scratch("locked");
    let (mut holder, mut says) = child("tests::locks::writer_process", &[(DIR, &dir)]);
    let said = child_says(&mut says);
    let pid = said.strip_prefix("holds pid ").expect(&said).to_string();
    let plan = standard();
    // Run, extend and merge-into are all writers.
    let err = Store::prepare(&dir, &plan, &Plan::default()).err().unwrap();
    assert!(
        matches!(err, Error::Locked { .. }) && err.is_user_error(),
        "{err}"
    );
    assert!(
        err.to_string().contains(&format!("pid {pid} on ")),
        "names the holder: {err}"
    );
    let wider = study("a", &[3, DIVERGING_WIDTH, 5, 7], 2);
    let extend = Plan {
        extend: true,
        shard: None,
    };
    assert!(matches!(
        Store::prepare(&dir, &wider, &extend),
        Err(Error::Locked { .. })
    ));
    let shard = scratch("locked-shard");
    drop(run_into(
        &shard,
        &plan,
        &Plan {
            extend: false,
            shard: Some(Shard::new(1, 3).unwrap()),
        },
        false,
    ));
    assert!(matches!(
        merge(&dir, std::slice::from_ref(&shard), &plan),
        Err(Error::Locked { .. })
    ));
    // Readers: list, show, export, while the writer holds the store.
    let reader = Store::open(&dir).unwrap();
    let states: Vec<RunState> = reader.runs().unwrap().iter().map(|r| r.state).collect();
    assert_eq!(
        &states[..3],
        [RunState::Done, RunState::Running, RunState::Pending]
    );
    assert_eq!(reader.outputs().unwrap().len(), 1);
    assert_eq!(reader.find(&plan.runs[0].run_id).unwrap().len(), 2);
    assert_eq!(tables(&reader).unwrap().len(), 4);
    drop(reader);
    // The writer ends: the store is free, and its work is there.
    drop(holder.stdin.take());
    assert!(holder.wait().unwrap().success());
    let resumed = Store::prepare(&dir, &plan, &Plan::default()).unwrap();
    assert_eq!((resumed.finished, resumed.interrupted), (1, 1));
    // Within one process too: a second handle is a second writer.
    let err = Store::prepare(&dir, &plan, &Plan::default()).err().unwrap();
    assert!(
        err.to_string()
            .contains(&format!("pid {} on ", std::process::id())),
        "{err}"
    );
    drop(resumed);
    for dir in [dir, shard] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn two_writers_started_together_on_a_new_store_make_one_store() {
    let dir = scratch("race");
    let (mut first, mut first_says) = child("tests::locks::writer_process", &[(DIR, &dir)]);
    let (mut second, mut second_says) = child("tests::locks::writer_process", &[(DIR, &dir)]);
    let mut said = [child_says(&mut first_says), child_says(&mut second_says)];
    said.sort();
    assert!(said[0].starts_with("holds pid "), "{said:?}");
    assert!(
        said[1].starts_with("refused: ")
            && said[1].contains("in use by another superscale process"),
        "{said:?}"
    );
    for child in [&mut first, &mut second] {
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
    }
    let store = Store::open(&dir).unwrap();
    assert_eq!(store.runs().unwrap().len(), 6);
    assert_eq!(store.outputs().unwrap().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_reader_handle_cannot_write() {
    let dir = scratch("reader-writes");
    let plan = standard();
    drop(Store::prepare(&dir, &plan, &Plan::default()).unwrap());
    let mut reader = Store::open(&dir).unwrap();
    let run = &plan.runs[0];
    for err in [
        reader.mark_running(run).unwrap_err(),
        reader.commit(run, &compute(run), false).unwrap_err(),
        reader.commit_failure(run, "no").unwrap_err(),
    ] {
        assert!(matches!(err, Error::ReadOnly { .. }), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
