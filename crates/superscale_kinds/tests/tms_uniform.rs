//! C9 of `docs/science/superposition.md` §4: uniform superposition in the Anthropic toy model
//! (n = 200, m = 20, equal importances, 20 levels p_k = 20^(−k/19); AdamW lr 1e-3, weight
//! decay 0.01, batch 1024, 10 000 steps), checked as §4 words it. The full protocol with
//! three seeds pooled runs by default through the grid (entry sampler, ≈ 7–8 min on 2
//! cores); the same through the single-model trainer (gaps sampler, ≈ 3× the cost) and the
//! one-seed protocol are `#[ignore]`; a reduced single-model protocol runs by default.

use std::path::Path;
use superscale_kinds::{run_study, RunResult, RunStatus};
use superscale_measure::feature_dimensionality;
use superscale_spec::Experiment;

/// p_k = 20^(−k/19) for the given k (docs/science/tms.md §5.5), five significant digits as in
/// experiments/tms_uniform_n200_m20.toml.
fn levels(ks: &[u32]) -> Vec<String> {
    ks.iter()
        .map(|&k| format!("{:.5}", 20f64.powf(-f64::from(k) / 19.0)))
        .collect()
}

/// One trained model of a level.
struct Level {
    /// feature probability p = 1 − S
    p: f64,
    /// D* = m/‖W‖²_F
    d_star: f64,
    /// D_i of the rows
    dims: Vec<f64>,
    /// W (n × m) and b, for the reference comparison
    weights: Vec<f32>,
    bias: Vec<f32>,
}

/// Trains `replicates` models per level with the notebook's AdamW (decay 0.01 on W and b)
/// at constant `lr`; returns them ordered by p descending (replicates in seed order).
fn train_levels(ks: &[u32], steps: u64, lr: f64, replicates: u32, sampler: &str) -> Vec<Level> {
    let spec = format!(
        r#"name = "c9"
replicates = {replicates}
[model]
variant = "anthropic"
n_features = 200
n_hidden = 20
feature_probability = 1.0
sampler = "{sampler}"
[train]
steps = {steps}
batch_size = 1024
schedule = {{ kind = "constant", lr = {lr} }}
[record]
curve_points = 5
tail_steps = 50
heldout_batches = 2
[sweep]
"model.feature_probability" = [{}]
"#,
        levels(ks).join(", ")
    );
    let experiment = Experiment::parse(&spec, Path::new("c9.toml")).unwrap();
    let results = run_study(&experiment.points, 2).unwrap();
    let mut out: Vec<Level> = results
        .iter()
        .map(|r: &RunResult| {
            assert_eq!(r.status, RunStatus::Done);
            let p: f64 = r.point.axes[0].1.parse().unwrap();
            let geometry = r.geometry.as_ref().expect("measured");
            let weights: Vec<f64> = r.weights.iter().map(|&v| f64::from(v)).collect();
            let (dims, _) = feature_dimensionality(&weights, 20).unwrap();
            Level {
                p,
                d_star: geometry.dimensions_per_feature,
                dims,
                weights: r.weights.clone(),
                bias: r.bias.clone(),
            }
        })
        .collect();
    // Stable: replicates of a level keep their order.
    out.sort_by(|a, b| b.p.total_cmp(&a.p));
    for level in &out {
        println!(
            "p = {:.5}  1/(1−S) = {:6.3}  D* = {:.4}",
            level.p,
            1.0 / level.p,
            level.d_star
        );
    }
    if let Some(path) = std::env::var_os("SUPERSCALE_C9_WEIGHTS") {
        write_levels(Path::new(&path), &out);
    }
    out
}

