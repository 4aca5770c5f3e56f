//! Every metric against float64 numpy values written by `reference/gen_align_golden.py`
//! (`bash reference/run.sh` regenerates `tests/data/`), on the shipped 300 × 32 and
//! 300 × 48 float32 feature files read through `superscale_weights`.
//!
//! Tolerances: neighbour lists exactly and neighbour metrics to the same integer counts
//! (ties by index in both);
//! CKA family, CKNNA and SVCCA 1e-6 relative (both sides are f64; the differences are
//! summation order, about 1e-13); clip thresholds exactly.

use serde_json::Value;
use std::path::Path;
use superscale_measure::align::{
    null_scores, score, Clip, Features, Metric, MetricParams, Neighbours, Preprocess,
};
use superscale_weights::{Orientation, WeightFile};

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn golden() -> Value {
    let text = std::fs::read_to_string(data("align_golden.json")).expect("golden file");
    serde_json::from_str(&text).expect("json")
}

fn features(file: &str, name: &'static str) -> Features {
    let matrix = WeightFile::open(&data(file))
        .unwrap()
        .matrix("array", Orientation::Rows)
        .unwrap();
    assert_eq!(matrix.dtype, "<f4");
    Features::new(name, matrix.data, matrix.columns).unwrap()
}

fn integers(value: &Value) -> Vec<u32> {
    value["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect()
}

fn params(g: &Value) -> MetricParams {
    MetricParams {
        k: g["dims"]["k"].as_u64().unwrap() as usize,
        rbf_sigma: g["dims"]["rbf_sigma"].as_f64().unwrap(),
        cca_dim: g["dims"]["cca_dim"].as_u64().unwrap() as usize,
    }
}

/// Neighbour metrics are ratios of integer counts (over n or n·k): the counts must be
/// equal, which 1e-12 checks (numpy divides in another order, so the last bit may differ).
fn check(metric: Metric, got: f64, want: f64, what: &str) {
    if metric.uses_neighbours() && metric != Metric::Cknna {
        assert!(
            (got - want).abs() < 1e-12,
            "{what} {}: {got} vs {want}",
            metric.name()
        );
    } else {
        assert!(
            (got - want).abs() <= 1e-6 * want.abs(),
            "{what} {}: {got} vs {want}",
            metric.name()
        );
    }
}

#[test]
fn clip_thresholds_match_numpy() {
    let g = golden();
    let q = g["dims"]["q"].as_f64().unwrap();
    for (file, name, key) in [("align_a.npy", "A", "a"), ("align_b.npy", "B", "b")] {
        let raw = features(file, name);
        for (clip, field) in [(Clip::Exact(q), "exact"), (Clip::PerRow(q), "per_row")] {
            let want = g["clip"][format!("{field}_{key}")].as_f64().unwrap();
            let clipped = raw
                .clone()
                .preprocessed(&Preprocess {
                    clip,
                    normalize: false,
                })
                .unwrap();
            let got = clipped.data().iter().fold(0.0f64, |m, v| m.max(v.abs()));
            // Per-row thresholds are a mean of interpolated quantiles: summation order.
            let tolerance = if field == "exact" { 0.0 } else { 1e-12 };
            assert!(
                (got - want).abs() <= tolerance * want,
                "{field} {name}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn neighbour_lists_match_numpy_exactly() {
    let g = golden();
    let k = params(&g).k;
    let a = features("align_a.npy", "A")
        .preprocessed(&Preprocess::default())
        .unwrap();
    let b = features("align_b.npy", "B")
        .preprocessed(&Preprocess::default())
        .unwrap();
    for (x, key) in [(a, "knn_a"), (b, "knn_b")] {
        let knn = Neighbours::compute(&x, k, None).unwrap();
        let got: Vec<u32> = (0..x.rows()).flat_map(|i| knn.of(i).to_vec()).collect();
        assert_eq!(got, integers(&g[key]), "{key}");
    }
}

#[test]
fn every_metric_matches_numpy() {
    let g = golden();
    let params = params(&g);
    let default = Preprocess::default();
    let per_row = Preprocess {
        clip: Clip::PerRow(g["dims"]["q"].as_f64().unwrap()),
        normalize: true,
    };
    let raw_a = features("align_a.npy", "A");
    let raw_b = features("align_b.npy", "B");
    for (section, preprocess) in [
        ("scores", default),
        ("scores_raw", Preprocess::none()),
        ("scores_per_row", per_row),
    ] {
        let a = raw_a.clone().preprocessed(&preprocess).unwrap();
        let b = raw_b.clone().preprocessed(&preprocess).unwrap();
        let table = g[section].as_object().unwrap();
        assert!(!table.is_empty());
        for (name, want) in table {
            let metric = Metric::parse(name).unwrap();
            let got = score(&a, &b, metric, &params).unwrap();
            check(metric, got, want.as_f64().unwrap(), section);
        }
    }
    assert_eq!(g["scores"].as_object().unwrap().len(), Metric::ALL.len());
}

#[test]
fn cknna_with_every_neighbour_is_unbiased_cka() {
    // Check A4 of docs/science/alignment.md §5, on the golden pair: numpy's dense CKNNA at k = n − 1 and our sparse one.
    let g = golden();
    let a = features("align_a.npy", "A")
        .preprocessed(&Preprocess::default())
        .unwrap();
    let b = features("align_b.npy", "B")
        .preprocessed(&Preprocess::default())
        .unwrap();
    let full = MetricParams {
        k: a.rows() - 1,
        ..params(&g)
    };
    let got = score(&a, &b, Metric::Cknna, &full).unwrap();
    let unbiased = score(&a, &b, Metric::UnbiasedCka, &full).unwrap();
    let want = g["cknna_full_k"].as_f64().unwrap();
    assert!((got - want).abs() <= 1e-6 * want.abs(), "{got} vs {want}");
    assert!(
        (got - unbiased).abs() <= 1e-12 * unbiased.abs(),
        "{got} vs {unbiased}"
    );
}

#[test]
fn permutation_null_matches_recomputation_in_numpy() {
    // Rust relabels B's neighbour lists (and permutes SVCCA's basis) instead of recomputing
    // them; numpy recomputes everything on B[order]. Both must agree.
    let g = golden();
    let params = params(&g);
    let a = features("align_a.npy", "A")
        .preprocessed(&Preprocess::default())
        .unwrap();
    let b = features("align_b.npy", "B")
        .preprocessed(&Preprocess::default())
        .unwrap();
    let n = a.rows();
    let flat = integers(&g["null"]["orders"]);
    let orders: Vec<Vec<u32>> = flat.chunks(n).map(<[u32]>::to_vec).collect();
    for (name, values) in g["null"].as_object().unwrap() {
        if name == "orders" {
            continue;
        }
        let metric = Metric::parse(name).unwrap();
        let got = null_scores(&a, &b, metric, &params, &orders).unwrap();
        for (got, want) in got.iter().zip(values.as_array().unwrap()) {
            check(metric, *got, want.as_f64().unwrap(), "null");
        }
    }
}
