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

const TINY_TOY: &str = r#"name = "tiny_capability"
[model]
variant = "superposition_scaling"
n_features = 40
n_hidden = 3
alpha = 1.0
weight_decay = 0.3333
[train]
steps = 150
batch_size = 256
schedule = { kind = "warmup_cosine", peak_lr = 0.02, warmup_steps = 15 }
[record]
heldout_batches = 4
[sweep]
"model.n_hidden" = [3, 6, 12]
"#;

fn capability(spec: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_superscale"))
        .args(["quanta", "--capability", spec.to_str().unwrap(), "--out"])
        .arg(out)
        .args(["--samples-per-feature", "50", "--quiet"])
        .env("SUPERSCALE_THREADS", "2")
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap()
}

/// `--capability` trains a toy-model sweep into its store with weights, writes the three
/// capability tables (one row per feature × width, per width, per feature) and the page;
/// a rerun trains nothing and gives the same tables (the draws are seeded from the runs).
#[test]
fn capability_report_of_a_tiny_toy_sweep_is_written_and_reproducible() {
    let dir = scratch("capability");
    let spec = dir.join("tiny_capability.toml");
    std::fs::write(&spec, TINY_TOY).unwrap();
    let out = dir.join("out");
    let first = capability(&spec, &out);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    let features = read("capability_features.csv");
    assert_eq!(features.lines().count(), 1 + 40 * 3);
    let widths = read("capability_widths.csv");
    assert_eq!(widths.lines().count(), 1 + 3, "{widths}");
    assert_eq!(read("capability_profiles.csv").lines().count(), 1 + 40);
    // The per-feature decomposition reproduces the held-out loss of each run within 15 %
    // (50 draws per feature and 4 held-out batches: both estimates are noisy).
    for line in widths.lines().skip(1) {
        let cells: Vec<f64> = line
            .rsplit(',')
            .take(2)
            .map(|c| c.parse().unwrap())
            .collect();
        let (from_features, held_out) = (cells[0], cells[1]);
        assert!(
            (from_features / held_out - 1.0).abs() < 0.15,
            "{line}: {from_features} vs {held_out}"
        );
    }
    assert!(read("capability.html").contains("<svg"));
    let again = capability(&spec, &out);
    assert!(again.status.success());
    assert_eq!(read("capability_features.csv"), features);
    // A toy model other than superposition_scaling is refused, naming file and field.
    let anthropic = dir.join("anthropic.toml");
    std::fs::write(
        &anthropic,
        "name = \"a\"\n[model]\nvariant = \"anthropic\"\nn_features = 5\nn_hidden = 2\nfeature_probability = 0.1\n[train]\nsteps = 10\nbatch_size = 8\nschedule = { kind = \"constant\", lr = 0.001 }\n",
    )
    .unwrap();
    let refused = capability(&anthropic, &dir.join("never"));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("anthropic.toml") && stderr.contains("model.variant"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--shard 1/2` and `--shard 2/2` into one directory write every run once and no report;
/// the command without `--shard` then trains nothing and writes the same tables as an
/// unsharded study (results.csv byte-identical).
#[test]
fn shards_fill_one_directory_and_the_plain_command_analyses_them() {
    let dir = scratch("shards");
    let spec = dir.join("quanta_tiny.toml");
    std::fs::write(&spec, TINY.replace("steps = 400", "steps = 120")).unwrap();
    let run = |out: &Path, shard: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_superscale"));
        command
            .args(["quanta", spec.to_str().unwrap(), "--out"])
            .arg(out);
        if let Some(shard) = shard {
            command.args(["--shard", shard]);
        }
        let output = command.env("RAYON_NUM_THREADS", "2").output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    };
    let sharded = dir.join("sharded");
    run(&sharded, Some("1/2"));
    let runs = || std::fs::read_dir(sharded.join("runs")).unwrap().count();
    assert_eq!(runs(), 2);
    assert!(!sharded.join("report.html").exists());
    run(&sharded, Some("2/2"));
    assert_eq!(runs(), 4);
    let analysed = run(&sharded, None);
    assert!(
        !String::from_utf8_lossy(&analysed.stderr).contains("run 1/4"),
        "the plain command must not retrain"
    );
    let plain = dir.join("plain");
    run(&plain, None);
    let results = |d: &Path| std::fs::read_to_string(d.join("results.csv")).unwrap();
    assert_eq!(results(&sharded), results(&plain));
    let _ = std::fs::remove_dir_all(&dir);
}