/// Writes W [L, 200, 20], b [L, 200] (f32) and p [L] (f64) as one safetensors file, so
/// bench/tms_reference/compare.py can put these models beside PyTorch's.
fn write_levels(path: &Path, levels: &[Level]) {
    let count = levels.len();
    let mut tensors: Vec<(&str, &str, Vec<usize>, Vec<u8>)> = vec![
        ("W", "F32", vec![count, 200, 20], Vec::new()),
        ("b", "F32", vec![count, 200], Vec::new()),
        ("p", "F64", vec![count], Vec::new()),
    ];
    for level in levels {
        tensors[0]
            .3
            .extend(level.weights.iter().flat_map(|v| v.to_le_bytes()));
        tensors[1]
            .3
            .extend(level.bias.iter().flat_map(|v| v.to_le_bytes()));
        tensors[2].3.extend(level.p.to_le_bytes());
    }
    let mut header = serde_json::Map::new();
    let mut offset = 0;
    for (name, dtype, shape, bytes) in &tensors {
        header.insert(
            (*name).to_string(),
            serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + bytes.len()]}),
        );
        offset += bytes.len();
    }
    let mut header = serde_json::Value::Object(header).to_string().into_bytes();
    // The format pads the header with spaces to a multiple of 8 bytes.
    header.resize(header.len().div_ceil(8) * 8, b' ');
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend(header);
    for (_, _, _, bytes) in &tensors {
        file.extend(bytes);
    }
    std::fs::write(path, file).unwrap();
    println!("wrote {}", path.display());
}

/// The D_i pooled over the models with D* < 0.95 (C9).
fn pooled(levels: &[Level]) -> Vec<f64> {
    levels
        .iter()
        .filter(|level| level.d_star < 0.95)
        .flat_map(|level| level.dims.iter().copied())
        .collect()
}

/// (p, mean D* over the level's replicates), p descending.
fn mean_d_star(levels: &[Level]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64, usize)> = Vec::new();
    for level in levels {
        match out.last_mut() {
            Some(last) if last.0 == level.p => {
                last.1 += level.d_star;
                last.2 += 1;
            }
            _ => out.push((level.p, level.d_star, 1)),
        }
    }
    out.into_iter()
        .map(|(p, sum, count)| (p, sum / count as f64))
        .collect()
}

/// Features in the 0.005-wide bin centred on `centre`.
fn bin(dims: &[f64], centre: f64) -> usize {
    dims.iter()
        .filter(|&&d| d >= centre - 0.0025 && d < centre + 0.0025)
        .count()
}

/// A peak at `value` (C9): the 0.005 bin centred on it holds ≥ `at_least` features and
/// ≥ 2× each of the bins centred at value ± 0.0125. Bins are centred on the value rather
/// than on a fixed grid so that 1/2 (where D_i of a slightly perturbed antipodal pair sits
/// just below) is not split between two bins.
fn peak(dims: &[f64], value: f64, at_least: usize) -> Option<usize> {
    let count = bin(dims, value);
    let below = bin(dims, value - 0.0125);
    let above = bin(dims, value + 0.0125);
    (count >= at_least && count >= 2 * below && count >= 2 * above).then_some(count)
}

/// What a protocol must show (C9 of §4 for the full one).
struct Checks {
    /// levels whose mean D* is within 0.03 of 1/2
    half_levels: usize,
    /// features at least in the 1/2 bin
    half_at_least: usize,
    /// the second peak this protocol claims (its D_i, and the features its bin must hold at
    /// least); None: not checked
    second_peak: Option<(f64, usize)>,
}

fn check_c9(levels: &[Level], checks: &Checks) {
    let means = mean_d_star(levels);
    let dense = means.first().expect("levels");
    assert_eq!(dense.0, 1.0);
    assert!((0.9..=1.1).contains(&dense.1), "D* at p = 1: {}", dense.1);
    // D* decreasing with sparsity: the sparsest level below the dense one, and no level
    // above the one before it by more than the seed-to-seed noise on the plateau (0.02).
    for pair in means.windows(2) {
        assert!(
            pair[1].1 <= pair[0].1 + 0.02,
            "D* rises from p = {} ({}) to p = {} ({})",
            pair[0].0,
            pair[0].1,
            pair[1].0,
            pair[1].1
        );
    }
    assert!(means.last().unwrap().1 < dense.1 - 0.3);
    let sticky = means.iter().filter(|l| (l.1 - 0.5).abs() <= 0.03).count();
    let dims = pooled(levels);
    println!("pooled D_i of {} features", dims.len());
    for value in [0.75, 2.0 / 3.0, 0.5, 0.4, 0.375] {
        println!(
            "D_i bins around {value:.4}: {} / {} / {}",
            bin(&dims, value - 0.0125),
            bin(&dims, value),
            bin(&dims, value + 0.0125)
        );
    }
    assert!(
        sticky >= checks.half_levels,
        "{sticky} levels with D* within 0.03 of 1/2"
    );
    assert!(
        peak(&dims, 0.5, checks.half_at_least).is_some(),
        "no peak at 1/2: {} / {} / {} features around it",
        bin(&dims, 0.4875),
        bin(&dims, 0.5),
        bin(&dims, 0.5125)
    );
    // The peak the README and docs/tms.md claim, not whichever polytope fraction happens to
    // clear its neighbours: the test fails if the pentagons' 2/5 stops being the peak.
    if let Some((value, at_least)) = checks.second_peak {
        assert!(
            peak(&dims, value, at_least).is_some(),
            "no peak at {value:.4} (≥ {at_least} features, ≥ 2× each neighbour): {} / {} / {}",
            bin(&dims, value - 0.0125),
            bin(&dims, value),
            bin(&dims, value + 0.0125)
        );
    }
}

