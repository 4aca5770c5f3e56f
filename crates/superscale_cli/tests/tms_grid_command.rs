//! A two-axis grid of Anthropic models drawn by the entry sampler, end to end: the runs
//! train, the report carries the features-per-dimension map with one cell per sweep point,
//! and every number in the map is the one in results.csv.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

fn spec(sampler: &str) -> String {
    format!(
        r#"name = "grid-map"
[model]
variant = "anthropic"
n_features = 5
n_hidden = 2
feature_probability = 1.0
importance_decay = 0.9
sampler = "{sampler}"
[train]
steps = 400
batch_size = 256
schedule = {{ kind = "constant", lr = 0.01 }}
[record]
curve_points = 10
tail_steps = 20
heldout_batches = 4
[sweep]
"model.importance_decay" = [0.7, 1.0]
"model.feature_probability" = [1.0, 0.3, 0.05]
"#
    )
}

fn run(sampler: &str, test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "superscale-grid-map-{}-{test}-{sampler}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let spec_path = dir.join("spec.toml");
    std::fs::write(&spec_path, spec(sampler)).unwrap();
    let out = dir.join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_superscale"))
        .args([
            "run",
            spec_path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--threads", "2", "--quiet"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// run id → D* from results.csv.
fn d_star(out: &std::path::Path) -> BTreeMap<String, f64> {
    let text = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (id, d) = (column("run_id"), column("dimensions_per_feature"));
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (cells[id].to_string(), cells[d].parse().unwrap())
        })
        .collect()
}

#[test]
fn an_entry_sampled_grid_reports_its_features_per_dimension_map() {
    let out = run("entries", "map");
    let table = d_star(&out);
    assert_eq!(table.len(), 6, "2 × 3 sweep points");
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("Features per dimension"));
    let titles: Vec<&str> = report
        .split("<title>")
        .skip(1)
        .filter(|t| t.contains("1/D* ="))
        .collect();
    assert_eq!(titles.len(), 6, "one cell per sweep point");
    for title in titles {
        let id = title
            .split("run ")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        let shown: f64 = title
            .split(", D* = ")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (shown - table[id]).abs() < 5e-4,
            "{id}: map {shown}, table {}",
            table[id]
        );
    }
    // Dense data stores m = 2 features, one per dimension (D* ≈ 1, Elhage et al. 2022);
    // sparse data packs more than two into the two dimensions (D* < 1).
    assert!(table.values().any(|d| (d - 1.0).abs() < 0.1), "{table:?}");
    assert!(table.values().any(|d| *d < 0.8), "{table:?}");
}

#[test]
fn the_two_samplers_are_different_runs_of_the_same_distribution() {
    // Different run ids (the sampler is part of a run), and the same geometry where the
    // answer is forced: dense data gives D* ≈ 1 with either sampler.
    let (entries, gaps) = (
        d_star(&run("entries", "both")),
        d_star(&run("gaps", "both")),
    );
    assert!(entries.keys().all(|id| !gaps.contains_key(id)));
    let dense = |table: &BTreeMap<String, f64>| {
        let mut values: Vec<f64> = table.values().copied().collect();
        values.sort_by(f64::total_cmp);
        values[values.len() - 1]
    };
    assert!((dense(&entries) - dense(&gaps)).abs() < 0.1);
}
