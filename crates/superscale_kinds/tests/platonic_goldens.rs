//! Byte-identity of the Platonic studies and of the toy models' feature universality with
//! the last binary before the study engine (`tests/goldens/README.md`): each reduced study
//! is trained in memory through the engine, analysed by its kind, and every table must equal
//! the old binary's file byte for byte.

use std::path::{Path, PathBuf};
use superscale_engine::{run_in_memory, Kind};
use superscale_kinds::platonic::{Platonic, PlatonicSpec};
use superscale_kinds::toy::Toy;
use superscale_spec::{Experiment, KindSpec};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/goldens")
        .join(name)
}

/// Trains `name`'s spec in memory on two threads and compares the tables named `expected`
/// with the golden files; returns the kind's sections and headlines for further checks.
fn check<K: Kind>(name: &str, expected: &[&str]) -> (usize, Vec<String>) {
    let dir = golden(name);
    let experiment = Experiment::<K::Spec>::read(&dir.join("spec.toml")).unwrap();
    let kind = K::prepare(&experiment).unwrap();
    let finished = run_in_memory(&kind, &experiment, 2).unwrap();
    let analysis = kind.analyse(&experiment, &finished).unwrap();
    let tables = kind.tables(&experiment, &finished, &analysis).unwrap();
    for file in expected {
        let want = std::fs::read_to_string(dir.join(file)).unwrap();
        let (_, got) = tables
            .iter()
            .find(|(table, _)| table == file)
            .unwrap_or_else(|| panic!("{name}: no table {file}"));
        if *got != want {
            let line = got
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(got.lines().count().min(want.lines().count()));
            panic!(
                "{name}/{file} differs from the old binary's at line {}:\n  new: {:?}\n  old: {:?}",
                line + 1,
                got.lines().nth(line),
                want.lines().nth(line)
            );
        }
    }
    let sections = kind.sections(&experiment, &finished, &analysis).unwrap();
    (sections.len(), kind.headlines(&analysis))
}

const PLATONIC_TABLES: [&str; 5] = [
    "pairs.csv",
    "summary.csv",
    "runs.csv",
    "regression.csv",
    "summary.md",
];

#[test]
fn multitask_tables_are_the_old_binarys() {
    let (sections, headlines) = check::<Platonic>("platonic_multitask", &PLATONIC_TABLES);
    assert_eq!(sections, 5);
    // The summary table (header, rule, four cells), then 2 × 3 regressions.
    assert_eq!(headlines.len(), 6 + 6, "{headlines:#?}");
    assert!(headlines[0].starts_with("| condition | tasks |"));
    assert!(headlines[6].starts_with("competence–alignment (pooled, mutual_knn): slope"));
}

#[test]
fn capacity_tables_are_the_old_binarys() {
    check::<Platonic>("platonic_capacity", &PLATONIC_TABLES);
}

#[test]
fn simplicity_tables_are_the_old_binarys() {
    check::<Platonic>("platonic_simplicity", &PLATONIC_TABLES);
}

#[test]
fn tms_universality_tables_are_the_old_binarys() {
    let (sections, headlines) =
        check::<Toy>("tms_universality", &["tms_pairs.csv", "tms_summary.md"]);
    let plain = {
        let dir = golden("tms_universality");
        let text = std::fs::read_to_string(dir.join("spec.toml")).unwrap();
        let text = text.replace("universality = { shuffles = 50 }\n", "");
        let experiment = Experiment::parse(&text, &dir.join("spec.toml")).unwrap();
        let toy = Toy::prepare(&experiment).unwrap();
        assert!(!toy.needs_weights());
        let finished = run_in_memory(&toy, &experiment, 2).unwrap();
        let analysis = toy.analyse(&experiment, &finished).unwrap();
        let tables = toy.tables(&experiment, &finished, &analysis).unwrap();
        assert!(tables.iter().all(|(name, _)| !name.starts_with("tms_")));
        toy.sections(&experiment, &finished, &analysis)
            .unwrap()
            .len()
    };
    // The universality analysis adds one section and its table to the headlines.
    assert_eq!(sections, plain + 1);
    assert!(headlines
        .iter()
        .any(|line| line.starts_with("| point | m |")));
}

#[test]
fn analysis_settings_are_not_part_of_a_networks_identity() {
    let text = std::fs::read_to_string(golden("platonic_multitask").join("spec.toml")).unwrap();
    let read =
        |text: &str| Experiment::<PlatonicSpec>::from_text(text, Path::new("m.toml")).unwrap();
    let base = read(&text);
    let reanalysed = read(&text.replace("permutations = 8", "permutations = 20"));
    let ids = |e: &Experiment<PlatonicSpec>| {
        e.points
            .iter()
            .map(|p| (p.run_id.clone(), p.replicate, p.seed))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&base), ids(&reanalysed));
    // 4 cells × 2 modalities × 2 seeds, then the reference; labels tell them apart.
    assert_eq!(base.points.len(), 17);
    let last = base.points.last().unwrap();
    assert_eq!(
        last.axes,
        [
            ("cell".into(), "reference".into()),
            ("modality".into(), "1".into())
        ]
    );
    assert_eq!(
        base.points[0].axes,
        [
            ("cell".to_string(), "multitask/tasks=1".to_string()),
            ("modality".into(), "0".into())
        ]
    );
    // A training setting is: every id changes.
    let retrained = read(&text.replace("steps = 60", "steps = 61"));
    assert!(ids(&base)
        .iter()
        .zip(ids(&retrained))
        .all(|(a, b)| a.0 != b.0));
    assert_eq!(PlatonicSpec::KIND, "platonic");
}

#[test]
fn the_shipped_experiment_files_are_read_and_prepared() {
    let experiments = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments");
    // (file, networks): cells × 2 modalities × 4 seeds, and the reference network.
    for (file, networks) in [
        ("platonic_multitask.toml", 12 * 2 * 4 + 1),
        ("platonic_capacity.toml", 5 * 2 * 4 + 1),
        ("platonic_simplicity.toml", 6 * 2 * 4 + 1),
    ] {
        let experiment = Experiment::<PlatonicSpec>::read(&experiments.join(file)).unwrap();
        assert_eq!(experiment.points.len(), networks, "{file}");
        Platonic::prepare(&experiment).unwrap();
    }
    let experiment = Experiment::read(&experiments.join("align_tms_universality.toml")).unwrap();
    assert!(Toy::prepare(&experiment).unwrap().needs_weights());
}
