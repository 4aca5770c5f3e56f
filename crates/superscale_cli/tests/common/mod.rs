//! Helpers shared by the store tests: the built binary, scratch directories, small sweeps
//! and what "the same results" means.
#![allow(dead_code)]

pub mod figures;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use superscale_store::{RunState, Store};

/// 4 widths × 2 decays × 3 replicates = 24 runs of ~0.2 s each (n = 100, 300 steps).
pub const SWEEP: &str = r#"name = "store-sweep"
replicates = 3
[model]
variant = "superposition_scaling"
n_features = 100
n_hidden = 3
alpha = 1.0
weight_decay = -0.5556
[train]
steps = 300
batch_size = 1024
schedule = { kind = "warmup_cosine", peak_lr = 0.02, warmup_steps = 30 }
[record]
curve_points = 20
tail_steps = 50
heldout_batches = 10
[sweep]
"model.n_hidden" = [3, 4, 5, 6]
"model.weight_decay" = [-0.5556, 0.3333]
"#;

/// 2 × 2 runs of a few milliseconds, one of them diverging.
pub const TINY: &str = r#"name = "store-tiny"
[model]
variant = "superposition_scaling"
n_features = 20
n_hidden = 3
alpha = 1.0
weight_decay = -0.5556
[train]
steps = 40
batch_size = 32
schedule = { kind = "constant", lr = 0.01 }
[record]
curve_points = 8
tail_steps = 10
heldout_batches = 4
[sweep]
"model.n_hidden" = [3, 6]
"train.schedule.lr" = [0.01, 1e30]
"#;

/// A fresh, empty scratch directory for this test process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "superscale-cli-store-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a spec file into `dir`.
pub fn spec(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The binary with `args`.
pub fn command<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(args: I) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_superscale"));
    command.args(args).env_remove("SUPERSCALE_THREADS");
    command
}

/// Runs the binary to the end: (exit code, stdout, stderr).
pub fn superscale<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(
    args: I,
) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command(args).output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into(),
        String::from_utf8_lossy(&stderr).into(),
    )
}

/// Runs `superscale run SPEC --store DIR --threads T EXTRA...` and asserts success.
pub fn run_ok(spec: &Path, store: &Path, threads: usize, extra: &[&str]) -> String {
    let mut args = vec![
        "run".to_string(),
        path(spec),
        "--store".into(),
        path(store),
        "--threads".into(),
        threads.to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let (code, _, stderr) = superscale(&args);
    assert_eq!(code, 0, "{stderr}");
    stderr
}

pub fn path(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// Per (run id, replicate): (status, result digest, weights digest), after checking that
/// every stored result reads back and matches its digest.
pub fn digests(dir: &Path) -> BTreeMap<(String, u32), (RunState, String, String)> {
    let store = Store::open(dir).unwrap();
    let results = store.outputs().unwrap();
    let runs = store.runs().unwrap();
    assert_eq!(
        results.len(),
        runs.iter().filter(|r| r.state.is_finished()).count()
    );
    runs.into_iter()
        .map(|r| {
            (
                (r.run_id, r.replicate),
                (
                    r.state,
                    r.digest.unwrap_or_default(),
                    r.weights_digest.unwrap_or_default(),
                ),
            )
        })
        .collect()
}

/// results.csv without its wall-clock column, which is the only thing allowed to differ.
pub fn results_table(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    let seconds = text
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == "seconds")
        .unwrap();
    text.lines()
        .map(|line| {
            line.split(',')
                .enumerate()
                .filter(|(i, _)| *i != seconds)
                .map(|(_, c)| c)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names in a directory, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// What a store holds: every run's row, and how many are finished and running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub runs: usize,
    pub finished: usize,
    pub running: usize,
}

/// The store's progress, or None while it is not created yet.
pub fn progress(dir: &Path) -> Option<Progress> {
    let runs = Store::open(dir).ok()?.runs().ok()?;
    Some(Progress {
        runs: runs.len(),
        finished: runs.iter().filter(|r| r.state.is_finished()).count(),
        running: runs.iter().filter(|r| r.state == RunState::Running).count(),
    })
}

/// Sends a signal (`STOP`, `CONT`) to the child with kill(1).
pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill(1) runs");
    assert!(status.success(), "kill -{name} {}", child.id());
}

/// Freezes the child and returns once every one of its threads is stopped (state `T` in
/// /proc), so the store read next is what a kill will leave: kill(2) returns before a
/// thread running on another core has stopped.
pub fn freeze(child: &Child) {
    signal(child, "STOP");
    let tasks = PathBuf::from(format!("/proc/{}/task", child.id()));
    let stopped = || {
        std::fs::read_dir(&tasks).unwrap().all(|task| {
            let stat =
                std::fs::read_to_string(task.unwrap().path().join("stat")).unwrap_or_default();
            // "pid (name) S …": the state follows the last ')'. A thread that has exited
            // (its file gone, or a zombie) will not commit anything either.
            stat.rsplit_once(')')
                .is_none_or(|(_, rest)| rest.trim_start().starts_with(['T', 't', 'Z', 'X']))
        })
    };
    while !stopped() {
        std::thread::yield_now();
    }
}

/// Runs a `superscale slurm` script's array tasks 1..=`tasks` under a stand-in `sbatch` (on
/// PATH in `dir/bin`) that records the `--wrap` command of the merge job it is asked to
/// submit, then checks the merge was submitted exactly once and runs it.
pub fn run_slurm_script(dir: &Path, script: &Path, tasks: u32) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let fake = bin.join("sbatch");
    std::fs::write(
        &fake,
        "#!/bin/bash\nfor a in \"$@\"; do case \"$a\" in --wrap=*) printf '%s\\n' \"${a#--wrap=}\" >> \"$WRAPS\";; esac; done\necho 4242\n",
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
    let wraps = dir.join("wraps.txt");
    let path_var = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for task in 1..=tasks {
        let done = Command::new("bash")
            .arg(script)
            .env("PATH", &path_var)
            .env("WRAPS", &wraps)
            .env("SLURM_ARRAY_TASK_ID", task.to_string())
            .env("SLURM_ARRAY_JOB_ID", "4242")
            .env("SLURM_CPUS_PER_TASK", "1")
            .output()
            .unwrap();
        assert!(
            done.status.success(),
            "task {task}: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
    let merge = std::fs::read_to_string(&wraps).unwrap();
    assert_eq!(
        merge.lines().count(),
        1,
        "the merge is submitted once: {merge}"
    );
    let merged = Command::new("sh")
        .arg("-c")
        .arg(merge.trim())
        .output()
        .unwrap();
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
}
