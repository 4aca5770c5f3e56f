//! Platonic experiment files (errors located by file, line and field; defaults; seeds) and
//! determinism of a whole study over thread counts.

use std::path::Path;
use superscale_engine::{run_in_memory, Kind};
use superscale_kinds::platonic::{run_seed, Hypothesis, Platonic, PlatonicSpec};
use superscale_spec::{Error, Experiment};

const SMALL: &str = r#"name = "small"
kind = "platonic"
seed = 3
replicates = 2
[world]
latent_dim = 4
input_dim = 8
render_hidden = 16
task_hidden = 4
[model]
width = 8
steps = 40
batch_size = 32
[study]
hypothesis = "multitask"
values = [1, 3]
control = true
probe = 48
test = 64
reference_width = 8
[analysis]
k = 4
permutations = 8
bootstrap = 30
"#;

fn parse(text: &str) -> Result<Experiment<PlatonicSpec>, Error> {
    Experiment::from_text(text, Path::new("small.toml"))
}

/// The file read and its study prepared (the analysis settings are checked there).
fn prepare(text: &str) -> Result<(Experiment<PlatonicSpec>, Platonic), Error> {
    let experiment = parse(text)?;
    let kind = Platonic::prepare(&experiment)?;
    Ok((experiment, kind))
}

