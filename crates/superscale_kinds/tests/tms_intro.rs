//! The introductory figure of Elhage et al. 2022 (`docs/science/tms.md` §5.3):
//! n = 5, m = 2, I_i = 0.9^i, the full protocol of experiments/tms_intro_n5_m2.toml
//! (AdamW lr 1e-3, weight decay 0.01, batch 1024, 10 000 steps, 8 replicates, the replicate
//! with the lowest held-out loss per density), trained through the grid path (seconds).
//!
//! Checked: dense (1 − S = 1) → exactly 2 represented features (‖W_i‖ > 1/2), each of norm
//! within 0.15 of 1, orthogonal to |cos| < 0.1, and they are the two most important ones;
//! sparsest (1 − S = 0.1) → at least 4 represented features.

use std::path::Path;
use superscale_kinds::{run_study, RunResult, RunStatus};
use superscale_spec::Experiment;

const SPEC: &str = r#"name = "intro"
replicates = 8
[model]
variant = "anthropic"
n_features = 5
n_hidden = 2
feature_probability = 1.0
importance_decay = 0.9
[train]
steps = 10000
batch_size = 1024
schedule = { kind = "constant", lr = 0.001 }
[record]
curve_points = 10
tail_steps = 100
heldout_batches = 20
[sweep]
"model.feature_probability" = [1.0, 0.2, 0.1]
"#;

fn best<'a>(results: &'a [RunResult], probability: &str) -> &'a RunResult {
    results
        .iter()
        .filter(|r| r.point.axes[0].1 == probability && r.status == RunStatus::Done)
        .min_by(|a, b| a.loss_heldout.total_cmp(&b.loss_heldout))
        .expect("a finished replicate")
}

/// The rows W_i as 2-D vectors.
fn rows(run: &RunResult) -> Vec<(f64, f64)> {
    run.weights
        .chunks_exact(2)
        .map(|w| (f64::from(w[0]), f64::from(w[1])))
        .collect()
}

fn norm(v: (f64, f64)) -> f64 {
    v.0.hypot(v.1)
}

#[test]
fn intro_figure_dense_is_an_orthogonal_pair_and_sparse_stores_four_or_more() {
    let experiment = Experiment::parse(SPEC, Path::new("intro.toml")).unwrap();
    let results = run_study(&experiment.points, 2).unwrap();
    for probability in ["1.0", "0.2", "0.1"] {
        let norms: Vec<f64> = rows(best(&results, probability))
            .into_iter()
            .map(norm)
            .collect();
        println!("1 − S = {probability}: ‖W_i‖ = {norms:.3?}");
    }

    let dense = rows(best(&results, "1.0"));
    let represented: Vec<usize> = (0..5).filter(|&i| norm(dense[i]) > 0.5).collect();
    assert_eq!(represented, vec![0, 1], "dense rows {dense:?}");
    let (a, b) = (dense[0], dense[1]);
    for v in [a, b] {
        assert!((norm(v) - 1.0).abs() < 0.15, "dense rows {dense:?}");
    }
    let cosine = (a.0 * b.0 + a.1 * b.1) / (norm(a) * norm(b));
    assert!(cosine.abs() < 0.1, "cos = {cosine}, rows {dense:?}");

    let sparse = rows(best(&results, "0.1"));
    let stored = sparse.iter().filter(|&&v| norm(v) > 0.5).count();
    assert!(
        stored >= 4,
        "{stored} features stored at 1 − S = 0.1: {sparse:?}"
    );
}
