//! What each kind's tables hold when run by `superscale run` (every_kind.rs checks what
//! all kinds share: store, listing, export, shards, resume, mistakes). Ported from the
//! tests of the removed `superscale quanta` and `superscale platonic` commands, and of
//! `quanta --capability`, now the toy kind's `[analysis] capability`.

mod common;

use common::*;
use std::path::Path;

fn read(store: &Path, name: &str) -> String {
    std::fs::read_to_string(store.join(name))
        .unwrap_or_else(|err| panic!("{}: {err}", store.join(name).display()))
}

/// 4 widths of a quanta study on 8 subtasks of 12 bits, 400 steps each.
const QUANTA: &str = r#"name = "tiny"
kind = "quanta"
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
"train.width" = [8, 16, 32, 64]
[analysis]
bootstrap_resamples = 50
steps_window = [0.01, 1.0]
"#;

/// A quanta study writes one results row per run, per-task rows for every evaluation, the
/// α_N and α_S exponents and a report with its four figures; running it again on the
/// finished store trains nothing and rewrites the same tables.
#[test]
fn a_quanta_study_writes_its_tables_and_report() {
    let dir = scratch("kind-tables-quanta");
    let spec = spec(&dir, "quanta_tiny.toml", QUANTA);
    let store = dir.join("store");
    run_ok(&spec, &store, 2, &["--quiet"]);
    let results = read(&store, "results.csv");
    assert_eq!(
        results.lines().count(),
        1 + 4,
        "one row per width: {results}"
    );
    let header: Vec<&str> = results.lines().next().unwrap().split(',').collect();
    let width = header.iter().position(|c| *c == "width").unwrap();
    let widths: Vec<&str> = results
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(width).unwrap())
        .collect();
    assert_eq!(widths, ["8", "16", "32", "64"], "in the study's order");
    // tasks.csv: one row per (run, evaluation, task), the evaluations of curves.csv (one
    // row per run and evaluation), about 20 of them per run.
    let evaluations = read(&store, "curves.csv").lines().count() - 1;
    assert!((4 * 15..=4 * 21).contains(&evaluations), "{evaluations}");
    let tasks = read(&store, "tasks.csv");
    assert_eq!(tasks.lines().count(), 1 + evaluations * 8);
    assert_eq!(
        read(&store, "emergence.csv").lines().count(),
        1 + 4 * 8,
        "one row per (run, task)"
    );
    let exponents = read(&store, "exponents.csv");
    assert!(
        exponents.contains(",alpha_N,") && exponents.contains(",alpha_S,"),
        "{exponents}"
    );
    for name in ["forecast_tasks.csv", "forecast_aggregate.csv"] {
        assert!(read(&store, name).lines().count() > 1, "{name} has rows");
    }
    let report = read(&store, "report.html");
    assert!(
        report.matches("<svg").count() >= 4,
        "aggregate, parameters, heat map, learning times"
    );
    assert!(!report.contains("src=\"http"), "self-contained");
    let tables: Vec<String> = [
        "results.csv",
        "curves.csv",
        "tasks.csv",
        "emergence.csv",
        "exponents.csv",
    ]
    .iter()
    .map(|name| read(&store, name))
    .collect();
    let stderr = run_ok(&spec, &store, 1, &[]);
    assert!(
        stderr.contains("all 4 runs finished") && !stderr.contains("[1/"),
        "{stderr}"
    );
    let again: Vec<String> = [
        "results.csv",
        "curves.csv",
        "tasks.csv",
        "emergence.csv",
        "exponents.csv",
    ]
    .iter()
    .map(|name| read(&store, name))
    .collect();
    assert_eq!(tables, again);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A toy sweep with `[analysis] capability`.
const CAPABILITY: &str = r#"name = "tiny_capability"
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
[analysis]
capability = { samples_per_feature = 50 }
"#;

