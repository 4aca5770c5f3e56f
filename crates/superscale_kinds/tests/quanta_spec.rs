//! The quanta experiment file (`kind = "quanta"`): run identity and order as the old
//! `superscale quanta` had them, mistakes named by file, line and field, the shipped files,
//! and the exact round trip of a run through the store's output type. Also the toy kind's
//! `[analysis] capability` option, read when the study is prepared.

use std::path::Path;
use superscale_engine::{run_in_memory, Kind};
use superscale_kinds::quanta::{
    from_output, to_output, train_network, MultitaskParity, Quanta, QuantaSpec, RunPlan, TestSets,
};
use superscale_kinds::toy::Toy;
use superscale_spec::{replicate_seed, run_id, Experiment, RunSpec};

const TINY: &str = r#"name = "tiny"
kind = "quanta"
seed = 3
replicates = 2
[task]
n_tasks = 6
n_bits = 12
k = 3
alpha = 1.4
[train]
width = 24
steps = 60
batch_size = 100
learning_rate = 0.01
eval_points = 6
test_points = 300
test_points_per_task = 20
[sweep]
"task.alpha" = [1.2, 1.6]
"train.width" = [8, 24]
[analysis]
bootstrap_resamples = 50
steps_window = [0.01, 1.0]
"#;

fn parse(text: &str) -> Result<Experiment<QuantaSpec>, superscale_spec::Error> {
    Experiment::from_text(text, Path::new("tiny.toml"))
}

fn prepared(text: &str) -> Result<Quanta, superscale_spec::Error> {
    Quanta::prepare(&parse(text)?)
}

#[test]
fn runs_keep_the_legacy_identity_and_order() {
    let experiment = parse(TINY).unwrap();
    // alpha × width × replicate, the replicate innermost and part of the id.
    let order: Vec<(f64, usize, u32)> = experiment
        .points
        .iter()
        .map(|p| (p.spec.task.alpha, p.spec.train.width, p.replicate))
        .collect();
    assert_eq!(
        order,
        [
            (1.2, 8, 0),
            (1.2, 8, 1),
            (1.2, 24, 0),
            (1.2, 24, 1),
            (1.6, 8, 0),
            (1.6, 8, 1),
            (1.6, 24, 0),
            (1.6, 24, 1)
        ]
    );
    for point in &experiment.points {
        let plan = RunPlan {
            task_seed: 3,
            task: point.spec.task.clone(),
            train: point.spec.train.clone(),
            replicate: point.replicate,
        };
        assert_eq!(point.spec, plan);
        assert_eq!(point.run_id, run_id(&plan.canonical_json()));
        assert_eq!(point.seed, replicate_seed(&point.run_id, point.replicate));
    }
    assert_ne!(experiment.points[0].run_id, experiment.points[1].run_id);
    // The canonical JSON of the old `RunPlan`, field for field, defaults filled in.
    assert_eq!(
        experiment.points[0].spec.canonical_json(),
        "{\"task_seed\":3,\"task\":{\"n_tasks\":6,\"n_bits\":12,\"k\":3,\"alpha\":1.2,\"offset\":0.0},\
         \"train\":{\"width\":8,\"depth\":2,\"steps\":60,\"batch_size\":100,\"learning_rate\":0.01,\
         \"weight_decay\":0.0,\"data\":null,\"eval_points\":6,\"test_points\":300,\"test_points_per_task\":20},\
         \"replicate\":0}"
    );
}

/// Sweep axes expand in the order of their dotted paths (the parser's table is sorted), the
/// first slowest: "task.alpha", then "train.data", then "train.width". The old
/// `superscale quanta` expanded alpha × width × data, so a file sweeping both the width and
/// the data lists its runs in another order than the old binary did (no shipped file does).
#[test]
fn sweep_axes_expand_in_the_order_of_their_paths() {
    let text = TINY.replace(
        "\"train.width\" = [8, 24]",
        "\"train.width\" = [8, 24]\n\"train.data\" = [100, 200]",
    );
    let experiment = parse(&text).unwrap();
    let axes: Vec<&str> = experiment.axes.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(axes, ["task.alpha", "train.data", "train.width"]);
    let order: Vec<(Option<usize>, usize)> = experiment.points[..8]
        .iter()
        .map(|p| (p.spec.train.data, p.spec.train.width))
        .collect();
    assert_eq!(
        order,
        [
            (Some(100), 8),
            (Some(100), 8),
            (Some(100), 24),
            (Some(100), 24),
            (Some(200), 8),
            (Some(200), 8),
            (Some(200), 24),
            (Some(200), 24)
        ]
    );
}

