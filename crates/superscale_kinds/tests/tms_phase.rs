//! C10 of `docs/science/superposition.md` §4: the n = 2, m = 1 phase change, on a few cells of
//! experiments/tms_phase_n2_m1.toml (same protocol, trained through the grid path), with
//! replicates and the best held-out loss per cell as in the paper.

use std::path::Path;
use superscale_kinds::{run_study, RunResult, RunStatus};
use superscale_spec::Experiment;

const CELLS: &str = r#"name = "c10"
replicates = 6
[model]
variant = "anthropic"
n_features = 2
n_hidden = 1
feature_probability = 1.0
extra_feature = { importance = 1.0 }
[train]
steps = 10000
batch_size = 1024
schedule = { kind = "constant", lr = 0.001 }
[record]
curve_points = 10
tail_steps = 100
heldout_batches = 20
[sweep]
"model.extra_feature.importance" = [0.5, 1.0, 5.0]
"model.feature_probability" = [1.0, 0.05]
"#;

/// The replicate with the lowest held-out loss at (importance, probability).
fn best<'a>(results: &'a [RunResult], importance: &str, probability: &str) -> &'a RunResult {
    results
        .iter()
        .filter(|r| {
            r.point.axes[0].1 == importance
                && r.point.axes[1].1 == probability
                && r.status == RunStatus::Done
        })
        .min_by(|a, b| a.loss_heldout.total_cmp(&b.loss_heldout))
        .expect("a finished replicate")
}

#[test]
fn c10_the_three_phases_of_the_two_feature_model() {
    let experiment = Experiment::parse(CELLS, Path::new("c10.toml")).unwrap();
    let results = run_study(&experiment.points, 2).unwrap();
    let w = |r: &RunResult| (r.weights[0], r.weights[1]);
    // Dense, extra feature less important: W ≈ (±1, 0).
    let (w1, w2) = w(best(&results, "0.5", "1.0"));
    assert!(
        (w1.abs() - 1.0).abs() < 0.15 && w2.abs() < 0.15,
        "({w1}, {w2})"
    );
    // Dense, extra feature much more important: W ≈ (0, ±1).
    let (w1, w2) = w(best(&results, "5.0", "1.0"));
    assert!(
        w1.abs() < 0.15 && (w2.abs() - 1.0).abs() < 0.15,
        "({w1}, {w2})"
    );
    // Sparse (1 − S = 0.05), equal importance: antipodal, both norms ≈ 1. C10 also asks for
    // a negative bias; the notebook's protocol in PyTorch does not give one
    // (bench/tms_reference, 64 instances: 28 antipodal, norms 0.9987…1.0080, every |b_i| ≤
    // 0.0024, mean b 4e-5; docs/tms.md): with W = (1, −1) the interference x_1 − x_2 on one
    // output is negative whenever the other feature is active, so ReLU already removes it,
    // and a negative bias would only cut the lone feature's value. Checked as the reference
    // shows it: |b_i| ≤ 0.005 (twice the reference's largest), which a bias of the size that
    // filters interference in the n ≫ m models (≈ −0.1) fails.
    let run = best(&results, "1.0", "0.05");
    let (w1, w2) = w(run);
    eprintln!(
        "best at r = 1, 1 − S = 0.05: W = ({w1}, {w2}), b = {:?}, held-out n·MSE = {:.3e}",
        run.bias, run.loss_heldout
    );
    assert!(w1 * w2 < 0.0, "antipodal: ({w1}, {w2})");
    assert!(
        (w1.abs() - 1.0).abs() < 0.05 && (w2.abs() - 1.0).abs() < 0.05,
        "({w1}, {w2})"
    );
    assert!(
        run.bias.iter().all(|&b| b.abs() <= 0.005),
        "bias {:?}",
        run.bias
    );
    // Its loss against the reference's antipodal instances: their last-100-step batch loss,
    // as n·MSE, lies in 6.3e-4…1.0e-3 (median 8.4e-4); the other minimum found there, both
    // features on one side with b ≈ −0.17 on the weaker, has 1.5e-2.
    assert!(
        (4e-4..1.5e-3).contains(&run.loss_heldout),
        "held-out n·MSE {}",
        run.loss_heldout
    );
    // How often a single seed finds it (printed, not asserted: the point of replicates).
    let found = results
        .iter()
        .filter(|r| r.point.axes[0].1 == "1.0" && r.point.axes[1].1 == "0.05")
        .filter(|r| {
            r.weights[0] * r.weights[1] < 0.0
                && r.weights[0].abs() > 0.5
                && r.weights[1].abs() > 0.5
        })
        .count();
    eprintln!("antipodal in {found} of 6 replicates at r = 1, 1 − S = 0.05");
}
