//! Every kind through the one engine and the one store: for each kind, a tiny study is run
//! with `superscale run` and then listed, shown, exported, split into shards and merged,
//! killed and resumed, submitted as a Slurm array, and given spec mistakes. The commands
//! know nothing of the kind; what each kind must produce (its tables, its headline column,
//! its export tables, where its mistakes are reported) is one [`Case`] in the table below,
//! and `kind_tests!` makes the same tests for each case.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use superscale_store::{read_parquet, tables, ArrayData, RunState, Scalar, Store};

/// A spec mistake: `from` replaced by `to` must exit 2 with `file:line: field `field``,
/// the line being the first one of the edited file that contains `at`.
struct Mistake {
    from: &'static str,
    to: &'static str,
    at: &'static str,
    field: &'static str,
}

/// One kind's tiny study and what the commands must show of it.
struct Case {
    /// the `kind` of the file (also the file's name, `<kind>.toml`)
    kind: &'static str,
    /// the experiment file
    spec: &'static str,
    /// how many runs it plans
    runs: usize,
    /// the files `run` writes beside report.html (compared byte for byte between stores)
    tables: &'static [&'static str],
    /// (file, column) allowed to differ between two processes: wall-clock time
    volatile: &'static [(&'static str, &'static str)],
    /// the schema's headline column (the column `ls` shows)
    headline: &'static str,
    /// text every headline line printed on stdout contains
    headline_line: &'static str,
    /// the tables `export` writes: runs, the kind's curve tables, its array tables
    exports: &'static [&'static str],
    /// an edit making each run long enough (a tenth of a second or more) that a study
    /// killed after its first finished run still has runs to do
    longer: (&'static str, &'static str),
    /// spec mistakes and where they are reported
    mistakes: &'static [Mistake],
}

/// Toy models: 2 widths × 2 learning rates × 2 replicates of a few milliseconds; the
/// runs at lr 1e30 diverge, so the statuses differ.
const TOY: Case = Case {
    kind: "toy",
    spec: r#"name = "every-kind-toy"
replicates = 2
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
"model.n_hidden" = [3, 9]
"train.schedule.lr" = [0.01, 1e30]
"#,
    runs: 8,
    tables: &["results.csv", "exponents.csv", "curves.csv", "spec.toml"],
    volatile: &[("results.csv", "seconds")],
    headline: "loss_heldout_n_mse",
    headline_line: "α_m = ",
    exports: &["runs", "curves", "row_norms"],
    longer: ("steps = 40", "steps = 20000"),
    mistakes: &[
        Mistake {
            from: "n_features = 20",
            to: "n_features = 2",
            at: "[3, 9]",
            field: "model.n_hidden",
        },
        Mistake {
            from: "alpha = 1.0",
            to: "alpha = -1.0",
            at: "alpha = -1.0",
            field: "model.alpha",
        },
        Mistake {
            from: "batch_size = 32",
            to: "batch_sise = 32",
            at: "batch_sise",
            field: "train.batch_sise",
        },
        Mistake {
            from: "steps = 40",
            to: "steps = 0",
            at: "steps = 0",
            field: "train.steps",
        },
        Mistake {
            from: "batch_size = 32",
            to: "batch_size = 0",
            at: "batch_size = 0",
            field: "train.batch_size",
        },
        Mistake {
            from: "\"train.schedule.lr\" = [0.01, 1e30]\n",
            to: "\"train.schedule.lr\" = [0.01, 1e30]\n[analysis]\ncapability = { samples_per_feature = 0 }\n",
            at: "samples_per_feature",
            field: "analysis.capability.samples_per_feature",
        },
    ],
};