/// The full C9 protocol (20 levels, 10 000 steps, one seed each as in the notebook): 40 min
/// on the loaded 2-core machine (12.5 min on a lighter load). Fails on the second peak (2/5
/// bins 12 / 12 / 0); see docs/tms.md for the comparison with PyTorch.
#[test]
#[ignore = "several minutes: the full C9 protocol; run with --ignored"]
fn c9_uniform_superposition_full_protocol() {
    let ks: Vec<u32> = (0..20).collect();
    let checks = Checks {
        half_levels: 3,
        half_at_least: 10,
        second_peak: Some((0.4, 3)),
    };
    check_c9(&train_levels(&ks, 10_000, 0.001, 1, "gaps"), &checks);
}

/// The full C9 protocol with three seeds per level pooled (`replicates = 3`): which
/// polytope bin clears 2× its neighbours in one seed's 20 models is a matter of a few
/// features (docs/tms.md), so the second peak is judged on three times as many, with the
/// count threshold scaled to match (3 per seed). Three times the full protocol's cost.
/// Measured: 2/5 bins 17 / 34 / 0 (docs/tms.md).
#[test]
#[ignore = "three times the full C9 protocol; run with --ignored"]
fn c9_uniform_superposition_three_seeds_pooled() {
    let ks: Vec<u32> = (0..20).collect();
    let checks = Checks {
        half_levels: 3,
        half_at_least: 30,
        second_peak: Some((0.4, 9)),
    };
    check_c9(&train_levels(&ks, 10_000, 0.001, 3, "gaps"), &checks);
}

/// The reduced default protocol: the dense level and two levels on the 1/2 plateau
/// (k = 6, 7: 1/(1−S) = 2.6, 3.0), 3000 steps instead of 10 000, everything else as in tms.md §3.
/// Measured (shared machine): D* = 1.0022, 0.5107, 0.5048 and 49 features in the 1/2 bin
/// against 0 in each neighbour; the 1/2 plateau has formed by 3000 steps (the full run gives
/// 0.511 and 0.505 at these levels), while the second-peak polytopes need the full run and
/// more features, so that check is left to the full protocol. About 9000 model-steps:
/// ≈ 30 s of CPU.
#[test]
fn c9_uniform_superposition_reduced() {
    let checks = Checks {
        half_levels: 2,
        half_at_least: 10,
        second_peak: None,
    };
    check_c9(&train_levels(&[0, 6, 7], 3000, 0.001, 1, "gaps"), &checks);
}

/// SLOW (≈ 7–8 min on 2 cores, the longest test of the suite; it runs by default, within
/// the CI budget, as issue 5 asks): the full C9 protocol, three seeds per level pooled,
/// drawn by the entry sampler so that the 60 models train eight at a time through the
/// grid's wide kernel (`superscale_models::grid`): the same data distribution and protocol as the
/// test above at about a third of its cost. Measured: 1/2 bins 0 / 422 / 0, 2/5 bins
/// 2 / 30 / 2 (docs/tms.md), the same on two runs here (1056 s and 1887 s wall at load
/// 5–10, 10–12 min of CPU). The second peak asserted is 2/5, the one claimed; the other
/// fractions' bins (3/8 11 / 7 / 2, 2/3 21 / 2 / 0, 3/4 0 / 0 / 0) are printed, not asserted.
#[test]
fn c9_slow_full_protocol_three_seeds_pooled_through_the_grid() {
    let ks: Vec<u32> = (0..20).collect();
    let checks = Checks {
        half_levels: 3,
        half_at_least: 30,
        second_peak: Some((0.4, 9)),
    };
    check_c9(&train_levels(&ks, 10_000, 0.001, 3, "entries"), &checks);
}
