//! `superscale platonic`: a tiny study end to end (every output file, the rows it must
//! hold) and spec errors (exit 2, file:line and field).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("superscale-platonic-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn platonic(spec: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_superscale"))
        .args([
            "platonic",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ])
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap()
}

/// 2 cells × 2 modalities × 2 seeds + the reference: 9 networks of 60 steps (< 2 s).
const TINY: &str = r#"name = "tiny"
seed = 5
[world]
latent_dim = 4
input_dim = 8
render_hidden = 16
task_hidden = 4
[model]
width = 8
steps = 60
batch_size = 64
[study]
kind = "capacity"
values = [8, 16]
tasks = 2
seeds = 2
probe = 64
test = 128
k = 5
permutations = 10
bootstrap = 20
reference_width = 16
"#;

#[test]
fn a_tiny_study_writes_every_table_figure_and_report() {
    let dir = scratch("tiny");
    let spec = dir.join("tiny.toml");
    std::fs::write(&spec, TINY).unwrap();
    let out = dir.join("out");
    let output = platonic(&spec, &out);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        out.join("report.html").to_str().unwrap()
    );
    let pairs = std::fs::read_to_string(out.join("pairs.csv")).unwrap();
    // Per cell with S = 2: 1 within-modality pair, 4 across, 4 to z; × 3 metrics × 2 cells.
    assert_eq!(pairs.lines().count(), 1 + (1 + 4 + 4) * 3 * 2);
    assert!(pairs
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("0,multitask,width,8,2,8,0,seeds,0,1,mutual_knn,"));
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 1 + 2 * 3 * 3);
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 2 * 2 * 2);
    let regression = std::fs::read_to_string(out.join("regression.csv")).unwrap();
    // Pooled and within-cell fits for each of the 3 metrics.
    assert_eq!(regression.lines().count(), 1 + 2 * 3);
    for file in ["tiny.svg", "regression.svg"] {
        let svg = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("</svg>"), "{file}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("Competence"));
    // The same spec gives the same rows.
    let again = dir.join("again");
    assert!(platonic(&spec, &again).status.success());
    assert_eq!(
        std::fs::read_to_string(again.join("pairs.csv")).unwrap(),
        pairs
    );
}

#[test]
fn spec_mistakes_exit_2_naming_file_line_and_field() {
    let dir = scratch("errors");
    let cases = [
        (
            TINY.replace("k = 5", "k = 64"),
            "tiny.toml:19: field `study.k`",
        ),
        (
            TINY.replace("values = [8, 16]", "values = [8, 2.5]"),
            "tiny.toml:14: field `study.values`",
        ),
        (TINY.replace("width = 8", "widht = 8"), "tiny.toml:9"),
        (TINY.replace("\"capacity\"", "\"size\""), "tiny.toml:13"),
        (
            TINY.replace("metrics = []", "")
                .replace("reference_width = 16", "metrics = [\"knn\"]"),
            "field `study.metrics`",
        ),
    ];
    for (index, (text, expected)) in cases.iter().enumerate() {
        let spec = dir.join("tiny.toml");
        std::fs::write(&spec, text).unwrap();
        let output = platonic(&spec, &dir.join(format!("out{index}")));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "case {index}: {stderr}");
        assert!(
            stderr.contains(expected),
            "case {index}: expected {expected:?} in {stderr}"
        );
    }
    let missing = platonic(&dir.join("nothing.toml"), &dir.join("out"));
    assert_eq!(missing.status.code(), Some(2));
}
