//! A reduced capacity study (`docs/science/alignment.md` §4 items 2 and 4) that can fail on the
//! direction and on the sign of the competence–alignment slope:
//!
//! * alignment across modalities and to z, by mutual k-NN, must rise from the narrowest
//!   width to the next and from that to the widest, each step with non-overlapping 95 %
//!   intervals over seeds, and seed-to-seed alignment from the narrowest to the widest
//!   (docs/alignment.md, "Capacity": the full study's claims);
//! * the pooled competence–alignment slope (mutual k-NN to a reference network of width 128
//!   on modality 1) must be positive with its 95 % bootstrap interval above 0, and the
//!   correlation above 0.8 (docs/alignment.md, "Competence–alignment regression": 0.49
//!   [0.45, 0.53], r = 0.99 in the full study).
//!
//! The scale (widths 8, 32, 128; 400 steps; 3 seeds; 256 probe items) keeps the study
//! under half a minute. Measured when it was written (mutual k-NN, mean [95 % CI over
//! seeds], widths 8 / 32 / 128): across modalities 0.126 [0.104, 0.150] / 0.244
//! [0.239, 0.248] / 0.295 [0.282, 0.307]; to z 0.145 [0.132, 0.158] / 0.250 [0.243, 0.254] /
//! 0.320 [0.312, 0.328]; seeds 0.294 [0.267, 0.339] / 0.571 / 0.639 [0.628, 0.648]; slope
//! 0.383 [0.314, 0.461], r = 0.982 over 9 runs.

use std::path::Path;
use superscale_engine::{run_in_memory, Kind};
use superscale_kinds::platonic::{Comparison, Platonic, PlatonicSpec};
use superscale_measure::align::Metric;
use superscale_spec::Experiment;

const REDUCED: &str = r#"name = "reduced-capacity"
kind = "platonic"
replicates = 3
[model]
steps = 400
[study]
hypothesis = "capacity"
values = [8, 32, 128]
tasks = 8
probe = 256
test = 512
reference_width = 128
[analysis]
permutations = 20
bootstrap = 200
metrics = ["mutual_knn"]
"#;

#[test]
fn wider_networks_align_more_across_modalities_and_to_z_and_competence_predicts_alignment() {
    let experiment =
        Experiment::<PlatonicSpec>::from_text(REDUCED, Path::new("reduced.toml")).unwrap();
    let kind = Platonic::prepare(&experiment).unwrap();
    let finished = run_in_memory(&kind, &experiment, 2).unwrap();
    let result = kind.analyse(&experiment, &finished).unwrap();
    let find = |cell: usize, comparison| {
        result
            .summaries
            .iter()
            .find(|s| s.cell == cell && s.comparison == comparison && s.metric == Metric::MutualKnn)
            .unwrap()
            .clone()
    };
    for comparison in [Comparison::Seeds, Comparison::Modalities, Comparison::ToZ] {
        let scores: Vec<_> = (0..3).map(|cell| find(cell, comparison).score).collect();
        println!(
            "{comparison:?}: {}",
            scores
                .iter()
                .zip([8, 32, 128])
                .map(|(s, w)| format!("width {w}: {:.3} [{:.3}, {:.3}]", s.mean, s.low, s.high))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for comparison in [Comparison::Modalities, Comparison::ToZ] {
        for cell in 0..2 {
            let (narrow, wide) = (find(cell, comparison), find(cell + 1, comparison));
            assert!(
                wide.score.low > narrow.score.high,
                "{comparison:?}: cell {cell} {:?} vs cell {} {:?}",
                narrow.score,
                cell + 1,
                wide.score
            );
            // Far above the permutation null (chance is 10/255 ≈ 0.039).
            assert!(narrow.score.low > 2.0 * narrow.null_mean && narrow.null_mean < 0.06);
        }
    }
    // Within a modality, seed-to-seed alignment rises from the narrowest to the widest
    // network (the full study's 16 → 32 step overlaps, so only the extremes are claimed).
    let (narrow, wide) = (find(0, Comparison::Seeds), find(2, Comparison::Seeds));
    assert!(
        wide.score.low > narrow.score.high,
        "seeds: width 8 {:?} vs width 128 {:?}",
        narrow.score,
        wide.score
    );
    let pooled = result
        .regressions
        .iter()
        .find(|r| r.metric == Metric::MutualKnn && r.scope == "pooled")
        .unwrap();
    println!(
        "pooled competence–alignment slope {:.3} [{:.3}, {:.3}], r = {:.3}, {} runs",
        pooled.slope, pooled.slope_low, pooled.slope_high, pooled.correlation, pooled.runs
    );
    assert_eq!(pooled.runs, 9, "three widths × three modality-0 seeds");
    assert!(
        pooled.slope_low > 0.0,
        "the slope's interval must exclude 0: {pooled:?}"
    );
    assert!(pooled.correlation > 0.8, "r = {}", pooled.correlation);
}
