//! Planning into an existing store: resume, extend, shards, and the conflicts refused; a
//! writer killed mid-study loses only its run in flight.

use super::*;

fn extend() -> Plan {
    Plan {
        extend: true,
        shard: None,
    }
}

#[test]
fn resume_skips_finished_runs_and_extend_adds_new_ones() {
    let dir = scratch("resume");
    let plan = standard();
    let mut prepared = Store::prepare(&dir, &plan, &Plan::default()).unwrap();
    assert_eq!(prepared.todo, (0..6).collect::<Vec<_>>());
    for run in &plan.runs[..3] {
        prepared.store.commit(run, &compute(run), false).unwrap();
    }
    prepared.store.mark_running(&plan.runs[3]).unwrap();
    drop(prepared);
    let resumed = Store::prepare(&dir, &plan, &Plan::default()).unwrap();
    assert_eq!(
        (
            resumed.finished,
            resumed.todo.clone(),
            resumed.interrupted,
            resumed.created
        ),
        (3, vec![3, 4, 5], 1, false)
    );
    assert!(resumed
        .summary("unit", 2)
        .contains("resumed: 3 finished, 1 interrupted"));
    drop(resumed);
    // Another base spec is another study; a new width needs --extend.
    let changed = study("b", &[3, DIVERGING_WIDTH, 5], 2);
    let err = Store::prepare(&dir, &changed, &Plan::default())
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::Conflict { .. })
            && err.is_user_error()
            && err.to_string().contains("another directory"),
        "{err}"
    );
    let wider = study("a", &[3, DIVERGING_WIDTH, 5, 7], 2);
    let err = Store::prepare(&dir, &wider, &Plan::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("--extend"), "{err}");
    let extended = Store::prepare(&dir, &wider, &extend()).unwrap();
    assert_eq!(
        (extended.added, extended.finished, extended.todo.clone()),
        (2, 3, vec![3, 4, 5, 6, 7])
    );
    let indices: Vec<usize> = extended
        .store
        .runs()
        .unwrap()
        .iter()
        .map(|r| r.index)
        .collect();
    assert_eq!(indices, (0..8).collect::<Vec<_>>());
    assert_eq!(extended.store.meta().fingerprint, fingerprint(&wider));
    assert_eq!(extended.store.meta().source, wider.source);
    drop(extended);
    // A reordered study renumbers the runs (indices follow the new order).
    let reordered = study("a", &[7, 5, DIVERGING_WIDTH, 3], 2);
    let again = Store::prepare(&dir, &reordered, &Plan::default()).unwrap();
    let records = again.store.runs().unwrap();
    assert_eq!(records[0].axes[0].1, "7");
    assert_eq!(again.todo, vec![0, 1, 2, 3, 5]);
    drop(again);
    // A shard of this store's study is a store of its own; --extend and --shard exclude.
    let shard = Plan {
        extend: false,
        shard: Some(Shard::new(1, 2).unwrap()),
    };
    let err = Store::prepare(&dir, &wider, &shard).err().unwrap();
    assert!(err.to_string().contains("store of its own"), "{err}");
    let both = Plan {
        extend: true,
        shard: shard.shard,
    };
    let err = Store::prepare(&dir, &wider, &both).err().unwrap();
    assert!(
        err.to_string().contains("--extend cannot be combined"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_changed_spec_under_the_same_id_or_another_schema_is_refused() {
    let dir = scratch("incompatible");
    let plan = standard();
    drop(Store::prepare(&dir, &plan, &Plan::default()).unwrap());
    // Same run ids, another canonical JSON: a build that serialises specs differently.
    let mut respelled = plan.clone();
    for run in &mut respelled.runs {
        run.spec_json = run.spec_json.replace(",", ", ");
    }
    let err = Store::prepare(&dir, &respelled, &Plan::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("another canonical spec"), "{err}");
    // The kind records something else now.
    let mut grown = plan.clone();
    grown.schema.scalars.push(ScalarColumn {
        name: "extra".into(),
        kind: ScalarType::Float,
    });
    let err = Store::prepare(&dir, &grown, &Plan::default())
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("another layout") && err.to_string().contains("extra"),
        "{err}"
    );
    let mut other_kind = plan.clone();
    other_kind.schema.kind = "quanta".into();
    let err = Store::prepare(&dir, &other_kind, &Plan::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("of kind 'unit'"), "{err}");
    // A plan with a run twice (a repeated sweep value) is refused before anything exists.
    let fresh = scratch("duplicate");
    let mut twice = plan.clone();
    twice.runs.push(PlannedRow {
        index: 6,
        ..plan.runs[0].clone()
    });
    let err = Store::prepare(&fresh, &twice, &Plan::default())
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::Conflict { .. }) && err.to_string().contains("twice"),
        "{err}"
    );
    assert!(!fresh.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shards_hold_their_slice() {
    let plan = standard();
    for k in 1..=3 {
        let dir = scratch(&format!("slice{k}"));
        let shard = Shard::new(k, 3).unwrap();
        let options = Plan {
            extend: false,
            shard: Some(shard),
        };
        let prepared = run_into(&dir, &plan, &options, false);
        assert!(prepared
            .todo
            .iter()
            .all(|&i| shard.contains(plan.runs[i].index)));
        assert_eq!(prepared.store.runs().unwrap().len(), 2);
        assert_eq!(prepared.store.meta().shard, Some(shard));
        assert!(prepared
            .summary("unit", 1)
            .contains(&format!("(shard {k}/3)")));
        drop(prepared);
        let resumed = Store::prepare(&dir, &plan, &options).unwrap();
        assert_eq!((resumed.finished, resumed.todo.len()), (2, 0));
        drop(resumed);
        let err = Store::prepare(&dir, &plan, &Plan::default()).err().unwrap();
        assert!(err.to_string().contains(&format!("--shard {k}/3")), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// Child of [`a_killed_writer_loses_only_its_run_in_flight`]: commits three runs, marks a
/// fourth running, says so, and waits to be killed.
#[test]
#[ignore = "a child process of a_killed_writer_loses_only_its_run_in_flight"]
fn killed_writer() {
    let Some(dir) = child_env("SUPERSCALE_TEST_KILL_DIR") else {
        return;
    };
    let plan = standard();
    let mut prepared = Store::prepare(&dir, &plan, &Plan::default()).unwrap();
    for run in &plan.runs[..3] {
        prepared.store.mark_running(run).unwrap();
        prepared.store.commit(run, &compute(run), true).unwrap();
    }
    prepared.store.mark_running(&plan.runs[3]).unwrap();
    println!("CHILD committed 3");
    wait_for_parent();
    unreachable!("the parent kills this process");
}

#[test]
fn a_killed_writer_loses_only_its_run_in_flight() {
    let dir = scratch("killed");
    let (mut writer, mut says) = child(
        "tests::resume::killed_writer",
        &[("SUPERSCALE_TEST_KILL_DIR", &dir)],
    );
    assert_eq!(child_says(&mut says), "committed 3");
    // SIGKILL: no destructor, no checkpoint; the commits are in the WAL log only.
    writer.kill().unwrap();
    assert!(!writer.wait().unwrap().success());
    let reader = Store::open(&dir).unwrap();
    assert_eq!(reader.outputs().unwrap().len(), 3);
    drop(reader);
    let plan = standard();
    let resumed = Store::prepare(&dir, &plan, &Plan::default()).unwrap();
    assert_eq!(
        (resumed.finished, resumed.interrupted, resumed.todo.clone()),
        (3, 1, vec![3, 4, 5])
    );
    let outputs = resumed.store.outputs().unwrap();
    for ((_, output), run) in outputs.iter().zip(&plan.runs) {
        assert_eq!(kept(output), kept(&compute(run)));
    }
    drop(resumed);
    std::fs::remove_dir_all(&dir).unwrap();
}