/// The quantization model: 6 subtasks of 12 bits, 3 widths × 2 replicates of 300 steps,
/// small test sets.
const QUANTA: Case = Case {
    kind: "quanta",
    spec: r#"name = "every-kind-quanta"
kind = "quanta"
seed = 3
replicates = 2
[task]
n_tasks = 6
n_bits = 12
k = 3
alpha = 1.4
[train]
width = 16
steps = 300
batch_size = 200
learning_rate = 0.01
eval_points = 10
test_points = 500
test_points_per_task = 40
[sweep]
"train.width" = [8, 16, 32]
[analysis]
forecast_fit_fraction = 0.5
bootstrap_resamples = 20
steps_window = [0.01, 1.0]
"#,
    runs: 6,
    tables: &[
        "results.csv",
        "curves.csv",
        "tasks.csv",
        "emergence.csv",
        "exponents.csv",
        "forecast_tasks.csv",
        "forecast_aggregate.csv",
        "spec.toml",
    ],
    volatile: &[],
    headline: "final_test_loss_bits",
    headline_line: "alpha_",
    exports: &[
        "runs",
        "curves",
        "task_loss_bits",
        "task_accuracy",
        "task_brier",
    ],
    longer: ("steps = 300", "steps = 3000"),
    mistakes: &[
        Mistake {
            from: "k = 3",
            to: "k = 13",
            at: "k = 13",
            field: "task.k",
        },
        Mistake {
            from: "width = 16\n",
            to: "width = 16\nwidht = 4\n",
            at: "widht",
            field: "train.widht",
        },
        Mistake {
            from: "[8, 16, 32]",
            to: "[8, 0]",
            at: "[8, 0]",
            field: "train.width",
        },
        Mistake {
            from: "bootstrap_resamples = 20",
            to: "bootstrap_resamples = 1",
            at: "bootstrap_resamples",
            field: "analysis.bootstrap_resamples",
        },
        Mistake {
            from: "steps_window = [0.01, 1.0]",
            to: "steps_window = [0.5, 0.1]",
            at: "steps_window",
            field: "analysis.steps_window",
        },
    ],
};

/// Platonic alignment: a tiny world, 2 widths × 2 modalities × 2 seeds of 50 steps and
/// the reference network.
/// The learning coefficient: two closed-form models × 2 replicates, 4 chains each.
const LLC: Case = Case {
    kind: "llc",
    spec: r#"name = "every-kind-llc"
kind = "llc"
seed = 11
replicates = 2
[data]
n = 500
[sampler]
step = 1e-4
chains = 4
draws = 400
burn_in = 200
[sweep]
model = [
    { family = "linear", shape = [3, 1] },
    { family = "reduced_rank", shape = [3, 2, 3] },
]
"#,
    runs: 4,
    tables: &["calibration.csv", "chains.csv", "spec.toml"],
    volatile: &[],
    headline: "lambda_hat",
    headline_line: "lambda_hat = ",
    exports: &[
        "runs",
        "curves",
        "chain_lambda",
        "chain_drift_norm",
        "chain_noise_norm",
        "chain_stationarity_z",
        "chain_diverged_at",
        "chain_trace",
    ],
    longer: ("draws = 400", "draws = 400000"),
    mistakes: &[
        Mistake {
            from: "step = 1e-4",
            to: "step = 0.0",
            at: "step = 0.0",
            field: "sampler.step",
        },
        Mistake {
            from: "n = 500",
            to: "",
            at: "[data]",
            field: "data.n",
        },
        Mistake {
            from: "shape = [3, 1]",
            to: "shape = [3]",
            at: "model = [",
            field: "model.shape",
        },
    ],
};

