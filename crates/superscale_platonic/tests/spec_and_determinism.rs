//! Study specs (errors located by file, line and field; defaults; seeds) and determinism of
//! a whole study over thread counts.

use std::path::Path;
use superscale_platonic::{run_study, Error, StudyKind, StudySpec};

const SMALL: &str = r#"name = "small"
seed = 3
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
kind = "multitask"
values = [1, 3]
control = true
seeds = 2
probe = 48
test = 64
k = 4
permutations = 8
bootstrap = 30
reference_width = 8
"#;

fn parse(text: &str) -> Result<StudySpec, Error> {
    StudySpec::parse(text, Path::new("small.toml"))
}

fn invalid(text: &str) -> (usize, String, String) {
    match parse(text) {
        Err(Error::Invalid {
            line,
            field,
            message,
            ..
        }) => (line, field, message),
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

#[test]
fn defaults_cells_and_seeds() {
    let spec = parse("name = \"d\"\n[study]\nkind = \"capacity\"\nvalues = [8, 16]\n").unwrap();
    assert_eq!(spec.study.kind, StudyKind::Capacity);
    assert_eq!(
        (spec.study.seeds, spec.study.probe, spec.study.k),
        (4, 1024, 10)
    );
    assert_eq!(spec.study.metrics, ["mutual_knn", "unbiased_cka", "cknna"]);
    let cells = spec.cells();
    assert_eq!(cells.len(), 2);
    assert_eq!((cells[1].width, cells[1].tasks), (16, 8));
    // Seeds derive from the spec: distinct per network, equal for equal specs.
    let a = spec.run_seed(&cells[0], 0, 0);
    assert_ne!(a, spec.run_seed(&cells[0], 0, 1));
    assert_ne!(a, spec.run_seed(&cells[0], 1, 0));
    assert_ne!(a, spec.run_seed(&cells[1], 0, 0));
    assert_eq!(
        a,
        parse("name = \"d\"\n[study]\nkind = \"capacity\"\nvalues = [8, 16]\n")
            .unwrap()
            .run_seed(&cells[0], 0, 0)
    );
    // The multitask control doubles the cells.
    assert_eq!(parse(SMALL).unwrap().cells().len(), 4);
}

#[test]
fn mistakes_name_line_and_field() {
    assert_eq!(invalid(&SMALL.replace("k = 4", "k = 48")).0, 19);
    let (line, field, message) = invalid(&SMALL.replace("values = [1, 3]", "values = [1, 0]"));
    assert_eq!((line, field.as_str()), (14, "study.values"));
    assert!(message.contains("task count"), "{message}");
    assert_eq!(
        invalid(&SMALL.replace("seeds = 2", "seeds = 1")).1,
        "study.seeds"
    );
    assert_eq!(invalid(&SMALL.replace("width = 8", "width = 0")).0, 9);
    // A default that is impossible together with a given value points at its table.
    let (line, field, _) = invalid(
        &SMALL
            .replace("probe = 48", "probe = 3")
            .replace("k = 4", ""),
    );
    assert_eq!((line, field.as_str()), (17, "study.probe"));
    let rendered = parse(
        &SMALL
            .replace("kind = \"multitask\"", "kind = \"simplicity\"")
            .replace("values = [1, 3]", "values = [0.0, -1.0]"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        rendered.starts_with("small.toml:14: field `study.values`: -1"),
        "{rendered}"
    );
    match parse(&SMALL.replace("steps = 40", "stepz = 40")) {
        Err(Error::Parse { line, message, .. }) => {
            assert_eq!(line, 10);
            assert!(message.contains("stepz"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    match parse(&SMALL.replace("[study]\nkind = \"multitask\"", "[study]")) {
        Err(Error::Parse { message, .. }) => assert!(message.contains("kind"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(parse(&SMALL.replace(
        "reference_width = 8",
        "metrics = [\"mutual_knn\", \"nope\"]"
    ))
    .is_err());
    assert!(StudySpec::load(Path::new("/nonexistent/spec.toml"))
        .unwrap_err()
        .is_user_error());
}

#[test]
fn a_study_is_identical_on_one_and_two_threads() {
    let spec = parse(SMALL).unwrap();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| run_study(&spec, &|_| {}).unwrap())
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one.runs, two.runs);
    assert_eq!(one.pairs, two.pairs);
    // Debug text compares NaN (the sd of a single pair) as equal to itself.
    assert_eq!(
        format!("{:?}", one.summaries),
        format!("{:?}", two.summaries)
    );
    assert_eq!(
        format!("{:?}", one.regressions),
        format!("{:?}", two.regressions)
    );
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