/// A run larger than memory is refused when the file is read, before any test set is drawn,
/// naming the field of its largest part with the estimate (this machine's memory is the
/// limit here; the CLI test `spec_errors.rs` sets `SUPERSCALE_MEMORY_LIMIT`).
#[test]
fn a_run_larger_than_memory_is_refused_naming_its_largest_part() {
    let cases = [
        (
            TINY.replace(
                "test_points_per_task = 20",
                "test_points_per_task = 1000000000000",
            ),
            "tiny.toml:17: field `train.test_points_per_task`: a run needs about",
            "per-task test set of 6 tasks × 1000000000000 rows",
        ),
        (
            TINY.replace("test_points = 300", "test_points = 1000000000000"),
            "tiny.toml:16: field `train.test_points`: a run needs about",
            "weighted test set of 1000000000000 rows",
        ),
        (
            TINY.replace("[8, 24]", "[8, 10000000]"),
            "tiny.toml:20: field `train.width`: a run needs about",
            "network of 210000002 parameters (width 10000000",
        ),
        (
            TINY.replace("batch_size = 100", "batch_size = 1000000000000"),
            "tiny.toml:13: field `train.batch_size`",
            "batch of 1000000000000 rows",
        ),
    ];
    for (text, field, part) in cases {
        let message = parse(&text).unwrap_err().to_string();
        assert!(
            message.contains(field) && message.contains(part) && message.contains("more than the"),
            "{field}: {message}"
        );
    }
    // The shipped sizes are far below it.
    assert!(parse(TINY).is_ok());
}

#[test]
fn mistakes_name_the_file_line_and_field() {
    let cases = [
        (
            TINY.replace("k = 3", "k = 13"),
            "tiny.toml:8: field `task.k`",
        ),
        (
            TINY.replace("width = 24\n", "width = 24\nwidht = 4\n"),
            "tiny.toml:12: field `train.widht`",
        ),
        (
            TINY.replace("[8, 24]", "[8, 0]"),
            "tiny.toml:20: field `train.width`",
        ),
        (
            TINY.replace("[1.2, 1.6]", "[1.2, -1.0]"),
            "tiny.toml:19: field `task.alpha`",
        ),
        (
            TINY.replace("bootstrap_resamples = 50", "bootstrap_resamples = 1"),
            "tiny.toml:22: field `analysis.bootstrap_resamples`",
        ),
        (
            TINY.replace("steps_window = [0.01, 1.0]", "steps_window = [0.5, 0.1]"),
            "tiny.toml:23: field `analysis.steps_window`",
        ),
        (
            TINY.replace("bootstrap_resamples", "bootstrap_samples"),
            "tiny.toml:22: field `analysis.bootstrap_samples`",
        ),
        (
            TINY.replace("\"train.width\"", "\"model.width\""),
            "field `sweep.model.width`",
        ),
        (
            TINY.replace("n_tasks = 6", "n_tasks = 400"),
            "tiny.toml:6: field `task.n_tasks`: drew only 220 distinct 3-subsets",
        ),
    ];
    for (text, expected) in cases {
        let message = prepared(&text).unwrap_err().to_string();
        assert!(message.contains(expected), "{expected}: {message}");
    }
    let toy = Experiment::<QuantaSpec>::from_text(
        "name = \"x\"\n[model]\nvariant = \"anthropic\"\n",
        Path::new("toy.toml"),
    );
    assert!(toy
        .unwrap_err()
        .to_string()
        .contains("not a \"quanta\" one"));
}

#[test]
fn shipped_experiments_parse_and_prepare() {
    let experiments = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments");
    for (name, runs) in [
        ("quanta_emergence", 3),
        ("quanta_c4_reduced", 24),
        ("quanta_c4_medium", 72),
        ("quanta_c4_cost", 3),
        ("quanta_c4_full", 180),
    ] {
        let experiment = Experiment::<QuantaSpec>::read(&experiments.join(format!("{name}.toml")))
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(experiment.points.len(), runs, "{name}");
        Quanta::prepare(&experiment).unwrap_or_else(|err| panic!("{err}"));
    }
}