const PLATONIC: Case = Case {
    kind: "platonic",
    spec: r#"name = "every-kind-platonic"
kind = "platonic"
seed = 5
replicates = 2
[world]
latent_dim = 4
input_dim = 8
render_hidden = 12
task_hidden = 6
noise = 0.1
[model]
width = 12
depth = 2
steps = 50
batch_size = 32
lr = 0.003
[study]
hypothesis = "capacity"
values = [8, 16]
tasks = 2
probe = 48
test = 64
reference_width = 16
[analysis]
k = 5
permutations = 8
bootstrap = 40
metrics = ["mutual_knn", "unbiased_cka", "cknna"]
"#,
    runs: 9,
    tables: &[
        "runs.csv",
        "pairs.csv",
        "summary.csv",
        "regression.csv",
        "summary.md",
        "spec.toml",
    ],
    volatile: &[],
    headline: "normalised_loss",
    headline_line: "competence–alignment (pooled, mutual_knn): slope ",
    exports: &["runs", "representation"],
    longer: ("steps = 50", "steps = 10000"),
    mistakes: &[
        Mistake {
            from: "k = 5",
            to: "k = 64",
            at: "k = 64",
            field: "analysis.k",
        },
        Mistake {
            from: "values = [8, 16]",
            to: "values = [8, 2.5]",
            at: "values",
            field: "study.values",
        },
        Mistake {
            from: "width = 12",
            to: "widht = 12",
            at: "widht",
            field: "model.widht",
        },
        Mistake {
            from: "\"capacity\"",
            to: "\"size\"",
            at: "\"size\"",
            field: "study.hypothesis",
        },
        Mistake {
            from: "metrics = [\"mutual_knn\", \"unbiased_cka\", \"cknna\"]",
            to: "metrics = [\"knn\"]",
            at: "metrics",
            field: "analysis.metrics",
        },
        Mistake {
            from: "latent_dim = 4",
            to: "latent_dim = 0",
            at: "latent_dim",
            field: "world.latent_dim",
        },
    ],
};

