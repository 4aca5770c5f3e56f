//! Store round trips on a tiny study (a few milliseconds per run).

use crate::*;
use std::path::{Path, PathBuf};
use superscale_kinds::{run_study, RunResult, RunStatus};
use superscale_spec::Experiment;

const SPEC: &str = r#"name = "store-unit"
replicates = 2
[model]
variant = "superposition_scaling"
n_features = 20
n_hidden = 3
alpha = 1.0
weight_decay = -0.5556
[train]
steps = 60
batch_size = 16
schedule = { kind = "constant", lr = 0.01 }
[record]
curve_points = 8
tail_steps = 10
heldout_batches = 4
[sweep]
"model.n_hidden" = [3, 5]
"train.schedule.lr" = [0.01, 1e30]
"#;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("superscale-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn experiment(text: &str) -> Experiment {
    Experiment::parse(text, Path::new("unit.toml")).unwrap()
}

/// Plans and runs every pending run of `experiment` in `dir`, committing each.
fn run_into(
    dir: &Path,
    experiment: &Experiment,
    plan: &Plan,
    weights: bool,
) -> (Vec<RunResult>, Prepared) {
    let mut prepared = Store::prepare(dir, experiment, plan).unwrap();
    let results = run_study(&prepared.todo, 1, &|_| {}).unwrap();
    for result in &results {
        prepared.store.mark_running(&result.point).unwrap();
        prepared.store.commit(result, weights).unwrap();
    }
    (results, prepared)
}

/// Compares everything a store keeps (weights are not in the database).
fn same(a: &RunResult, b: &RunResult) -> bool {
    result_digest(a) == result_digest(b)
        && a.point == b.point
        && a.seconds.to_bits() == b.seconds.to_bits()
}