/// What a run hands to the store gives back every number it logged, bit for bit, and the
/// network's layers as tensors.
#[test]
fn a_run_round_trips_through_the_store_output() {
    let experiment = parse(TINY).unwrap();
    let plan = &experiment.points[2].spec;
    let task = MultitaskParity::new(&plan.task, plan.task_seed).unwrap();
    let tests = TestSets::new(&task, 300, 20, plan.task_seed);
    let mut steps = Vec::new();
    let trained = train_network(&task, &plan.train, &tests, 7, &mut |s| steps.push(s)).unwrap();
    assert_eq!(steps, (1..=60).collect::<Vec<u64>>());
    let output = to_output(&trained, 0.5);
    let back = from_output(&output).unwrap();
    assert_eq!(back, trained.result);
    for (got, want) in back
        .task_loss_bits
        .iter()
        .flatten()
        .zip(trained.result.task_loss_bits.iter().flatten())
    {
        assert_eq!(got.to_bits(), want.to_bits());
    }
    let names: Vec<&str> = output
        .weights
        .tensors
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(names, ["W0", "b0", "W1", "b1"]);
    assert_eq!(output.weights.tensors[0].1.shape, [18, 24]);
    // A run that stopped: its evaluations so far and the step it diverged at.
    let mut stopped = trained.clone();
    stopped.result.diverged_at = Some(17);
    stopped.result.eval_steps.truncate(2);
    stopped.result.test_loss_bits.truncate(2);
    for rows in [
        &mut stopped.result.task_loss_bits,
        &mut stopped.result.task_accuracy,
        &mut stopped.result.task_brier,
    ] {
        rows.truncate(2);
    }
    let output = to_output(&stopped, 0.1);
    assert_eq!(output.end, superscale_store::End::Diverged { step: 17 });
    assert_eq!(from_output(&output).unwrap(), stopped.result);
    // Another kind's output is refused, not misread.
    let mut wrong = output;
    wrong.arrays.pop();
    assert!(from_output(&wrong).is_err());
}

/// The same study on one and on two workers: the same tables, byte for byte.
#[test]
fn tables_do_not_depend_on_the_thread_count() {
    let experiment = parse(TINY).unwrap();
    let tables = |threads| {
        let kind = Quanta::prepare(&experiment).unwrap();
        let finished = run_in_memory(&kind, &experiment, threads).unwrap();
        let analysis = kind.analyse(&experiment, &finished).unwrap();
        assert!(!kind.headlines(&analysis).is_empty());
        kind.tables(&experiment, &finished, &analysis).unwrap()
    };
    assert_eq!(tables(1), tables(2));
}

const TOY: &str = r#"name = "toy"
[model]
variant = "superposition_scaling"
n_features = 40
n_hidden = 3
alpha = 1.0
weight_decay = 0.3333
[train]
steps = 50
batch_size = 64
schedule = { kind = "warmup_cosine", peak_lr = 0.02, warmup_steps = 5 }
[sweep]
"model.n_hidden" = [3, 6, 12]
[analysis]
capability = { samples_per_feature = 20 }
"#;

fn toy(text: &str) -> Result<Toy, superscale_spec::Error> {
    Toy::prepare(&Experiment::<RunSpec>::from_text(
        text,
        Path::new("toy.toml"),
    )?)
}

#[test]
fn the_toy_capability_option_is_checked_when_the_study_is_prepared() {
    assert!(toy(TOY).unwrap().needs_weights());
    assert!(!toy(&TOY.replace(
        "[analysis]\ncapability = { samples_per_feature = 20 }\n",
        ""
    ))
    .unwrap()
    .needs_weights());
    // Defaults: 1000 samples per feature.
    assert!(toy(&TOY.replace("samples_per_feature = 20", "")).is_ok());
    let cases = [
        (
            TOY.replace("samples_per_feature = 20", "samples_per_feature = 0"),
            "toy.toml:15: field `analysis.capability.samples_per_feature`",
        ),
        (
            TOY.replace("samples_per_feature = 20", "samples = 20"),
            "toy.toml:15: field `analysis.capability.samples`",
        ),
        (
            TOY.replace("capability =", "capabilty ="),
            "toy.toml:15: field `analysis.capabilty`",
        ),
        (
            TOY.replace(
                "variant = \"superposition_scaling\"\nn_features = 40\nn_hidden = 3\nalpha = 1.0\nweight_decay = 0.3333",
                "variant = \"anthropic\"\nn_features = 40\nn_hidden = 3\nfeature_probability = 0.1",
            ),
            "toy.toml:3: field `model.variant`",
        ),
    ];
    for (text, expected) in cases {
        let message = toy(&text).unwrap_err().to_string();
        assert!(message.contains(expected), "{expected}: {message}");
    }
}