/// The same tests for every kind.
macro_rules! kind_tests {
    ($module:ident, $case:expr $(, #[$attribute:meta])*) => {
        mod $module {
            use super::*;

            $(#[$attribute])*
            #[test]
            fn run_writes_its_tables_and_ls_show_export_read_them() {
                run_ls_show_export(&$case);
            }

            $(#[$attribute])*
            #[test]
            fn run_with_figures_writes_every_figure_of_the_report_as_svg_and_png() {
                figures_export(&$case);
            }

            $(#[$attribute])*
            #[test]
            fn exported_tables_name_each_column_once() {
                unique_columns(&$case);
            }

            $(#[$attribute])*
            #[test]
            fn two_shards_merge_to_the_unsharded_study() {
                shards_merge(&$case);
            }

            $(#[$attribute])*
            #[cfg(unix)]
            #[test]
            fn killed_after_its_first_finished_run_it_resumes_to_the_same_tables() {
                kill_and_resume(&$case);
            }

            $(#[$attribute])*
            #[cfg(unix)]
            #[test]
            fn the_slurm_script_runs_its_shards_and_merge_under_a_stand_in_sbatch() {
                slurm(&$case);
            }

            $(#[$attribute])*
            #[test]
            fn spec_mistakes_exit_2_naming_file_line_and_field_and_write_nothing() {
                mistakes(&$case, "run");
            }

            $(#[$attribute])*
            #[test]
            fn slurm_refuses_the_same_spec_mistakes_before_writing_its_script() {
                mistakes(&$case, "slurm");
            }
        }
    };
}

kind_tests!(toy, TOY);
kind_tests!(quanta, QUANTA);
kind_tests!(platonic, PLATONIC);
kind_tests!(llc, LLC);

/// `run --figures DIR` writes every figure the report draws as SVG and PNG with no code of
/// the kind's own: each SVG parses and is the report's figure, each PNG decodes at twice
/// the SVG's size with its resolution recorded and is not blank (common/figures.rs).
fn figures_export(case: &Case) {
    let dir = scratch_for(case, "figures");
    let spec = write_spec(case, &dir, None);
    let store = dir.join("store");
    let figures = dir.join("figures");
    let (stdout, _) = succeed(&strings(&[
        "run",
        &path(&spec),
        "--store",
        &path(&store),
        "--threads",
        "2",
        "--figures",
        &path(&figures),
    ]));
    let files = common::figures::check_exported(&figures, &store.join("report.html"), 2.0);
    let line = format!(
        "figures: {} ({} figure{} as svg, png; PNG at 2×, 192 pixels per inch)",
        path(&figures),
        files.len() / 2,
        if files.len() == 2 { "" } else { "s" }
    );
    assert!(stdout.lines().any(|l| l == line), "{line:?} in {stdout}");
}

/// A fresh scratch directory for one test of one kind.
fn scratch_for(case: &Case, test: &str) -> PathBuf {
    scratch(&format!("every-kind-{}-{test}", case.kind))
}

/// Writes the case's experiment file into `dir`, with `edit` applied.
fn write_spec(case: &Case, dir: &Path, edit: Option<(&str, &str)>) -> PathBuf {
    let text = match edit {
        Some((from, to)) => {
            assert!(
                case.spec.contains(from),
                "{from:?} is in the {} spec",
                case.kind
            );
            case.spec.replacen(from, to, 1)
        }
        None => case.spec.to_string(),
    };
    spec(dir, &format!("{}.toml", case.kind), &text)
}

/// `superscale ARGS` must succeed: (stdout, stderr).
fn succeed(args: &[String]) -> (String, String) {
    let (code, stdout, stderr) = superscale(args);
    assert_eq!(code, 0, "superscale {args:?}: {stderr}");
    (stdout, stderr)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// A CSV text without the named columns (cells hold no commas in the tables this is used
/// on: numbers and hexadecimal ids).
fn without_columns(text: &str, columns: &[&str]) -> String {
    let header: Vec<&str> = text.lines().next().unwrap_or_default().split(',').collect();
    let dropped: Vec<usize> = columns
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == c)
                .unwrap_or_else(|| panic!("no column {c} in {header:?}"))
        })
        .collect();
    text.lines()
        .map(|line| {
            line.split(',')
                .enumerate()
                .filter(|(i, _)| !dropped.contains(i))
                .map(|(_, cell)| cell)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The files `run` writes beside the report, by name, without their volatile columns.
fn study_tables(case: &Case, store: &Path) -> BTreeMap<String, String> {
    case.tables
        .iter()
        .map(|&name| {
            let text = std::fs::read_to_string(store.join(name))
                .unwrap_or_else(|err| panic!("{}: {err}", store.join(name).display()));
            let volatile: Vec<&str> = case
                .volatile
                .iter()
                .filter(|(file, _)| *file == name)
                .map(|(_, column)| *column)
                .collect();
            let text = if volatile.is_empty() {
                text
            } else {
                without_columns(&text, &volatile)
            };
            (name.to_string(), text)
        })
        .collect()
}

/// The export tables of a store as CSV, except `runs` (its provenance columns differ
/// between processes; the runs' identities, states and digests are compared by
/// [`digests`]).
fn curve_and_array_tables(store: &Path) -> BTreeMap<String, String> {
    tables(&Store::open(store).unwrap())
        .unwrap()
        .into_iter()
        .filter(|t| t.name != "runs")
        .map(|t| (t.name.clone(), superscale_store::csv(&t)))
        .collect()
}

/// The same study: every run's state and digests, the tables beside the report, and the
/// curve and array tables of the export.
fn assert_same_study(case: &Case, store: &Path, reference: &Path) {
    assert_eq!(digests(store), digests(reference), "runs and digests");
    let (left, right) = (study_tables(case, store), study_tables(case, reference));
    for name in case.tables {
        assert!(
            left[*name] == right[*name],
            "{name} differs between {} and {}",
            store.display(),
            reference.display()
        );
    }
    assert_eq!(
        curve_and_array_tables(store),
        curve_and_array_tables(reference),
        "exported curves and arrays"
    );
}

/// The headline lines and the report line `run` and `merge` print on stdout.
fn assert_headlines(case: &Case, stdout: &str, store: &Path) {
    let lines: Vec<&str> = stdout.lines().collect();
    let (report, headlines) = lines.split_last().expect("stdout is not empty");
    assert_eq!(
        *report,
        format!("report: {}", store.join("report.html").display()),
        "{stdout}"
    );
    assert!(!headlines.is_empty(), "headlines are printed: {stdout}");
    assert!(
        headlines.iter().any(|l| l.contains(case.headline_line)),
        "a headline with {:?} in {stdout}",
        case.headline_line
    );
}

/// (a) `run` writes the report and the kind's tables and prints its headlines;
/// (b) `ls` lists every run with its status and headline value, `show` a run's scalars,
/// curves and arrays; (c) `export` writes the runs table and the kind's curve and array
/// tables as CSV and Parquet, reading back as the store.
fn run_ls_show_export(case: &Case) {
    let dir = scratch_for(case, "basic");
    let spec = write_spec(case, &dir, None);
    let store = dir.join("store");
    let (stdout, stderr) = succeed(&[
        "run".into(),
        path(&spec),
        "--store".into(),
        path(&store),
        "--threads".into(),
        "2".into(),
    ]);
    // stderr is a pipe: the plan, one line per finished run, the closing line.
    let plan = stderr.lines().next().unwrap();
    assert!(
        plan.contains(&format!("{} runs to do", case.runs)) && plan.ends_with("(new store)"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with('[')).count(),
        case.runs,
        "one line per finished run: {stderr}"
    );
    let closing = stderr
        .lines()
        .find(|l| l.starts_with("done in "))
        .unwrap_or_else(|| panic!("a closing line in {stderr}"));
    assert_headlines(case, &stdout, &store);
    for name in case.tables {
        assert!(store.join(name).is_file(), "{name} is written");
        if *name != "spec.toml" {
            assert!(closing.contains(name), "{name} is named in {closing}");
        }
    }
    let report = std::fs::read_to_string(store.join("report.html")).unwrap();
    assert!(report.contains("<svg"), "the report has figures");
    assert!(
        !report.contains("src=\"http") && !report.contains("<script"),
        "the report is self-contained"
    );
    assert_eq!(
        std::fs::read_to_string(store.join("spec.toml")).unwrap(),
        case.spec
    );

    // ls: every run, its status and the value of the kind's headline column.
    let opened = Store::open(&store).unwrap();
    let meta = opened.meta();
    assert_eq!(meta.schema.kind, case.kind);
    assert_eq!(meta.schema.headline.as_deref(), Some(case.headline));
    let headline = meta
        .schema
        .scalars
        .iter()
        .position(|c| c.name == case.headline)
        .unwrap();
    let runs = opened.runs().unwrap();
    assert_eq!(runs.len(), case.runs);
    let (listing, _) = succeed(&["ls".into(), path(&store)]);
    let lines: Vec<&str> = listing.lines().collect();
    assert!(
        lines[0].contains(&format!("({} runs: ", case.runs)),
        "{listing}"
    );
    assert!(lines[1].contains(case.headline), "{listing}");
    assert_eq!(lines.len(), 2 + case.runs, "{listing}");
    for run in &runs {
        assert!(run.state.is_finished(), "{run:?}");
        let line = lines
            .iter()
            .find(|l| {
                let cells: Vec<&str> = l.split_whitespace().collect();
                cells.len() > 3 && cells[1] == run.run_id && cells[2] == run.replicate.to_string()
            })
            .unwrap_or_else(|| panic!("{} r{} in {listing}", run.run_id, run.replicate));
        assert_eq!(
            line.split_whitespace().nth(3),
            Some(run.state.as_str()),
            "{line}"
        );
        let output = opened.output(&run.run_id, run.replicate).unwrap().unwrap();
        match (&output.scalars[headline], run.state) {
            (Scalar::Float(value), RunState::Done) => {
                assert!(line.contains(&format!(" {value:.6} ")), "{value} in {line}")
            }
            (_, RunState::Diverged) => {}
            (other, state) => panic!("{state:?} run with headline {other:?}"),
        }
    }
    let (done, _) = succeed(&["ls".into(), path(&store), "--status".into(), "done".into()]);
    assert_eq!(
        done.lines().count() - 2,
        runs.iter().filter(|r| r.state == RunState::Done).count(),
        "{done}"
    );

    // show: a run by a prefix of its id, with its scalars, curves and arrays.
    let run = &runs[0];
    let (shown, _) = succeed(&["show".into(), path(&store), run.run_id[..8].to_string()]);
    let output = opened.output(&run.run_id, run.replicate).unwrap().unwrap();
    assert!(
        shown.contains(&format!("run {} replicate {}", run.run_id, run.replicate)),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("status     {}", run.state.as_str())),
        "{shown}"
    );
    for (column, value) in meta.schema.scalars.iter().zip(&output.scalars) {
        let value = match value {
            Scalar::Int(v) => v.to_string(),
            Scalar::Float(v) => v.to_string(),
            Scalar::Text(v) => v.clone(),
            Scalar::Missing => "-".into(),
        };
        assert!(
            shown
                .lines()
                .any(|l| l.trim_start().starts_with(column.name.as_str())
                    && l.trim_end().ends_with(&value)),
            "{} = {value} in {shown}",
            column.name
        );
    }
    for (column, curve) in meta.schema.curves.iter().zip(&output.curves) {
        assert!(
            shown.contains(&format!("curve {} ({} points", column.name, curve.len())),
            "{} in {shown}",
            column.name
        );
    }
    for (column, array) in meta.schema.arrays.iter().zip(&output.arrays) {
        let shape: Vec<String> = array.shape.iter().map(usize::to_string).collect();
        assert!(
            shown.contains(&format!("array {} [{}]", column.name, shape.join(" × "))),
            "{} in {shown}",
            column.name
        );
    }
    assert!(shown.contains(&run.spec_json), "{shown}");

    // export: runs, the curve tables, the array tables; CSV as the store's tables print,
    // Parquet reading back as them.
    let expected = tables(&opened).unwrap();
    assert_eq!(
        expected.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        case.exports
    );
    for table in &expected {
        assert!(!table.columns.is_empty() && !table.columns[0].values.is_empty());
    }
    let runs_table = &expected[0];
    assert_eq!(runs_table.columns[0].values.len(), case.runs);
    for (column, array) in meta.schema.arrays.iter().enumerate() {
        let cells: usize = runs
            .iter()
            .map(|r| {
                let output = opened.output(&r.run_id, r.replicate).unwrap().unwrap();
                match &output.arrays[column].data {
                    ArrayData::F64(v) => v.len(),
                    ArrayData::F32(v) => v.len(),
                }
            })
            .sum();
        let table = expected.iter().find(|t| t.name == array.name).unwrap();
        assert_eq!(table.columns[0].values.len(), cells, "{}", array.name);
    }
    for (format, extension) in [("csv", "csv"), ("parquet", "parquet")] {
        let (written, _) = succeed(&strings(&["export", &path(&store), "--format", format]));
        let files: Vec<String> = case
            .exports
            .iter()
            .map(|t| path(&store.join("export").join(format!("{t}.{extension}"))))
            .collect();
        assert_eq!(written.lines().collect::<Vec<_>>(), files, "{written}");
    }
    for table in &expected {
        let export = store.join("export");
        assert_eq!(
            std::fs::read_to_string(export.join(format!("{}.csv", table.name))).unwrap(),
            superscale_store::csv(table),
            "{}.csv",
            table.name
        );
        assert_eq!(
            &read_parquet(&export.join(format!("{}.parquet", table.name))).unwrap(),
            table,
            "{}.parquet",
            table.name
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every exported table names each column once: pandas renames a repeated name
/// (`replicate.1`) and Parquet readers refuse or rename it, so a repeated name loses a
/// column's meaning (a run spec's own field named like a provenance column, for example).
fn unique_columns(case: &Case) {
    let dir = scratch_for(case, "columns");
    let store = dir.join("store");
    run_ok(&write_spec(case, &dir, None), &store, 2, &["--quiet"]);
    for table in tables(&Store::open(&store).unwrap()).unwrap() {
        let mut seen = std::collections::BTreeSet::new();
        let repeated: Vec<&str> = table
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|name| !seen.insert(*name))
            .collect();
        assert!(
            repeated.is_empty(),
            "{} table of a {} study: {repeated:?} named more than once",
            table.name,
            case.kind
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// (d) Shards 1/2 and 2/2 in two stores, merged, are the unsharded study: the same runs
/// and digests, the same tables byte for byte (wall-clock columns aside).
fn shards_merge(case: &Case) {
    let dir = scratch_for(case, "shards");
    let spec = write_spec(case, &dir, None);
    let whole = dir.join("whole");
    run_ok(&spec, &whole, 2, &["--quiet"]);
    let shards: Vec<PathBuf> = (1..=2).map(|k| dir.join(format!("{k}-of-2"))).collect();
    for (k, shard) in shards.iter().enumerate() {
        let stderr = run_ok(&spec, shard, 1, &["--shard", &format!("{}/2", k + 1)]);
        assert!(stderr.contains(&format!("(shard {}/2)", k + 1)), "{stderr}");
        let runs = Store::open(shard).unwrap().runs().unwrap();
        assert!(
            runs.iter().all(|r| r.index % 2 == k),
            "shard {} holds the runs i with i % 2 == {k}",
            k + 1
        );
        assert_eq!(runs.len(), (case.runs + 1 - k) / 2);
    }
    let merged = dir.join("merged");
    let mut args = vec!["merge".to_string(), path(&merged)];
    args.extend(shards.iter().map(|s| path(s)));
    let (stdout, stderr) = succeed(&args);
    assert!(
        stderr.contains(&format!("{} runs copied", case.runs)),
        "{stderr}"
    );
    assert_headlines(case, &stdout, &merged);
    assert_same_study(case, &merged, &whole);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// (e) A study killed (SIGKILL) once its first run is finished resumes, by the same
/// command, to the tables of an uninterrupted study. The kill is placed by an event: with
/// stderr a pipe, `superscale run` prints one line per run after committing it; at the
/// first such line the process is frozen (SIGSTOP, until /proc shows every thread stopped)
/// so the store read next is exactly what the kill leaves, and then killed.
fn kill_and_resume(case: &Case) {
    let dir = scratch_for(case, "kill");
    let spec = write_spec(case, &dir, Some(case.longer));
    let store = dir.join("store");
    let args = [
        "run".to_string(),
        path(&spec),
        "--store".into(),
        path(&store),
        "--threads".into(),
        "1".into(),
    ];
    let mut child = command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let plan = lines.next().expect("a plan line").unwrap();
    assert!(plan.ends_with("(new store)"), "{plan}");
    loop {
        let line = lines
            .next()
            .expect("a finished-run line before the study ends")
            .unwrap();
        if line.starts_with('[') {
            break;
        }
    }
    freeze(&child);
    let left = progress(&store).expect("the store exists once a run is finished");
    child.kill().unwrap();
    child.wait().unwrap();
    eprintln!("{}: the kill left {left:?}", case.kind);
    assert_eq!(left.runs, case.runs, "every run has its row from the start");
    assert!(
        left.finished >= 1 && left.finished < case.runs,
        "the kill lands mid-study: {left:?}"
    );
    assert!(
        !store.join("report.html").exists(),
        "no report before every run is done"
    );
    // The same command resumes: its plan names what the kill left.
    let stderr = run_ok(&spec, &store, 1, &[]);
    let plan = stderr.lines().next().unwrap();
    assert!(
        plan.contains(&format!("{} runs to do", case.runs - left.finished))
            && plan.contains(&format!("resumed: {} finished", left.finished)),
        "{plan} after {left:?}"
    );
    if left.running > 0 {
        assert!(
            plan.contains(&format!("{} interrupted", left.running)),
            "{plan} after {left:?}"
        );
    }
    let reference = dir.join("reference");
    run_ok(&spec, &reference, 1, &["--quiet"]);
    assert_same_study(case, &store, &reference);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// (f) `superscale slurm` writes a job-array script; run as two array tasks with a
/// stand-in `sbatch` that records the merge job, then that merge, it gives the study of
/// one process.
fn slurm(case: &Case) {
    let dir = scratch_for(case, "slurm");
    let spec = write_spec(case, &dir, None);
    let out = dir.join("cluster/study");
    let (stdout, _) = succeed(&strings(&[
        "slurm",
        &path(&spec),
        "--shards",
        "2",
        "--store",
        &path(&out),
        "--cpus-per-task",
        "1",
    ]));
    let script = PathBuf::from(stdout.trim());
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(
        text.contains("#SBATCH --array=1-2")
            && text.contains("--dependency=\"afterok:$SLURM_ARRAY_JOB_ID\""),
        "{text}"
    );
    run_slurm_script(&dir, &script, 2);
    let direct = dir.join("direct");
    run_ok(&spec, &direct, 1, &["--quiet"]);
    assert_same_study(case, &out, &direct);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// (g) Each mistake exits 2 with `file:line: field `name``, prints nothing on stdout and
/// writes nothing (no store, no script); so does a file that does not exist. `command` is
/// `run` or `slurm` (which must refuse what `run` refuses, before writing its script).
fn mistakes(case: &Case, command: &str) {
    let dir = scratch_for(case, &format!("{command}-mistakes"));
    let store = dir.join("never");
    let name = format!("{}.toml", case.kind);
    let args = |spec: &Path| match command {
        "run" => strings(&["run", &path(spec), "--store", &path(&store)]),
        _ => strings(&[
            "slurm",
            &path(spec),
            "--shards",
            "2",
            "--store",
            &path(&store),
        ]),
    };
    for mistake in case.mistakes {
        let spec = write_spec(case, &dir, Some((mistake.from, mistake.to)));
        let text = std::fs::read_to_string(&spec).unwrap();
        let line = 1 + text
            .lines()
            .position(|l| l.contains(mistake.at))
            .unwrap_or_else(|| panic!("{:?} in the edited spec", mistake.at));
        let expected = format!("{name}:{line}: field `{}`", mistake.field);
        let (code, stdout, stderr) = superscale(args(&spec));
        assert_eq!(code, 2, "{} → {}: {stderr}", mistake.from, mistake.to);
        assert!(
            stderr.contains(&expected),
            "{} → {}: expected {expected:?} in {stderr}",
            mistake.from,
            mistake.to
        );
        assert!(stdout.is_empty(), "{stdout}");
        assert_eq!(
            listing(&dir),
            [name.as_str()],
            "nothing is written for {}",
            mistake.to
        );
    }
    let (code, _, stderr) = superscale(args(&dir.join("missing.toml")));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("missing.toml"), "{stderr}");
    assert_eq!(listing(&dir), [name.as_str()]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every kind this build knows has a case here (a new kind gets its row in the table).
#[test]
fn every_known_kind_has_a_case() {
    let cases = [TOY.kind, QUANTA.kind, PLATONIC.kind, LLC.kind];
    for kind in superscale_kinds::KINDS {
        assert!(cases.contains(&kind), "no case for the kind {kind}");
    }
}