fn invalid(text: &str) -> (usize, String, String) {
    match prepare(text) {
        Err(Error::Invalid {
            line,
            field,
            message,
            ..
        }) => (line, field, message),
        other => panic!("expected an invalid field, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn defaults_cells_and_seeds() {
    let text = "name = \"d\"\nkind = \"platonic\"\nreplicates = 4\n[study]\nhypothesis = \"capacity\"\nvalues = [8, 16]\n";
    let (experiment, kind) = prepare(text).unwrap();
    let spec = &experiment.sweep[0];
    assert_eq!(spec.study.hypothesis, Hypothesis::Capacity);
    assert_eq!((spec.study.probe, spec.study.test), (1024, 4096));
    assert_eq!(kind.settings().k, 10);
    assert_eq!(
        kind.settings().metrics,
        ["mutual_knn", "unbiased_cka", "cknna"]
    );
    let cells = spec.cells();
    assert_eq!(cells.len(), 2);
    assert_eq!((cells[1].width, cells[1].tasks), (16, 8));
    // 2 cells × 2 modalities × 4 seeds, then the reference.
    assert_eq!(experiment.points.len(), 17);
    // Seeds derive from the spec: distinct per network, equal for equal specs.
    let label = cells[0].label(Hypothesis::Capacity);
    assert_eq!(label, "multitask/width=8");
    let a = run_seed(0, &label, 0, 0);
    assert_eq!(experiment.points[0].seed, a);
    assert_ne!(a, run_seed(0, &label, 0, 1));
    assert_ne!(a, run_seed(0, &label, 1, 0));
    assert_ne!(a, run_seed(0, &cells[1].label(Hypothesis::Capacity), 0, 0));
    assert_eq!(parse(text).unwrap().points, experiment.points);
    // The seeds of a (cell, modality) are replicates of one network: one run id.
    assert_eq!(experiment.points[0].run_id, experiment.points[3].run_id);
    assert_ne!(experiment.points[0].run_id, experiment.points[4].run_id);
    // The multitask control doubles the cells.
    assert_eq!(parse(SMALL).unwrap().sweep[0].cells().len(), 4);
}

#[test]
fn mistakes_name_line_and_field() {
    assert_eq!(
        invalid(&SMALL.replace("k = 4", "k = 48")),
        (
            22,
            "analysis.k".into(),
            "48: need 1 ≤ k < probe = 48".into()
        )
    );
    let (line, field, message) = invalid(&SMALL.replace("values = [1, 3]", "values = [1, 0]"));
    assert_eq!((line, field.as_str()), (16, "study.values"));
    assert!(message.contains("task count"), "{message}");
    let (line, field, message) = invalid(&SMALL.replace("replicates = 2", "replicates = 1"));
    assert_eq!((line, field.as_str()), (4, "replicates"));
    assert!(message.contains("at least 2"), "{message}");
    assert_eq!(invalid(&SMALL.replace("width = 8", "width = 0")).0, 11);
    // A default that is impossible together with a given value points at its table.
    let (line, field, _) = invalid(
        &SMALL
            .replace("probe = 48", "probe = 8")
            .replace("k = 4\n", ""),
    );
    assert_eq!((line, field.as_str()), (21, "analysis.k"));
    let rendered = prepare(
        &SMALL
            .replace("hypothesis = \"multitask\"", "hypothesis = \"simplicity\"")
            .replace("values = [1, 3]", "values = [0.0, -1.0]"),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        rendered.starts_with("small.toml:16: field `study.values`: -1"),
        "{rendered}"
    );
    let (line, field, message) = invalid(&SMALL.replace("steps = 40", "stepz = 40"));
    assert_eq!((line, field.as_str()), (12, "model.stepz"));
    assert!(message.contains("stepz"), "{message}");
    // The old `[study] kind` is now `hypothesis` (the top-level `kind` names the kind).
    let (line, field, _) = invalid(&SMALL.replace("hypothesis = ", "kind = "));
    assert_eq!((line, field.as_str()), (15, "study.kind"));
    assert_eq!(
        invalid(&SMALL.replace("hypothesis = \"multitask\"\n", "")).1,
        "study.hypothesis"
    );
    let (line, field, _) =
        invalid(&SMALL.replace("bootstrap = 30", "metrics = [\"mutual_knn\", \"nope\"]"));
    assert_eq!((line, field.as_str()), (24, "analysis.metrics"));
    let (line, field, _) = invalid(&SMALL.replace("bootstrap = 30", "bootstrapp = 30"));
    assert_eq!((line, field.as_str()), (24, "analysis.bootstrapp"));
    // Pairs of networks need every network of a cell: no [sweep] over them.
    let (line, field, _) = invalid(&format!("{SMALL}[sweep]\n\"world.noise\" = [0.1, 0.2]\n"));
    assert_eq!((line, field.as_str()), (25, "sweep"));
    assert!(matches!(
        Experiment::<PlatonicSpec>::read(Path::new("/nonexistent/spec.toml")),
        Err(Error::Io { .. })
    ));
}

/// Probe and test sets larger than memory are refused when the file is read, before the
/// preparation renders them, naming the field and the estimate (this machine's memory is
/// the limit here; `crates/superscale_cli/tests/spec_errors.rs` sets
/// `SUPERSCALE_MEMORY_LIMIT`).
#[test]
fn items_larger_than_memory_are_refused_before_they_are_rendered() {
    for (from, to, line, field, part) in [
        (
            "test = 64",
            "test = 1000000000000",
            19,
            "study.test",
            "1000000000000 test items",
        ),
        (
            "probe = 48",
            "probe = 1000000000000",
            18,
            "study.probe",
            "1000000000000 probe items",
        ),
        (
            "reference_width = 8",
            "reference_width = 100000000",
            20,
            "study.reference_width",
            "width 100000000",
        ),
    ] {
        let (at, named, message) = invalid(&SMALL.replace(from, to));
        assert_eq!((at, named.as_str()), (line, field), "{message}");
        assert!(
            message.starts_with("a run needs about")
                && message.contains(part)
                && message.contains("more than the"),
            "{message}"
        );
    }
}

#[test]
fn a_study_is_identical_on_one_and_two_threads() {
    let (experiment, kind) = prepare(SMALL).unwrap();
    let run = |threads: usize| {
        let finished = run_in_memory(&kind, &experiment, threads).unwrap();
        let analysis = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| kind.analyse(&experiment, &finished).unwrap());
        let tables = kind.tables(&experiment, &finished, &analysis).unwrap();
        (finished, analysis, tables)
    };
    let ((finished_one, one, tables_one), (finished_two, two, tables_two)) = (run(1), run(2));
    let outputs = |finished: &superscale_engine::Finished<_>| {
        finished
            .runs
            .iter()
            .map(|run| (run.output.scalars.clone(), run.output.arrays.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(outputs(&finished_one), outputs(&finished_two));
    assert_eq!(one.runs, two.runs);
    assert_eq!(one.pairs, two.pairs);
    assert_eq!(tables_one, tables_two);
    // 4 cells × (1 + 4 + 4 pairs) × 3 metrics; every score finite, every chance k/(n−1).
    assert_eq!(one.pairs.len(), 4 * 9 * 3);
    assert!(one
        .pairs
        .iter()
        .all(|p| p.score.is_finite() && p.null_mean.is_finite()));
    assert!(one
        .pairs
        .iter()
        .filter_map(|p| p.chance)
        .all(|c| (c - 4.0 / 47.0).abs() < 1e-15));
    // Every summary's interval holds its mean (seed-bootstrap means are weighted pair means).
    for s in &one.summaries {
        assert!(
            s.score.low <= s.score.mean + 1e-12 && s.score.mean <= s.score.high + 1e-12,
            "{s:?}"
        );
    }
}

#[test]
fn an_unfinished_study_is_not_analysed_as_if_complete() {
    let (experiment, kind) = prepare(SMALL).unwrap();
    let mut finished = run_in_memory(&kind, &experiment, 2).unwrap();
    finished.runs.remove(3);
    finished.unfinished = 1;
    let message = kind
        .analyse(&experiment, &finished)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("network multitask/tasks=1 modality 1 seed 1 has not finished"),
        "{message}"
    );
}
