//! What goes into a store comes back bit for bit: outputs, records, weights.

use super::*;

#[test]
fn outputs_read_back_bit_for_bit_with_missing_nan_and_negative_zero_kept_apart() {
    let dir = scratch("roundtrip");
    let plan = standard();
    let prepared = run_into(&dir, &plan, &Plan::default(), true);
    assert!(prepared.created && prepared.todo.len() == 6);
    drop(prepared);
    let store = Store::open(&dir).unwrap();
    assert!(!store.is_writer());
    assert_eq!(store.meta().schema, schema());
    let outputs = store.outputs().unwrap();
    assert_eq!(outputs.len(), plan.runs.len());
    for ((record, output), run) in outputs.iter().zip(&plan.runs) {
        let computed = compute(run);
        assert_eq!(
            (&record.run_id, record.replicate),
            (&run.run_id, run.replicate)
        );
        assert_eq!(kept(output), kept(&computed), "{}", record.run_id);
        assert_eq!(
            record.digest.as_deref(),
            Some(output_digest(&computed).as_str())
        );
        assert_eq!(output.seconds.to_bits(), computed.seconds.to_bits());
        assert!(
            output.weights.tensors.is_empty(),
            "weights are read on demand"
        );
        // The NaN payload of an f32 array survives the BLOB.
        if let ArrayData::F32(norms) = &output.arrays[1].data {
            if let ArrayData::F32(expected) = &computed.arrays[1].data {
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(norms), bits(expected));
            }
        }
    }
    // The awkward scalars, spelled out: −0.0, a subnormal, missing ≠ NaN.
    let scalars = |i: usize| &outputs[i].1.scalars;
    assert!(matches!(scalars(0)[2], Scalar::Float(v) if v.to_bits() == (-0.0f64).to_bits()));
    assert!(matches!(scalars(1)[2], Scalar::Float(v) if v.to_bits() == 1));
    let diverged = &outputs[2].1;
    assert_eq!(diverged.end, End::Diverged { step: 7 });
    assert!(matches!(diverged.scalars[0], Scalar::Missing));
    assert!(matches!(diverged.scalars[1], Scalar::Float(v) if v.is_nan()));
    assert!(matches!(diverged.scalars[2], Scalar::Missing));
    assert!(diverged.curves[0][3].1.is_nan());
    // One run alone, and an unfinished or unknown one.
    let one = store.output(&plan.runs[3].run_id, 1).unwrap().unwrap();
    assert_eq!(kept(&one), kept(&compute(&plan.runs[3])));
    assert!(store.output("nothing", 0).unwrap().is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn records_carry_state_provenance_and_the_headline() {
    let dir = scratch("records");
    let plan = standard();
    let mut prepared = Store::prepare(&dir, &plan, &Plan::default()).unwrap();
    let store = &mut prepared.store;
    store.mark_running(&plan.runs[0]).unwrap();
    store
        .commit(&plan.runs[0], &compute(&plan.runs[0]), false)
        .unwrap();
    store.mark_running(&plan.runs[1]).unwrap();
    store
        .commit_failure(&plan.runs[1], "out of memory")
        .unwrap();
    store.mark_running(&plan.runs[2]).unwrap();
    store
        .commit(&plan.runs[2], &compute(&plan.runs[2]), false)
        .unwrap();
    store.mark_running(&plan.runs[3]).unwrap();
    let records = store.runs().unwrap();
    let states: Vec<RunState> = records.iter().map(|r| r.state).collect();
    use RunState::*;
    assert_eq!(states, [Done, Failed, Diverged, Running, Pending, Pending]);
    let Scalar::Float(loss) = compute(&plan.runs[0]).scalars[1] else {
        panic!()
    };
    assert_eq!(records[0].headline, Some(loss));
    assert_eq!(records[0].attempts, 1);
    assert!(records[0].host.is_some() && records[0].finished_at.is_some());
    assert_eq!(records[0].seconds, Some(0.25));
    assert_eq!(records[0].weights_file, None);
    assert_eq!(
        records[0].weights_digest.as_deref(),
        Some(weights_digest(&compute(&plan.runs[0]).weights).as_str()),
        "the weights digest is kept even without the weights"
    );
    assert_eq!(records[1].error.as_deref(), Some("out of memory"));
    assert_eq!(records[2].headline, None, "NaN headline");
    assert_eq!(records[2].diverged_step, Some(7));
    assert_eq!(records[3].headline, None, "unfinished");
    assert_eq!(records[4].axes, [("width".to_string(), "5".to_string())]);
    assert_eq!(records[4].spec_json, plan.runs[4].spec_json);
    assert_eq!(records[4].seed, plan.runs[4].seed);
    // find: by unique prefix, all replicates; ambiguous or unknown prefixes are refused.
    let found = store.find(&plan.runs[2].run_id[..10]).unwrap();
    assert_eq!(found.len(), 2);
    for prefix in ["", "zzz"] {
        let err = store.find(prefix).unwrap_err();
        assert!(
            matches!(err, Error::UnknownRun { .. }) && err.is_user_error(),
            "{err}"
        );
    }
    // A run the store does not have; an output that does not fit the schema.
    let stranger = study("other", &[3], 1).runs.remove(0);
    let err = store
        .commit(&stranger, &compute(&stranger), true)
        .unwrap_err();
    assert!(matches!(err, Error::UnknownRun { .. }), "{err}");
    assert!(
        !dir.join("weights").exists(),
        "no weights file for an unknown run"
    );
    let mut wrong = compute(&plan.runs[4]);
    wrong.scalars[0] = Scalar::Text("three".into());
    let err = store.commit(&plan.runs[4], &wrong, false).unwrap_err();
    assert!(
        matches!(err, Error::Schema { .. }) && !err.is_user_error(),
        "{err}"
    );
    let mut wrong = compute(&plan.runs[4]);
    wrong.arrays[0].shape = vec![3, 3];
    assert!(matches!(
        store.commit(&plan.runs[4], &wrong, false),
        Err(Error::Schema { .. })
    ));
    assert_eq!(store.runs().unwrap()[4].state, Pending, "nothing written");
    drop(prepared);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn weights_files_keep_the_kinds_order_dtypes_and_metadata() {
    let dir = scratch("weights");
    let plan = standard();
    run_into(&dir, &plan, &Plan::default(), true);
    let store = Store::open(&dir).unwrap();
    for (record, run) in store.runs().unwrap().iter().zip(&plan.runs) {
        let file = record.weights_file.as_deref().unwrap();
        assert_eq!(file, weights_file(&run.run_id, run.replicate));
        let read = read_weights(&dir.join(file)).unwrap();
        let computed = compute(run).weights;
        let names: Vec<&str> = read.tensors.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["W", "b", "scale"],
            "the kind's order, not safetensors' sort"
        );
        assert_eq!(
            format!("{:?}", read.tensors),
            format!("{:?}", computed.tensors)
        );
        assert_eq!(
            record.weights_digest.as_deref(),
            Some(weights_digest(&read).as_str())
        );
        let metadata: std::collections::HashMap<_, _> = read.metadata.iter().cloned().collect();
        assert_eq!(metadata["run_id"], run.run_id);
        assert_eq!(metadata["replicate"], run.replicate.to_string());
        assert_eq!(metadata["seed"], run.seed.to_string());
        assert_eq!(metadata["spec"], run.spec_json);
        assert_eq!(metadata["superscale_version"], version());
        assert_eq!(metadata["note"], computed.metadata[0].1);
        assert_eq!(metadata.len(), 6);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_weights_digest_of_w_and_b_is_format_1s() {
    // Format 1 hashed W then b as (element count, f32 bits) each; written out by hand here.
    let w = [1.5f32, -0.0, f32::NAN, 3.0];
    let b = [f32::MIN_POSITIVE, 2.0];
    let mut hash = Sha256::new();
    for part in [&w[..], &b[..]] {
        hash.update((part.len() as u64).to_le_bytes());
        for v in part {
            hash.update(v.to_bits().to_le_bytes());
        }
    }
    let expected = crate::digest::hex(&hash.finalize());
    let tensors = Tensors {
        tensors: vec![
            (
                "W".into(),
                Array {
                    shape: vec![2, 2],
                    data: ArrayData::F32(w.to_vec()),
                },
            ),
            (
                "b".into(),
                Array {
                    shape: vec![2],
                    data: ArrayData::F32(b.to_vec()),
                },
            ),
        ],
        metadata: vec![],
    };
    assert_eq!(weights_digest(&tensors), expected);
}

#[test]
fn invalid_schemas_are_refused_before_anything_is_written() {
    let base = standard();
    type Break = fn(&mut Schema);
    let cases: [(&str, Break); 5] = [
        ("repeats a column", |s| s.scalars[1].name = "count".into()),
        ("runs table", |s| s.scalars[0].name = "seed".into()),
        ("key column", |s| s.curves[0].name = "step".into()),
        ("table name", |s| s.arrays[0].name = "curves".into()),
        ("headline", |s| s.headline = Some("phase".into())),
    ];
    for (what, break_it) in cases {
        let mut plan = base.clone();
        break_it(&mut plan.schema);
        let dir = scratch("bad-schema");
        let err = Store::prepare(&dir, &plan, &Plan::default()).err().unwrap();
        assert!(
            matches!(err, Error::Schema { .. }) && err.to_string().contains(what),
            "{what}: {err}"
        );
        assert!(!dir.exists(), "{what}: nothing created");
    }
}
