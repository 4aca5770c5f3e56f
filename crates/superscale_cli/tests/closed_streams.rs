//! Commands whose stdout or stderr is a pipe nobody reads any more (`superscale fit … |
//! head -1`, `superscale run … 2>&1 | head -1`): the files are written, the printing ends
//! quietly, the exit code is the work's, and nothing panics. The pipe is closed before the
//! process starts (its read end dropped), so every write fails with a broken pipe: the case
//! is the same on every run, whatever the timing.

mod common;

use common::{command, path, scratch, spec, TINY};
use std::process::Stdio;

/// A pipe whose read end is already closed.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    writer.into()
}

/// Runs the binary with stdout and/or stderr on a closed pipe: (exit code, stderr when it
/// is captured).
fn with_closed(args: &[String], stdout: bool, stderr: bool) -> (i32, String) {
    let mut child = command(args);
    child.stdout(if stdout { closed_pipe() } else { Stdio::null() });
    child.stderr(if stderr {
        closed_pipe()
    } else {
        Stdio::piped()
    });
    let output = child.output().expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn fit_args(csv: &std::path::Path, out: &std::path::Path) -> Vec<String> {
    [
        "fit",
        &path(csv),
        "--x",
        "n",
        "--y",
        "loss",
        "--form",
        "power",
        "--bootstrap",
        "50",
        "--out",
        &path(out),
    ]
    .map(String::from)
    .to_vec()
}

fn power_law_csv(dir: &std::path::Path) -> std::path::PathBuf {
    let csv = dir.join("points.csv");
    let mut text = String::from("n,loss\n");
    for (k, x) in [10.0f64, 20.0, 40.0, 80.0, 160.0, 320.0].iter().enumerate() {
        // a power law with a small deterministic wobble, so the bootstrap has spread
        let wobble = 1.0 + 0.01 * if k % 2 == 0 { 1.0 } else { -1.0 };
        text += &format!("{x},{}\n", 3.0 * x.powf(-0.5) * wobble);
    }
    std::fs::write(&csv, text).unwrap();
    csv
}

#[test]
fn fit_into_a_closed_stdout_writes_its_files_and_exits_0() {
    let dir = scratch("closed-fit");
    let csv = power_law_csv(&dir);
    let out = dir.join("out");
    let (code, stderr) = with_closed(&fit_args(&csv, &out), true, false);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let parameters = std::fs::read_to_string(out.join("parameters.csv")).unwrap();
    assert!(parameters.starts_with("quantity,estimate"), "{parameters}");
    assert!(out.join("fit.svg").is_file());
}

#[test]
fn an_error_into_a_closed_stderr_keeps_its_exit_code() {
    let dir = scratch("closed-error");
    let csv = power_law_csv(&dir);
    let mut args = fit_args(&csv, &dir.join("out"));
    args[3] = "no_such_column".into();
    let (code, _) = with_closed(&args, true, true);
    assert_eq!(
        code, 2,
        "a user's mistake exits with 2 even when nobody reads why"
    );
    assert!(!dir.join("out").exists());
}

#[test]
fn run_export_and_slurm_into_closed_streams_finish_their_work() {
    let dir = scratch("closed-run");
    let tiny = spec(&dir, "tiny.toml", TINY);
    let store = dir.join("store");
    let run = [
        "run",
        &path(&tiny),
        "--store",
        &path(&store),
        "--threads",
        "1",
    ]
    .map(String::from);
    // Progress lines and the summary both go nowhere.
    let (code, _) = with_closed(&run, true, true);
    assert_eq!(code, 0);
    assert!(store.join("report.html").is_file());
    let export = dir.join("export");
    let (code, stderr) = with_closed(
        &["export", &path(&store), "--out", &path(&export)].map(String::from),
        true,
        false,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        export.join("runs.csv").is_file(),
        "{:?}",
        common::listing(&export)
    );
    let script = dir.join("tiny.sbatch");
    let slurm = [
        "slurm",
        &path(&tiny),
        "--shards",
        "2",
        "--store",
        &path(&dir.join("sharded")),
        "--script",
        &path(&script),
    ]
    .map(String::from);
    let (code, stderr) = with_closed(&slurm, true, false);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(script.is_file());
    // With stderr closed too (the note on where to submit it goes nowhere).
    std::fs::remove_file(&script).unwrap();
    let (code, _) = with_closed(&slurm, true, true);
    assert_eq!(code, 0);
    assert!(script.is_file());
}
