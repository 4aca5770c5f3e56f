//! Merging shards back into one study: every input verified before anything is written,
//! the output complete or untouched.

use super::*;
use rusqlite::Connection;

fn shard(k: u32) -> Plan {
    Plan {
        extend: false,
        shard: Some(Shard::new(k, 3).unwrap()),
    }
}

/// (run id, replicate, index, state, digest, weights digest) of a run.
type Identity = (String, u32, usize, RunState, Option<String>, Option<String>);

/// The identities of every run.
fn digests(store: &Store) -> Vec<Identity> {
    store
        .runs()
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.run_id,
                r.replicate,
                r.index,
                r.state,
                r.digest,
                r.weights_digest,
            )
        })
        .collect()
}

fn shards(name: &str, plan: &StudyPlan) -> Vec<PathBuf> {
    (1..=3)
        .map(|k| {
            let dir = scratch(&format!("{name}{k}"));
            drop(run_into(&dir, plan, &shard(k), true));
            dir
        })
        .collect()
}

#[test]
fn shards_merge_into_the_whole_study() {
    let plan = standard();
    let whole = scratch("whole");
    drop(run_into(&whole, &plan, &Plan::default(), true));
    let shards = shards("shard", &plan);
    let out = scratch("merged");
    // Two shards first: the third shard's runs stay pending; a second merge adds them.
    let partial = merge(&out, &shards[..2], &plan).unwrap();
    assert_eq!(
        (partial.copied, partial.duplicates, partial.missing),
        (4, 0, 2)
    );
    let rest = merge(&out, &shards, &plan).unwrap();
    assert_eq!((rest.copied, rest.duplicates, rest.missing), (2, 4, 0));
    let merged = Store::open(&out).unwrap();
    let reference = Store::open(&whole).unwrap();
    assert_eq!(digests(&merged), digests(&reference));
    assert_eq!(merged.meta().shard, None);
    assert_eq!(merged.meta().schema, plan.schema);
    for ((_, a), (_, b)) in merged
        .outputs()
        .unwrap()
        .iter()
        .zip(reference.outputs().unwrap().iter())
    {
        assert_eq!(kept(a), kept(b));
    }
    // Weights came along, and match their digests.
    for record in merged.runs().unwrap() {
        let file = out.join(record.weights_file.unwrap());
        assert_eq!(
            record.weights_digest.as_deref(),
            Some(weights_digest(&read_weights(&file).unwrap()).as_str())
        );
    }
    // The merged store is a normal store: resuming it finds nothing to do.
    drop(merged);
    let resumed = Store::prepare(&out, &plan, &Plan::default()).unwrap();
    assert_eq!((resumed.finished, resumed.todo.len()), (6, 0));
    drop(resumed);
    for dir in shards.iter().chain([&whole, &out]) {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn failures_carry_over_and_duplicates_must_agree() {
    let plan = standard();
    let a = scratch("dup-a");
    let mut prepared = Store::prepare(&a, &plan, &Plan::default()).unwrap();
    for run in &plan.runs[..2] {
        prepared.store.commit(run, &compute(run), false).unwrap();
    }
    prepared
        .store
        .commit_failure(&plan.runs[2], "no memory")
        .unwrap();
    drop(prepared);
    // b: the same first run, and a second one computed differently (another machine).
    let b = scratch("dup-b");
    let mut prepared = Store::prepare(&b, &plan, &Plan::default()).unwrap();
    prepared
        .store
        .commit(&plan.runs[0], &compute(&plan.runs[0]), false)
        .unwrap();
    let mut other = compute(&plan.runs[1]);
    other.scalars[1] = Scalar::Float(0.125);
    prepared.store.commit(&plan.runs[1], &other, false).unwrap();
    drop(prepared);
    let out = scratch("dup-out");
    let summary = merge(&out, std::slice::from_ref(&a), &plan).unwrap();
    assert_eq!((summary.copied, summary.missing), (2, 4));
    let merged = Store::open(&out).unwrap();
    let failed = &merged.runs().unwrap()[2];
    assert_eq!(
        (failed.state, failed.error.as_deref()),
        (RunState::Failed, Some("no memory"))
    );
    drop(merged);
    let before = file_hash(&out.join(DB_FILE));
    let err = merge(&out, std::slice::from_ref(&b), &plan).unwrap_err();
    assert!(
        matches!(err, Error::Conflict { .. }) && err.to_string().contains("different result"),
        "{err}"
    );
    assert_eq!(
        file_hash(&out.join(DB_FILE)),
        before,
        "the output is untouched"
    );
    let fresh = scratch("dup-fresh");
    let err = merge(&fresh, &[a.clone(), b.clone()], &plan).unwrap_err();
    assert!(err.to_string().contains("different result"), "{err}");
    assert!(!fresh.exists(), "nothing created on conflict");
    for dir in [a, b, out] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn a_bad_input_is_refused_before_anything_is_written() {
    let plan = standard();
    let shards = shards("bad", &plan);
    // A value edited in the last shard: its rows no longer match their digest.
    let conn = Connection::open(shards[2].join(DB_FILE)).unwrap();
    conn.execute(
        "UPDATE scalars SET value = 0.5 WHERE name = 'loss' AND value IS NOT NULL",
        [],
    )
    .unwrap();
    drop(conn);
    let out = scratch("bad-out");
    let err = merge(&out, &shards, &plan).unwrap_err();
    let Error::Corrupt { path, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        path,
        &shards[2].join(DB_FILE),
        "the input is named, not the output"
    );
    assert!(!out.exists(), "no half-merged output");
    // Into an existing output: unchanged, byte for byte.
    merge(&out, &shards[..1], &plan).unwrap();
    let before = file_hash(&out.join(DB_FILE));
    let err = merge(&out, &shards[1..], &plan).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert_eq!(file_hash(&out.join(DB_FILE)), before);
    assert_eq!(
        Store::open(&out).unwrap().outputs().unwrap().len(),
        2,
        "only the first shard's runs"
    );
    // A weights file that does not match its digest is a bad input too.
    let weights = shards[1].join(weights_file(&plan.runs[1].run_id, 1));
    let mut tensors = read_weights(&weights).unwrap();
    tensors.tensors[0].1.data = ArrayData::F32(vec![0.0; 6]);
    crate::weights::write(&shards[1], &plan.runs[1], &tensors).unwrap();
    let (bad_weights, mixed) = (scratch("bad-weights"), scratch("bad-mixed"));
    let err = merge(&bad_weights, &shards[1..2], &plan).unwrap_err();
    assert!(
        matches!(&err, Error::Corrupt { path, .. } if path == &weights),
        "{err}"
    );
    // Another experiment; an input that is the output.
    let other = scratch("bad-other");
    drop(run_into(
        &other,
        &study("b", &[3], 1),
        &Plan::default(),
        false,
    ));
    let err = merge(&mixed, &[shards[0].clone(), other.clone()], &plan).unwrap_err();
    assert!(
        err.to_string().contains("another experiment") && err.is_user_error(),
        "{err}"
    );
    let err = merge(&shards[0], &shards[..1], &plan).unwrap_err();
    assert!(
        err.to_string().contains("both an input and the output"),
        "{err}"
    );
    let err = merge(&scratch("none"), &[], &plan).unwrap_err();
    assert!(err.to_string().contains("at least one input"), "{err}");
    assert!(!mixed.exists() && !bad_weights.exists(), "nothing created");
    for dir in shards.iter().chain([&out, &other]) {
        std::fs::remove_dir_all(dir).unwrap();
    }
}
