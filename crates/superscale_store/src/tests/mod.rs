//! Tests of the generic store on a small made-up kind ("unit"): a schema with scalars of
//! every type, two curves sharing a table, a 2-D f64 array and an f32 array, and f32/f64
//! weights. Its outputs are computed from the run's seed, so every test knows what each
//! run must read back, and they carry the awkward values a store must keep bit for bit:
//! NaN, −0.0, infinities, subnormals, missing scalars, text needing CSV quoting.
//!
//! Tests that need a second process (a writer killed mid-study, a lock held elsewhere, a
//! reader without privileges) run an ignored test of this same binary as a child, steered
//! by environment variables and synchronised on lines it prints: no sleeps, no timers.

mod export;
mod integrity;
mod locks;
mod merge;
mod migration;
mod readonly;
mod resume;
mod roundtrip;

use crate::*;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

/// The width whose runs diverge.
pub(crate) const DIVERGING_WIDTH: u32 = 13;

/// What the unit kind records.
pub(crate) fn schema() -> Schema {
    let scalar = |name: &str, kind| ScalarColumn {
        name: name.into(),
        kind,
    };
    let curve = |name: &str| CurveColumn {
        name: name.into(),
        table: "curves".into(),
    };
    Schema {
        kind: "unit".into(),
        scalars: vec![
            scalar("count", ScalarType::Int),
            scalar("loss", ScalarType::Float),
            scalar("gap", ScalarType::Float),
            scalar("phase", ScalarType::Text),
        ],
        curves: vec![curve("loss_batch"), curve("accuracy")],
        arrays: vec![
            ArrayColumn {
                name: "grid".into(),
                axes: vec!["row".into(), "column".into()],
                value: "v".into(),
            },
            ArrayColumn {
                name: "norms".into(),
                axes: vec!["feature".into()],
                value: "norm".into(),
            },
        ],
        headline: Some("loss".into()),
    }
}