/// The capability analysis of a toy sweep writes its three tables (one row per feature ×
/// width, per width, per feature) and its report section; the per-feature decomposition
/// reproduces each run's held-out loss; another store of the same spec has the same
/// tables (the draws are seeded from the runs).
#[test]
fn the_capability_analysis_of_a_tiny_toy_sweep_is_written_and_reproducible() {
    let dir = scratch("kind-tables-capability");
    let spec = spec(&dir, "tiny_capability.toml", CAPABILITY);
    let store = dir.join("store");
    run_ok(&spec, &store, 2, &["--quiet"]);
    let features = read(&store, "capability_features.csv");
    assert_eq!(features.lines().count(), 1 + 40 * 3);
    let widths = read(&store, "capability_widths.csv");
    assert_eq!(widths.lines().count(), 1 + 3, "{widths}");
    assert_eq!(
        read(&store, "capability_profiles.csv").lines().count(),
        1 + 40
    );
    // The per-feature decomposition reproduces the held-out loss of each run within 15 %
    // (50 draws per feature and 4 held-out batches: both estimates are noisy).
    let header: Vec<&str> = widths.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let (held_out, from_features) = (
        column("loss_heldout_n_mse"),
        column("loss_from_features_n_mse"),
    );
    for line in widths.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let (held_out, from_features): (f64, f64) = (
            cells[held_out].parse().unwrap(),
            cells[from_features].parse().unwrap(),
        );
        assert!(
            (from_features / held_out - 1.0).abs() < 0.15,
            "{line}: {from_features} vs {held_out}"
        );
    }
    let report = read(&store, "report.html");
    assert!(report.contains("id=\"capability\""), "a capability section");
    let other = dir.join("other");
    run_ok(&spec, &other, 1, &["--quiet"]);
    assert_eq!(read(&other, "capability_features.csv"), features);
    assert_eq!(read(&other, "capability_widths.csv"), widths);
    // A toy model other than superposition_scaling is refused, naming file, line and field.
    let anthropic = spec_file_anthropic(&dir);
    let (code, _, stderr) = superscale([
        "run".to_string(),
        path(&anthropic),
        "--store".into(),
        path(&dir.join("never")),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("anthropic.toml:3: field `model.variant`"),
        "{stderr}"
    );
    assert!(!dir.join("never").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn spec_file_anthropic(dir: &Path) -> std::path::PathBuf {
    spec(
        dir,
        "anthropic.toml",
        "name = \"a\"\n[model]\nvariant = \"anthropic\"\nn_features = 5\nn_hidden = 2\nfeature_probability = 0.1\n[train]\nsteps = 10\nbatch_size = 8\nschedule = { kind = \"constant\", lr = 0.001 }\n[analysis]\ncapability = { samples_per_feature = 50 }\n",
    )
}

/// 2 widths × 2 modalities × 2 seeds and the reference: 9 networks of 60 steps.
const PLATONIC: &str = r#"name = "tiny"
kind = "platonic"
seed = 5
replicates = 2
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
hypothesis = "capacity"
values = [8, 16]
tasks = 2
probe = 64
test = 128
reference_width = 16
[analysis]
k = 5
permutations = 10
bootstrap = 20
"#;

/// A Platonic study writes every pair, the summary per cell, the networks and the
/// competence–alignment regressions, and a report with its figures; the same spec in
/// another store gives the same rows.
#[test]
fn a_platonic_study_writes_every_table_and_its_report() {
    let dir = scratch("kind-tables-platonic");
    let spec = spec(&dir, "tiny.toml", PLATONIC);
    let store = dir.join("store");
    run_ok(&spec, &store, 2, &["--quiet"]);
    let pairs = read(&store, "pairs.csv");
    // Per cell with 2 seeds: 1 within-modality pair, 4 across, 4 to z; × 3 metrics × 2 cells.
    assert_eq!(pairs.lines().count(), 1 + (1 + 4 + 4) * 3 * 2);
    assert!(
        pairs
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("0,multitask,width,8,2,8,0,seeds,0,1,mutual_knn,"),
        "{pairs}"
    );
    assert_eq!(
        read(&store, "summary.csv").lines().count(),
        1 + 2 * 3 * 3,
        "2 cells × 3 comparisons × 3 metrics"
    );
    assert_eq!(
        read(&store, "runs.csv").lines().count(),
        1 + 2 * 2 * 2,
        "the networks of the cells"
    );
    // Pooled and within-cell fits for each of the 3 metrics.
    assert_eq!(read(&store, "regression.csv").lines().count(), 1 + 2 * 3);
    let html = read(&store, "report.html");
    assert!(html.contains("<svg") && html.contains("Competence"));
    let again = dir.join("again");
    run_ok(&spec, &again, 1, &["--quiet"]);
    for name in [
        "pairs.csv",
        "summary.csv",
        "runs.csv",
        "regression.csv",
        "summary.md",
    ] {
        assert_eq!(read(&again, name), read(&store, name), "{name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
