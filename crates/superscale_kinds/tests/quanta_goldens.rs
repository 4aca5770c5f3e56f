//! Byte-identity of the quanta kind and of the toy kind's capability analysis with the
//! tables of the last binary before the study engine (`superscale quanta` and `superscale
//! quanta --capability`), on reduced studies trained in memory (`tests/goldens/README.md`
//! says how the expected tables were made).
//!
//! The ignored test compares the shipped quanta experiments with full-size tables of the old
//! binary kept outside the repository:
//! `SUPERSCALE_QUANTA_GOLDENS=DIR cargo test --release -p superscale_kinds --test quanta_goldens -- --ignored --nocapture`
//! where DIR holds `quanta_emergence/` and `quanta_c4_reduced/` as the old binary wrote them.

use std::path::{Path, PathBuf};
use superscale_engine::{run_in_memory, Kind};
use superscale_kinds::quanta::{Quanta, QuantaSpec};
use superscale_kinds::toy::Toy;
use superscale_spec::{Experiment, RunSpec};

fn goldens() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goldens")
}

/// The tables of a quanta study trained in memory on two workers.
fn quanta_tables(spec: &Path) -> Vec<(String, String)> {
    let experiment = Experiment::<QuantaSpec>::read(spec).unwrap();
    let kind = Quanta::prepare(&experiment).unwrap();
    let finished = run_in_memory(&kind, &experiment, 2).unwrap();
    let analysis = kind.analyse(&experiment, &finished).unwrap();
    let sections = kind.sections(&experiment, &finished, &analysis).unwrap();
    assert!(
        sections.len() >= 4,
        "overview, exponents, emergence, forecasts"
    );
    kind.tables(&experiment, &finished, &analysis).unwrap()
}

/// Where two tables first differ, and by how much when both cells are numbers.
fn difference(name: &str, got: &str, want: &str) -> Option<String> {
    if got == want {
        return None;
    }
    let (got_lines, want_lines): (Vec<&str>, Vec<&str>) =
        (got.lines().collect(), want.lines().collect());
    let mut largest = 0.0f64;
    let mut first = None;
    let mut differing = 0;
    for (row, (g, w)) in got_lines.iter().zip(&want_lines).enumerate() {
        if g == w {
            continue;
        }
        differing += 1;
        first.get_or_insert(format!("line {}:\n  got  {g}\n  want {w}", row + 1));
        for (a, b) in g.split(',').zip(w.split(',')) {
            if let (Ok(a), Ok(b)) = (a.parse::<f64>(), b.parse::<f64>()) {
                let scale = a.abs().max(b.abs()).max(1e-300);
                largest = largest.max((a - b).abs() / scale);
            }
        }
    }
    Some(format!(
        "{name}: {} vs {} lines, {differing} differing rows, largest relative difference {largest:e}; first {}",
        got_lines.len(),
        want_lines.len(),
        first.unwrap_or_default()
    ))
}

fn compare(tables: &[(String, String)], expected: &Path, names: &[&str]) {
    let mut failures = Vec::new();
    for name in names {
        let want = std::fs::read_to_string(expected.join(name))
            .unwrap_or_else(|err| panic!("{}: {err}", expected.join(name).display()));
        let Some((_, got)) = tables.iter().find(|(n, _)| n == name) else {
            failures.push(format!("{name}: not written"));
            continue;
        };
        failures.extend(difference(name, got, &want));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const QUANTA_TABLES: [&str; 7] = [
    "results.csv",
    "curves.csv",
    "tasks.csv",
    "emergence.csv",
    "exponents.csv",
    "forecast_tasks.csv",
    "forecast_aggregate.csv",
];

/// Set to 1 to rewrite `tests/goldens/quanta_tiny/*.csv` from today's code (after a change
/// of float summation order; the failing comparison printed before shows by how much they
/// move, and `tests/goldens/README.md` records it).
const REWRITE_QUANTA_TINY: &str = "SUPERSCALE_REWRITE_QUANTA_TINY";

#[test]
fn quanta_tiny_tables_are_byte_identical_to_the_goldens() {
    let dir = goldens().join("quanta_tiny");
    let tables = quanta_tables(&dir.join("spec.toml"));
    assert_eq!(
        tables.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        QUANTA_TABLES
    );
    if std::env::var(REWRITE_QUANTA_TINY).is_ok_and(|value| value == "1") {
        for (name, table) in &tables {
            std::fs::write(dir.join(name), table).unwrap();
        }
    }
    compare(&tables, &dir, &QUANTA_TABLES);
}

/// `results.csv` without its last column (`seconds`, wall-clock time).
fn without_seconds(table: &str) -> String {
    table
        .lines()
        .map(|line| line.rsplit_once(',').map_or(line, |(kept, _)| kept))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn toy_capability_tables_are_byte_identical_to_the_old_binary() {
    let dir = goldens().join("tms_capability");
    let experiment = Experiment::<RunSpec>::read(&dir.join("spec.toml")).unwrap();
    let kind = Toy::prepare(&experiment).unwrap();
    assert!(kind.needs_weights());
    let finished = run_in_memory(&kind, &experiment, 2).unwrap();
    let analysis = kind.analyse(&experiment, &finished).unwrap();
    let tables = kind.tables(&experiment, &finished, &analysis).unwrap();
    compare(
        &tables,
        &dir,
        &[
            "capability_features.csv",
            "capability_profiles.csv",
            "capability_widths.csv",
            "curves.csv",
            "exponents.csv",
        ],
    );
    let results = &tables.iter().find(|(n, _)| n == "results.csv").unwrap().1;
    let want = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    assert_eq!(without_seconds(results), without_seconds(&want));
    let sections = kind.sections(&experiment, &finished, &analysis).unwrap();
    let titles: Vec<&str> = sections.iter().map(|s| s.title.as_str()).collect();
    assert!(titles.contains(&"Capability"), "{titles:?}");
    let lines = kind.headlines(&analysis);
    assert_eq!(
        lines.len(),
        4,
        "two α_m lines and two capability lines: {lines:?}"
    );
}

/// The shipped quanta experiments against the old binary's full-size tables (minutes).
#[test]
#[ignore]
fn shipped_quanta_experiments_match_the_old_binary() {
    let Some(dir) = std::env::var_os("SUPERSCALE_QUANTA_GOLDENS") else {
        panic!("set SUPERSCALE_QUANTA_GOLDENS to the directory of the old binary's outputs");
    };
    let experiments = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments");
    let mut failures = Vec::new();
    for name in ["quanta_emergence", "quanta_c4_reduced"] {
        let started = std::time::Instant::now();
        let tables = quanta_tables(&experiments.join(format!("{name}.toml")));
        eprintln!(
            "{name}: trained and analysed in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let expected = Path::new(&dir).join(name);
        for table in QUANTA_TABLES {
            let want = std::fs::read_to_string(expected.join(table)).unwrap();
            let got = &tables.iter().find(|(n, _)| n == table).unwrap().1;
            match difference(table, got, &want) {
                None => eprintln!("{name}/{table}: identical"),
                Some(report) => failures.push(format!("{name}/{report}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
