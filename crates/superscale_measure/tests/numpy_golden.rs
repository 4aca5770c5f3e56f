//! Measurements against float64 numpy values written by `reference/gen_geometry_golden.py`
//! (`bash reference/run.sh` regenerates `tests/data/geometry_golden.json`).

use serde_json::Value;
use superscale_measure::{
    ambiguity, feature_dimensionality, measure, pair_statistics, welch_bound, AmbiguityOptions,
    Precision,
};

fn golden() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/geometry_golden.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("golden file")).expect("json")
}

fn array(value: &Value) -> Vec<f64> {
    value["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect()
}

fn number(value: &Value) -> f64 {
    value.as_f64().expect("number")
}

fn close(got: f64, want: f64, tolerance: f64, what: &str) {
    assert!(
        (got - want).abs() <= tolerance * (1.0 + want.abs()),
        "{what}: {got} vs {want}"
    );
}

#[test]
fn geometry_of_a_mixed_matrix_matches_numpy() {
    let g = golden();
    let width = g["dims"]["m"].as_u64().unwrap() as usize;
    let w = array(&g["w"]);
    // `measure` takes the f32 weights a model holds; the golden rows are f64, so compare
    // at f32 precision.
    let w32: Vec<f32> = w.iter().map(|&v| v as f32).collect();
    let geometry = measure(&w32, width).unwrap();
    for (got, want) in geometry.row_norms.iter().zip(array(&g["row_norms"])) {
        close(*got, want, 1e-6, "row norm");
    }
    close(geometry.phi_half, number(&g["phi_half"]), 0.0, "phi_half");
    close(geometry.phi_one, number(&g["phi_one"]), 0.0, "phi_one");
    close(
        geometry.overlap_all.mean,
        number(&g["overlaps_all"]["mean_sq"]),
        1e-5,
        "MSO all",
    );
    close(
        geometry.overlap_all.variance,
        number(&g["overlaps_all"]["var_sq"]),
        1e-5,
        "variance all",
    );
    let strong = geometry.overlap_strong.expect("rows above 1");
    close(
        strong.mean,
        number(&g["overlaps_strong"]["mean_sq"]),
        1e-5,
        "MSO strong",
    );
    close(
        strong.variance,
        number(&g["overlaps_strong"]["var_sq"]),
        1e-5,
        "variance strong",
    );
    close(
        geometry.dimensions_per_feature,
        number(&g["dims_per_feature"]),
        1e-6,
        "D*",
    );
    close(
        welch_bound(number(&g["welch"]["nu"]) as usize, width),
        number(&g["welch"]["kappa"]),
        1e-12,
        "κ",
    );
    close(
        welch_bound(number(&g["welch_strong"]["nu"]) as usize, width),
        number(&g["welch_strong"]["kappa"]),
        1e-12,
        "κ strong",
    );
    // Exactly in f64.
    let (dimensionality, interference) = feature_dimensionality(&w, width).unwrap();
    for (got, want) in dimensionality
        .iter()
        .zip(array(&g["feature_dimensionality"]))
    {
        close(*got, want, 1e-10, "D_i");
    }
    for (got, want) in interference.iter().zip(array(&g["interference"])) {
        close(*got, want, 1e-10, "interference");
    }
}

#[test]
fn polytopes_match_numpy_to_1e_12() {
    let g = golden();
    for polytope in g["polytopes"].as_array().unwrap() {
        let w = array(&polytope["w"]);
        let width = polytope["w"]["shape"][1].as_u64().unwrap() as usize;
        let (dimensionality, _) = feature_dimensionality(&w, width).unwrap();
        // The one-pass path (upper triangle only) must give the same exact values.
        let one_pass = pair_statistics(&w, width, Precision::F64).unwrap();
        let expected = number(&polytope["expected"]);
        for d in dimensionality.into_iter().chain(one_pass.dimensionality) {
            assert!(
                (d - expected).abs() < 1e-12,
                "{}: {d} vs {expected}",
                polytope["name"]
            );
        }
    }
}

#[test]
fn ambiguity_matches_numpy_dense_two_norm() {
    // numpy: np.linalg.norm(W @ W.T - P, 2) on the 40 × 6 golden matrix (P = I_6 top-left).
    let g = golden();
    let width = g["dims"]["m"].as_u64().unwrap() as usize;
    let w = array(&g["w"]);
    let got = ambiguity(&w, width, AmbiguityOptions::default()).unwrap();
    assert!(got.converged, "{got:?}");
    close(got.value, number(&g["ambiguity"]), 1e-10, "ambiguity");
}