#[test]
fn finished_runs_read_back_bit_for_bit_including_diverged_ones() {
    let dir = scratch("roundtrip");
    let experiment = experiment(SPEC);
    let (computed, prepared) = run_into(&dir, &experiment, &Plan::default(), true);
    assert!(prepared.created && computed.len() == 8);
    assert!(
        computed
            .iter()
            .any(|r| matches!(r.status, RunStatus::Diverged { .. })),
        "the spec has a diverging lr"
    );
    let store = Store::open(&dir).unwrap();
    let loaded = store.results().unwrap();
    assert_eq!(loaded.len(), computed.len());
    for (a, b) in computed.iter().zip(&loaded) {
        assert!(same(a, b), "{} r{}", a.point.run_id, a.point.replicate);
        assert_eq!(a.curve.len(), b.curve.len());
    }
    let records = store.runs().unwrap();
    assert!(records
        .iter()
        .all(|r| r.state.is_finished() && r.attempts == 1 && r.host.is_some()));
    // Weights: the safetensors file holds W and b bit for bit, and its digest is stored.
    let first = &computed[0];
    let weights = read_weights(&dir.join(records[0].weights_file.as_ref().unwrap())).unwrap();
    assert_eq!(weights.shape, first.point.spec.model.shape());
    assert_eq!(
        weights
            .weights
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>(),
        first
            .weights
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    );
    assert_eq!(weights.bias, first.bias);
    assert_eq!(weights.metadata["run_id"], first.point.run_id);
    assert_eq!(
        records[0].weights_digest.as_deref(),
        Some(weights_digest(&weights.weights, &weights.bias).as_str())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn awkward_floats_survive_sqlite() {
    // SQLite has no NaN and may store integral REALs as integers: −0.0, infinities,
    // subnormals and NaN must still come back as they went in (NaN as NaN).
    let dir = scratch("floats");
    let experiment = experiment(SPEC);
    let mut prepared = Store::prepare(&dir, &experiment, &Plan::default()).unwrap();
    let mut result = run_study(&prepared.todo[..1], 1, &|_| {})
        .unwrap()
        .remove(0);
    result.loss_train_tail = -0.0;
    result.loss_train_tail_sd = f64::from_bits(1);
    result.loss_heldout = f64::INFINITY;
    result.curve = vec![
        (0, f64::NAN),
        (1, -0.0),
        (2, f64::NEG_INFINITY),
        (3, 3.0),
        (4, 1e308),
        (5, -f64::MIN_POSITIVE),
    ];
    result.geometry.as_mut().unwrap().row_norms[0] = -0.0;
    prepared.store.commit(&result, false).unwrap();
    let loaded = prepared.store.results().unwrap();
    assert!(same(&result, &loaded[0]));
    assert_eq!(loaded[0].loss_train_tail.to_bits(), (-0.0f64).to_bits());
    assert_eq!(loaded[0].curve[1].1.to_bits(), (-0.0f64).to_bits());
    assert!(loaded[0].curve[0].1.is_nan());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn resume_skips_finished_runs_and_extend_adds_new_ones() {
    let dir = scratch("resume");
    let experiment = experiment(SPEC);
    let mut prepared = Store::prepare(&dir, &experiment, &Plan::default()).unwrap();
    let results = run_study(&prepared.todo[..3], 1, &|_| {}).unwrap();
    for result in &results {
        prepared.store.commit(result, false).unwrap();
    }
    prepared.store.mark_running(&prepared.todo[3]).unwrap();
    drop(prepared);
    let resumed = Store::prepare(&dir, &experiment, &Plan::default()).unwrap();
    assert_eq!(
        (
            resumed.finished,
            resumed.todo.len(),
            resumed.interrupted,
            resumed.created
        ),
        (3, 5, 1, false)
    );
    assert_eq!(resumed.todo[0].index, 3);
    drop(resumed);
    // A changed base spec is another experiment; a new sweep value needs --extend.
    let changed = crate::tests::experiment(&SPEC.replace("steps = 60", "steps = 61"));
    let err = Store::prepare(&dir, &changed, &Plan::default())
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::Conflict { .. })
            && err.is_user_error()
            && err.to_string().contains("another directory"),
        "{err}"
    );
    let wider = crate::tests::experiment(&SPEC.replace("[3, 5]", "[3, 5, 7]"));
    let err = Store::prepare(&dir, &wider, &Plan::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("--extend"), "{err}");
    let extended = Store::prepare(
        &dir,
        &wider,
        &Plan {
            extend: true,
            shard: None,
        },
    )
    .unwrap();
    assert_eq!(
        (extended.added, extended.finished, extended.todo.len()),
        (4, 3, 9)
    );
    let indices: Vec<usize> = extended
        .store
        .runs()
        .unwrap()
        .iter()
        .map(|r| r.index)
        .collect();
    assert_eq!(
        indices,
        (0..12).collect::<Vec<_>>(),
        "indices follow the extended order"
    );
    assert_eq!(extended.store.meta().fingerprint, fingerprint(&wider));
    drop(extended);
    // A shard of this store's study is a different store.
    let err = Store::prepare(
        &dir,
        &wider,
        &Plan {
            extend: false,
            shard: Some(Shard::new(1, 2).unwrap()),
        },
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("store of its own"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn foreign_directories_and_damaged_files_are_refused_untouched() {
    let experiment = experiment(SPEC);
    let foreign = scratch("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    assert!(matches!(
        Store::prepare(&foreign, &experiment, &Plan::default()),
        Err(Error::NotAStore { .. })
    ));
    assert!(matches!(
        Store::open(&foreign),
        Err(Error::NotAStore { .. })
    ));
    assert!(matches!(
        Store::open(&foreign.join("absent")),
        Err(Error::Missing { .. })
    ));
    std::fs::write(
        foreign.join(DB_FILE),
        b"this is not a database at all, just text",
    )
    .unwrap();
    for err in [
        Store::open(&foreign).err().unwrap(),
        Store::prepare(&foreign, &experiment, &Plan::default())
            .err()
            .unwrap(),
    ] {
        assert!(
            matches!(err, Error::Corrupt { .. }) && err.is_user_error(),
            "{err}"
        );
    }
    let mut names: Vec<_> = std::fs::read_dir(&foreign)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["notes.txt", DB_FILE], "nothing may be written");
    // A store whose pages were damaged after the header: reported as corrupt.
    let damaged = scratch("damaged");
    drop(Store::prepare(&damaged, &experiment, &Plan::default()).unwrap());
    let db = damaged.join(DB_FILE);
    let mut bytes = std::fs::read(&db).unwrap();
    for byte in bytes.iter_mut().skip(100) {
        *byte = 0xA5;
    }
    std::fs::write(&db, bytes).unwrap();
    let err = Store::open(&damaged).err().unwrap();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    // An empty database (creation killed before its first commit) becomes a new store.
    let empty = scratch("empty");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join(DB_FILE), b"").unwrap();
    assert!(
        Store::prepare(&empty, &experiment, &Plan::default())
            .unwrap()
            .created
    );
    for dir in [foreign, damaged, empty] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn shards_merge_into_the_whole_study_and_conflicts_are_refused() {
    let experiment = experiment(SPEC);
    let whole = scratch("whole");
    let (_, reference) = run_into(&whole, &experiment, &Plan::default(), false);
    let shards: Vec<PathBuf> = (1..=3)
        .map(|k| {
            let dir = scratch(&format!("shard{k}"));
            let (results, prepared) = run_into(
                &dir,
                &experiment,
                &Plan {
                    extend: false,
                    shard: Some(Shard::new(k, 3).unwrap()),
                },
                false,
            );
            assert!(results.iter().all(|r| r.point.index % 3 == k as usize - 1));
            assert_eq!(prepared.store.meta().shard, Some(Shard::new(k, 3).unwrap()));
            dir
        })
        .collect();
    let out = scratch("merged");
    // Two shards first: the third shard's runs stay pending, then a second merge adds them.
    let partial = merge(&out, &shards[..2]).unwrap();
    assert_eq!((partial.copied, partial.missing), (6, 2));
    let rest = merge(&out, &shards).unwrap();
    assert_eq!((rest.copied, rest.duplicates, rest.missing), (2, 6, 0));
    let merged = Store::open(&out).unwrap();
    let digests = |store: &Store| {
        store
            .runs()
            .unwrap()
            .into_iter()
            .map(|r| (r.run_id, r.replicate, r.index, r.digest, r.weights_digest))
            .collect::<Vec<_>>()
    };
    assert_eq!(digests(&merged), digests(&reference.store));
    assert_eq!(merged.meta().shard, None);
    // A store of another experiment, and a conflicting duplicate, are refused.
    let other = scratch("other");
    run_into(
        &other,
        &crate::tests::experiment(&SPEC.replace("steps = 60", "steps = 50")),
        &Plan::default(),
        false,
    );
    let err = merge(&scratch("merged2"), &[shards[0].clone(), other.clone()])
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("another experiment") && err.is_user_error(),
        "{err}"
    );
    merged
        .conn
        .execute("UPDATE runs SET digest = 'tampered' WHERE idx = 0", [])
        .unwrap();
    let err = merge(&scratch("merged3"), &[out.clone(), shards[0].clone()])
        .err()
        .unwrap();
    assert!(err.to_string().contains("different result"), "{err}");
    assert!(!scratch("merged3").exists(), "nothing written on conflict");
    for dir in shards.into_iter().chain([whole, out, other]) {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn exports_read_back_equal_to_the_store() {
    let dir = scratch("export");
    let experiment = experiment(SPEC);
    run_into(&dir, &experiment, &Plan::default(), false);
    let store = Store::open(&dir).unwrap();
    let tables = tables(&store).unwrap();
    let runs = &tables[0];
    let column = |name: &str| {
        &runs
            .columns
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no column {name}"))
            .values
    };
    assert!(matches!(column("model.n_hidden"), Values::Int(v) if v.len() == 8 && v[0] == Some(3)));
    assert!(matches!(column("train.schedule.lr"), Values::Float(_)));
    assert!(
        matches!(column("model.variant"), Values::Text(v) if v[0].as_deref() == Some("superposition_scaling"))
    );
    let Values::Float(heldout) = column("loss_heldout_n_mse") else {
        panic!()
    };
    for (value, result) in heldout.iter().zip(store.results().unwrap()) {
        assert_eq!(
            value.unwrap_or(f64::NAN).to_bits(),
            if result.loss_heldout.is_nan() {
                f64::NAN.to_bits()
            } else {
                result.loss_heldout.to_bits()
            }
        );
    }
    let out = dir.join("export");
    export(&store, &out, ExportFormat::Parquet).unwrap();
    for table in &tables {
        let read = read_parquet(&out.join(format!("{}.parquet", table.name))).unwrap();
        assert_eq!(&read.columns, &table.columns, "{}", table.name);
    }
    let files = export(&store, &out, ExportFormat::Csv).unwrap();
    let text = std::fs::read_to_string(&files[1]).unwrap();
    assert_eq!(text.lines().count(), 1 + tables[1].columns[0].values.len());
    assert!(text.starts_with("run_id,replicate,step,loss_batch_n_mse\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}
