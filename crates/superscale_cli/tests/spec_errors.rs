//! Bad input reaches the user as a located message and exit code 2, and nothing runs;
//! a diverging run is recorded as diverged while the sweep goes on.

use std::path::PathBuf;
use std::process::Command;

const GOOD: &str = r#"name = "cli-test"
[model]
variant = "superposition_scaling"
n_features = 50
n_hidden = 4
alpha = 1.0
weight_decay = -0.5556
[train]
steps = 40
batch_size = 32
schedule = { kind = "warmup_cosine", peak_lr = 0.01, warmup_steps = 4 }
[sweep]
"model.n_hidden" = [3, 6]
"#;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("superscale-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(spec_text: &str, name: &str) -> (i32, String, String, PathBuf) {
    let dir = scratch(name);
    let spec = dir.join("spec.toml");
    std::fs::write(&spec, spec_text).unwrap();
    let out = dir.join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_superscale"))
        .args([
            "run",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--threads",
            "1",
        ])
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into(),
        String::from_utf8_lossy(&output.stderr).into(),
        out,
    )
}

#[test]
fn impossible_values_and_unknown_fields_exit_2_with_file_line_and_field() {
    for (from, to, line, field) in [
        ("n_features = 50", "n_features = 5", 13, "model.n_hidden"),
        ("alpha = 1.0", "alpha = -1.0", 6, "model.alpha"),
        (
            "batch_size = 32",
            "batch_size = -32",
            10,
            "train.batch_size",
        ),
        ("alpha = 1.0", "alpha = 1.0\nalhpa = 1.0", 7, "model.alhpa"),
        ("[3, 6]", "[3, 60]", 13, "model.n_hidden"),
    ] {
        let (code, _, stderr, out) = run(&GOOD.replace(from, to), field);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(&format!("spec.toml:{line}")) && stderr.contains(field),
            "{from} → {to}: {stderr}"
        );
        assert!(
            !out.join("results.csv").exists(),
            "nothing may be run or written"
        );
    }
    let (code, _, stderr, _) = run("name = \"x\"\n[model\n", "syntax");
    assert_eq!(code, 2);
    assert!(stderr.contains("spec.toml:2:"), "{stderr}");
    let missing = Command::new(env!("CARGO_BIN_EXE_superscale"))
        .args(["run", "/nonexistent/spec.toml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn a_diverging_run_is_recorded_and_the_sweep_goes_on() {
    let text = GOOD
        .replace(
            "schedule = { kind = \"warmup_cosine\", peak_lr = 0.01, warmup_steps = 4 }",
            "schedule = { kind = \"constant\", lr = 1e30 }",
        )
        .replace(
            "\"model.n_hidden\" = [3, 6]",
            "\"model.n_hidden\" = [3, 6]\n\"train.schedule.lr\" = [1e30, 0.01]",
        );
    let (code, stdout, stderr, out) = run(&text, "diverge");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("report:"), "{stdout}");
    let table = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 4);
    let diverged: Vec<&&str> = rows.iter().filter(|r| r.contains(",diverged,")).collect();
    assert_eq!(diverged.len(), 2, "{table}");
    assert!(rows.iter().filter(|r| r.contains(",done,")).count() == 2);
    // A diverged run has a step and no loss: no number is stored as if it were a result.
    for row in diverged {
        let fields: Vec<&str> = row.split(',').collect();
        let status = fields.iter().position(|f| *f == "diverged").unwrap();
        assert!(fields[status + 1].parse::<u64>().is_ok(), "{row}");
        assert_eq!(fields[status + 2], "", "{row}");
    }
}

/// `SUPERSCALE_MEMORY_LIMIT` bounds a quanta or platonic run as it bounds a toy one: a
/// spec whose estimate exceeds it is refused (exit 2) at the field of its largest part, with
/// the estimate and the limit, and nothing is created. The shipped experiment files are the
/// specs, with one size raised.
#[test]
fn quanta_and_platonic_runs_past_the_memory_limit_are_refused_before_anything_is_made() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (file, from, to, line, field, part) in [
        (
            "quanta_c4_reduced.toml",
            "test_points = 20000",
            "test_points = 2000000",
            21,
            "train.test_points",
            "weighted test set of 2000000 rows",
        ),
        (
            "quanta_c4_reduced.toml",
            "test_points_per_task = 300",
            "test_points_per_task = 100000",
            22,
            "train.test_points_per_task",
            "per-task test set of 50 tasks × 100000 rows",
        ),
        (
            "platonic_capacity.toml",
            "test = 4096",
            "test = 1000000",
            27,
            "study.test",
            "1000000 test items",
        ),
        (
            "platonic_capacity.toml",
            "probe = 1024",
            "probe = 1000000",
            26,
            "study.probe",
            "1000000 probe items",
        ),
    ] {
        let text = std::fs::read_to_string(root.join("experiments").join(file)).unwrap();
        assert!(text.contains(from), "{file} no longer has {from}");
        let dir = scratch(&format!("memory-{field}"));
        let spec = dir.join(file);
        std::fs::write(&spec, text.replace(from, to)).unwrap();
        let store = dir.join("store");
        let output = Command::new(env!("CARGO_BIN_EXE_superscale"))
            .args(["run", spec.to_str().unwrap(), "--store"])
            .arg(&store)
            .env("SUPERSCALE_MEMORY_LIMIT", (64u64 << 20).to_string())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "{file}:{line}: field `{field}`: a run needs about"
            )) && stderr.contains(part)
                && stderr.contains("more than the 64.000 MiB of SUPERSCALE_MEMORY_LIMIT"),
            "{stderr}"
        );
        assert!(!store.exists(), "nothing may be created");
    }
}
