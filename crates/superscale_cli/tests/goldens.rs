//! The toy-model studies give the tables they gave before the study engine, to the bit
//! (`tests/goldens/README.md`).

mod common;

use common::{scratch, superscale};
use std::path::Path;

/// `results.csv` without its last column, `seconds` (wall-clock time).
fn without_seconds(csv: &str) -> String {
    let header = csv.lines().next().unwrap_or_default();
    assert!(header.ends_with(",seconds"), "{header}");
    csv.lines()
        .map(|line| line.rsplit_once(',').map_or(line, |(kept, _)| kept))
        .collect::<Vec<_>>()
        .join("\n")
}

fn check(name: &str) {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/goldens")
        .join(name);
    let dir = scratch(&format!("golden-{name}"));
    let store = dir.join("store");
    let (code, _, stderr) = superscale([
        "run".as_ref(),
        golden.join("spec.toml").as_os_str(),
        "--store".as_ref(),
        store.as_os_str(),
        "--quiet".as_ref(),
        "--threads".as_ref(),
        "2".as_ref(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let read = |dir: &Path, file: &str| std::fs::read_to_string(dir.join(file)).unwrap();
    for file in ["exponents.csv", "curves.csv"] {
        assert!(
            read(&store, file) == read(&golden, file),
            "{name}/{file} differs from the golden table"
        );
    }
    assert!(
        without_seconds(&read(&store, "results.csv"))
            == without_seconds(&read(&golden, "results.csv")),
        "{name}/results.csv differs from the golden table"
    );
}

#[test]
fn single_models_match_the_golden_tables() {
    check("toy_flagship");
}

#[test]
fn the_tiny_grid_with_the_entry_sampler_matches_the_golden_tables() {
    check("toy_grid_entries");
}

#[test]
fn the_wide_grid_matches_the_golden_tables() {
    check("toy_c9_reduced");
}
