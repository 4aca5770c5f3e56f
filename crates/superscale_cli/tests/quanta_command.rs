//! `superscale quanta`: a tiny study end to end (outputs, resume) and spec errors (exit 2,
//! file:line and field).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("superscale-quanta-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn quanta(spec: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_superscale"))
        .args([
            "quanta",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap()
}

const TINY: &str = r#"name = "tiny"
seed = 3
[task]
n_tasks = 8
n_bits = 12
k = 3
alpha = 1.4
[train]
width = 32
steps = 400
batch_size = 500
learning_rate = 0.01
eval_points = 20
test_points = 2000
test_points_per_task = 100
[sweep]
width = [8, 16, 32, 64]
[analysis]
bootstrap_resamples = 50
steps_window = [0.01, 1.0]
"#;

#[test]
fn a_tiny_study_writes_its_tables_and_report_and_resumes() {
    let dir = scratch("tiny");
    let spec = dir.join("quanta_tiny.toml");
    std::fs::write(&spec, TINY).unwrap();
    let out = dir.join("out");
    let first = quanta(&spec, &out);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout)
        .trim()
        .ends_with("report.html"));
    for file in [
        "results.csv",
        "curves.csv",
        "tasks.csv",
        "emergence.csv",
        "exponents.csv",
        "forecast_tasks.csv",
        "forecast_aggregate.csv",
        "spec.toml",
        "report.html",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let results = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(results.lines().count(), 1 + 4, "one row per width");
    let exponents = std::fs::read_to_string(out.join("exponents.csv")).unwrap();
    assert!(
        exponents.contains(",alpha_N,") && exponents.contains(",alpha_S,"),
        "{exponents}"
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.matches("<svg").count() >= 4,
        "aggregate, parameters, heat map, learning times"
    );
    assert!(!report.contains("src=\"http"), "self-contained");
    let mut jsons: Vec<PathBuf> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    jsons.sort();
    assert_eq!(jsons.len(), 4);
    assert!(
        jsons
            .iter()
            .all(|p| p.extension().is_some_and(|e| e == "json")),
        "no temporary files left"
    );
    let before: Vec<String> = jsons
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    // Rerun after deleting one run: only that one is trained again, and it comes back
    // bit-identical (seeds from the content-hashed run id).
    std::fs::remove_file(&jsons[1]).unwrap();
    let second = quanta(&spec, &out);
    assert!(second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("run ")).count(),
        1,
        "{stderr}"
    );
    let after: Vec<String> = jsons
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(before, after);
    assert_eq!(
        std::fs::read_to_string(out.join("results.csv")).unwrap(),
        results
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn spec_mistakes_exit_2_naming_file_line_and_field() {
    let dir = scratch("errors");
    let cases = [
        (
            TINY.replace("k = 3", "k = 13"),
            "quanta_bad_k.toml:6:",
            "task.k",
        ),
        (
            TINY.replace("width = 32\n", "width = 32\nwidht = 4\n"),
            "quanta_typo.toml:10:",
            "unknown field `widht`",
        ),
        (
            TINY.replace("width = [8, 16, 32, 64]", "width = [8, 0]"),
            "quanta_zero.toml:",
            "sweep.width",
        ),
        (
            TINY.replace("bootstrap_resamples = 50", "bootstrap_resamples = 1"),
            "quanta_boot.toml:19:",
            "analysis.bootstrap_resamples",
        ),
    ];
    let names = [
        "quanta_bad_k.toml",
        "quanta_typo.toml",
        "quanta_zero.toml",
        "quanta_boot.toml",
    ];
    for ((text, location, field), name) in cases.iter().zip(names) {
        let spec = dir.join(name);
        std::fs::write(&spec, text).unwrap();
        let output = quanta(&spec, &dir.join("never"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(location) && stderr.contains(field),
            "{name}: {stderr}"
        );
    }
    assert!(
        !dir.join("never").join("runs").exists(),
        "nothing runs on a bad spec"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