/// A study of the unit kind: one run per (width, replicate), its spec `{"base", "width"}`
/// (canonical JSON), its id the first 16 hex digits of the spec's SHA-256 (so a run keeps
/// its id when other widths are added), its seed from the id and replicate.
pub(crate) fn study(base: &str, widths: &[u32], replicates: u32) -> StudyPlan {
    let mut runs = Vec::new();
    for &width in widths {
        let spec_json = format!(r#"{{"base":"{base}","width":{width}}}"#);
        let run_id = crate::digest::hex(&Sha256::digest(spec_json.as_bytes())[..8]);
        for replicate in 0..replicates {
            let seed_bytes = Sha256::digest(format!("{run_id}/{replicate}").as_bytes());
            runs.push(PlannedRow {
                index: runs.len(),
                run_id: run_id.clone(),
                replicate,
                seed: u64::from_le_bytes(seed_bytes[..8].try_into().unwrap()),
                spec_json: spec_json.clone(),
                axes: vec![("width".into(), width.to_string())],
            });
        }
    }
    StudyPlan {
        name: "unit".into(),
        source: format!("base = \"{base}\"\nwidths = {widths:?}\nreplicates = {replicates}\n"),
        source_path: PathBuf::from("unit.toml"),
        schema: schema(),
        runs,
    }
}

/// The standard study: widths 3, 13 (diverges) and 5, two replicates each.
pub(crate) fn standard() -> StudyPlan {
    study("a", &[3, DIVERGING_WIDTH, 5], 2)
}

/// splitmix64: a few reproducible numbers from a seed.
fn numbers(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A NaN with a payload: the database's BLOBs must keep it, the digests must not care.
pub(crate) fn payload_nan() -> f32 {
    f32::from_bits(0x7FC0_1234)
}

/// The unit kind's "training": everything from the seed. A run of the diverging width
/// stops at step 7 with missing and NaN measurements, as a real kind's would.
pub(crate) fn compute(run: &PlannedRow) -> RunOutput {
    let mut next = numbers(run.seed);
    let width: usize = run.axes[0].1.parse().unwrap();
    let diverged = width == DIVERGING_WIDTH as usize;
    let awkward = [-0.0, f64::from_bits(1), f64::INFINITY, 1e308][run.replicate as usize % 4];
    let scalars = if diverged {
        vec![
            Scalar::Missing,
            Scalar::Float(f64::NAN),
            Scalar::Missing,
            Scalar::Missing,
        ]
    } else {
        vec![
            Scalar::Int(-(run.seed as i64 % 1000)),
            Scalar::Float(next()),
            Scalar::Float(awkward),
            Scalar::Text(format!("ordered, \"w{width}\"\nline two")),
        ]
    };
    let mut loss_batch: Vec<(u64, f64)> = [0, 1, 2, 4, 8].iter().map(|&s| (s, next())).collect();
    if diverged {
        loss_batch.truncate(3);
        loss_batch.push((7, f64::NAN));
    }
    let accuracy = vec![(0, -0.0), (4, next()), (8, 1.0)];
    let grid = Array {
        shape: vec![2, 3],
        data: ArrayData::F64(vec![next(), -0.0, next(), f64::NEG_INFINITY, next(), 3.0]),
    };
    let mut norms: Vec<f32> = (0..width).map(|_| next() as f32).collect();
    if diverged {
        norms[0] = payload_nan();
    }
    let weights = Tensors {
        tensors: vec![
            (
                "W".into(),
                Array {
                    shape: vec![2, 3],
                    data: ArrayData::F32((0..6).map(|_| next() as f32).collect()),
                },
            ),
            (
                "b".into(),
                Array {
                    shape: vec![2],
                    data: ArrayData::F32(vec![next() as f32, -0.0]),
                },
            ),
            (
                "scale".into(),
                Array {
                    shape: vec![1],
                    data: ArrayData::F64(vec![next()]),
                },
            ),
        ],
        metadata: vec![("note".into(), format!("width {width}"))],
    };
    RunOutput {
        end: if diverged {
            End::Diverged { step: 7 }
        } else {
            End::Done
        },
        scalars,
        curves: vec![loss_batch, accuracy],
        arrays: vec![
            grid,
            Array {
                shape: vec![width],
                data: ArrayData::F32(norms),
            },
        ],
        weights,
        seconds: 0.25 + run.index as f64,
    }
}

/// Everything a store keeps of an output, printed: `{:?}` prints the shortest decimal
/// that reads back as the same double, so equal texts mean equal bits (−0.0 and missing
/// values included; NaN payloads aside, see [`payload_nan`]).
pub(crate) fn kept(output: &RunOutput) -> String {
    format!(
        "{:?} {:?} {:?} {:?}",
        output.end, output.scalars, output.curves, output.arrays
    )
}

/// A fresh, empty scratch path for a test.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("superscale-store-{}-{name}", std::process::id()));
    remove(&dir);
    dir
}

/// Removes a scratch directory (made writable first, for the read-only tests).
pub(crate) fn remove(dir: &Path) {
    if dir.exists() {
        let _ = Command::new("chmod").arg("-R").arg("u+w").arg(dir).status();
        std::fs::remove_dir_all(dir).unwrap();
    }
}

/// Plans `plan` into `dir` and runs every pending run, committing each.
pub(crate) fn run_into(dir: &Path, plan: &StudyPlan, options: &Plan, weights: bool) -> Prepared {
    let mut prepared = Store::prepare(dir, plan, options).unwrap();
    for &i in &prepared.todo.clone() {
        let run = &plan.runs[i];
        prepared.store.mark_running(run).unwrap();
        prepared.store.commit(run, &compute(run), weights).unwrap();
    }
    prepared
}

/// SHA-256 of a file's bytes, to prove a reader left it alone.
pub(crate) fn file_hash(path: &Path) -> String {
    crate::digest::hex(&Sha256::digest(std::fs::read(path).unwrap()))
}

/// A child process running the ignored test `test` of this binary, with `env` set and
/// stdin/stdout piped.
pub(crate) fn child(test: &str, env: &[(&str, &Path)]) -> (Child, BufReader<ChildStdout>) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        "--ignored",
        "--exact",
        test,
        "--nocapture",
        "--test-threads=1",
    ]);
    spawn(command, env)
}

/// Spawns `command` with `env` set and stdin/stdout piped.
pub(crate) fn spawn(
    mut command: Command,
    env: &[(&str, &Path)],
) -> (Child, BufReader<ChildStdout>) {
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdout)
}

/// The next line the child prints for the parent (`CHILD ...`), skipping the test
/// harness's own lines; waits for it (the synchronisation point).
pub(crate) fn child_says(stdout: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the child ended without reporting"
        );
        // With --nocapture the harness prints "test NAME ... " without a newline before
        // the test's own output, so the marker may start mid-line.
        if let Some(start) = line.find("CHILD ") {
            return line[start + "CHILD ".len()..].trim().to_string();
        }
    }
}

/// In a child: blocks until the parent closes our stdin.
pub(crate) fn wait_for_parent() {
    use std::io::Read;
    let mut rest = Vec::new();
    std::io::stdin().read_to_end(&mut rest).unwrap();
}

/// The environment variable `key` of a child test, or `None` when the test runs on its own
/// (then it does nothing: it only makes sense as a child).
pub(crate) fn child_env(key: &str) -> Option<PathBuf> {
    std::env::var_os(key).map(PathBuf::from)
}
