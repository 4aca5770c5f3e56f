//! The store from the command line: bad input (exit 2, nothing written), `--extend`,
//! exports read back, `ls`/`show`, and a Slurm script run with a stand-in `sbatch`.

mod common;

use common::*;
use std::path::Path;
use superscale_store::{read_parquet, read_weights, tables, Store, Values};

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = scratch("bad");
    let tiny = spec(&dir, "tiny.toml", TINY);
    let store = dir.join("store");
    run_ok(&tiny, &store, 1, &["--quiet"]);
    let (db, before) = (bytes(&store.join("superscale.db")), listing(&store));
    let expect_2 = |args: &[String], needle: &str| {
        let (code, _, stderr) = superscale(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains(needle),
            "{args:?}: expected '{needle}' in {stderr}"
        );
    };
    let run = |spec: &Path, store: &Path, extra: &[&str]| {
        let mut args = vec![
            "run".to_string(),
            path(spec),
            "--store".into(),
            path(store),
            "--threads".into(),
            "1".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    // A spec that conflicts with the store: changed base spec, or new points without --extend.
    let changed = spec(
        &dir,
        "changed.toml",
        &TINY.replace("steps = 40", "steps = 41"),
    );
    expect_2(
        &run(&changed, &store, &[]),
        "not the experiment in this store",
    );
    let wider = spec(&dir, "wider.toml", &TINY.replace("[3, 6]", "[3, 6, 9]"));
    expect_2(&run(&wider, &store, &[]), "--extend");
    // Shards: out of range, zero, malformed, another slice, combined with --extend.
    for shard in ["4/3", "0/3", "1/0", "x"] {
        expect_2(
            &run(&tiny, &dir.join("shard"), &["--shard", shard]),
            "invalid shard",
        );
    }
    expect_2(&run(&tiny, &store, &["--shard", "1/2"]), "store of its own");
    expect_2(
        &run(&wider, &store, &["--extend", "--shard", "1/2"]),
        "cannot be combined",
    );
    assert!(!dir.join("shard").exists());
    assert_eq!(
        (bytes(&store.join("superscale.db")), listing(&store)),
        (db.clone(), before.clone()),
        "the store is untouched"
    );
    // A directory that is not a store, for every command that takes one.
    let foreign = dir.join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let f = path(&foreign);
    expect_2(&run(&tiny, &foreign, &[]), "not a superscale store");
    for args in [
        vec!["ls", &f],
        vec!["show", &f, "abc"],
        vec!["export", &f],
        vec!["merge", &path(&dir.join("m")), &f],
    ] {
        expect_2(
            &args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "not a superscale store",
        );
    }
    expect_2(
        &["ls".to_string(), path(&dir.join("nowhere"))],
        "no superscale store here",
    );
    assert_eq!(listing(&foreign), ["notes.txt"]);
    // A corrupted database file: garbage, and a store with damaged pages.
    std::fs::write(foreign.join("superscale.db"), "garbage, not SQLite").unwrap();
    expect_2(&run(&tiny, &foreign, &[]), "corrupted");
    expect_2(&["ls".to_string(), f.clone()], "corrupted");
    assert_eq!(listing(&foreign), ["notes.txt", "superscale.db"]);
    let damaged = dir.join("damaged");
    std::fs::create_dir_all(&damaged).unwrap();
    let mut pages = db.clone();
    pages[100..].iter_mut().for_each(|b| *b = 0x5a);
    std::fs::write(damaged.join("superscale.db"), &pages).unwrap();
    expect_2(&run(&tiny, &damaged, &[]), "corrupted");
    assert_eq!(listing(&damaged), ["superscale.db"]);
    // Unknown runs and states.
    expect_2(
        &["show".to_string(), path(&store), "zzzz".into()],
        "no run id starts with",
    );
    expect_2(
        &[
            "ls".to_string(),
            path(&store),
            "--status".into(),
            "finished".into(),
        ],
        "expected one of",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn extend_runs_only_the_new_points() {
    let dir = scratch("extend");
    let store = dir.join("store");
    run_ok(&spec(&dir, "tiny.toml", TINY), &store, 1, &["--quiet"]);
    let wider = spec(
        &dir,
        "wider.toml",
        &TINY
            .replace("[3, 6]", "[3, 6, 9]")
            .replace("n_features = 20", "n_features = 20\n"),
    );
    let stderr = run_ok(&wider, &store, 1, &["--extend"]);
    assert!(
        stderr.contains("2 runs to do") && stderr.contains("4 finished, 2 added"),
        "{stderr}"
    );
    let runs = Store::open(&store).unwrap().runs().unwrap();
    assert_eq!(runs.len(), 6);
    assert!(runs
        .iter()
        .all(|r| r.state.is_finished() && r.attempts == 1));
    assert_eq!(
        std::fs::read_to_string(store.join("results.csv"))
            .unwrap()
            .lines()
            .count(),
        7
    );
    // The same store reached in one go has the same results.
    let direct = dir.join("direct");
    run_ok(&wider, &direct, 2, &["--quiet"]);
    assert_eq!(digests(&store), digests(&direct));
    assert_eq!(results_table(&store), results_table(&direct));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn exports_read_back_as_the_store_and_weights_as_safetensors() {
    let dir = scratch("export");
    let store = dir.join("store");
    run_ok(
        &spec(&dir, "tiny.toml", TINY),
        &store,
        1,
        &["--quiet", "--save-weights"],
    );
    for format in ["csv", "parquet"] {
        let (code, stdout, stderr) = superscale(["export", &path(&store), "--format", format]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stdout.lines().count(), 3, "{stdout}");
    }
    let opened = Store::open(&store).unwrap();
    let expected = tables(&opened).unwrap();
    for table in &expected {
        let read =
            read_parquet(&store.join("export").join(format!("{}.parquet", table.name))).unwrap();
        assert_eq!(&read, table);
    }
    // CSV: floats are printed in their shortest exact form, so they parse back bit for bit.
    let csv = std::fs::read_to_string(store.join("export/runs.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = header
        .iter()
        .position(|c| *c == "loss_heldout_n_mse")
        .unwrap();
    let outputs = opened.outputs().unwrap();
    let heldout = opened
        .meta()
        .schema
        .scalars
        .iter()
        .position(|c| c.name == "loss_heldout_n_mse")
        .unwrap();
    for (line, (_, output)) in csv.lines().skip(1).zip(&outputs) {
        let cell = line.split(',').nth(column).unwrap();
        let value = if cell.is_empty() {
            f64::NAN
        } else {
            cell.parse::<f64>().unwrap()
        };
        let superscale_store::Scalar::Float(stored) = output.scalars[heldout] else {
            panic!("the held-out loss is a float")
        };
        assert!(
            value.to_bits() == stored.to_bits() || (value.is_nan() && stored.is_nan()),
            "{line}"
        );
    }
    let Values::Text(files) = &expected[0]
        .columns
        .iter()
        .find(|c| c.name == "weights_file")
        .unwrap()
        .values
    else {
        panic!()
    };
    for (file, run) in files.iter().zip(opened.runs().unwrap()) {
        let weights = read_weights(&store.join(file.as_ref().unwrap())).unwrap();
        assert_eq!(
            run.weights_digest.unwrap(),
            superscale_store::weights_digest(&weights)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ls_and_show_describe_the_runs() {
    let dir = scratch("ls");
    let store = dir.join("store");
    run_ok(&spec(&dir, "tiny.toml", TINY), &store, 1, &["--quiet"]);
    let (code, stdout, _) = superscale(["ls", &path(&store)]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("4 runs: 2 done, 2 diverged") && stdout.lines().count() == 6,
        "{stdout}"
    );
    let (_, diverged, _) = superscale(["ls", &path(&store), "--status", "diverged"]);
    assert_eq!(diverged.lines().count(), 4, "{diverged}");
    let run_id = Store::open(&store).unwrap().runs().unwrap()[0]
        .run_id
        .clone();
    let (code, stdout, stderr) = superscale(["show", &path(&store), &run_id[..6]]);
    assert_eq!(code, 0, "{stderr}");
    for needle in [
        run_id.as_str(),
        "status     done",
        "loss_heldout_n_mse",
        "curve loss_batch_n_mse (8 points",
        "\"n_hidden\":3",
    ] {
        assert!(stdout.contains(needle), "{needle} in {stdout}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn the_slurm_script_runs_its_shards_and_merge_under_a_stand_in_sbatch() {
    let dir = scratch("slurm");
    let tiny = spec(&dir, "tiny.toml", TINY);
    let out = dir.join("cluster/study");
    let (code, stdout, stderr) = superscale([
        "slurm",
        &path(&tiny),
        "--shards",
        "3",
        "--store",
        &path(&out),
        "--cpus-per-task",
        "1",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let script = std::path::PathBuf::from(stdout.trim());
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(
        text.contains("#SBATCH --array=1-3")
            && text.contains("--dependency=\"afterok:$SLURM_ARRAY_JOB_ID\""),
        "{text}"
    );
    run_slurm_script(&dir, &script, 3);
    let direct = dir.join("direct");
    run_ok(&tiny, &direct, 1, &["--quiet"]);
    assert_eq!(digests(&out), digests(&direct));
    assert_eq!(results_table(&out), results_table(&direct));
    std::fs::remove_dir_all(&dir).unwrap();
}
