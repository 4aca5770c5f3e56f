//! A reduced multitask study (Huh et al. 2024's multitask scaling hypothesis; `docs/alignment.md`,
//! "Multitask scaling") that can fail on the direction:
//! seed-to-seed mutual k-NN at T = 8 must exceed T = 1 with non-overlapping 95 % CIs over
//! seeds, and so must alignment to z.
//!
//! Verified before it was written: at this scale (width 32, 300 steps, 3 seeds, n = 256)
//! the study run by `superscale platonic` gave seeds 0.265 [0.248, 0.293] at T = 1 vs
//! 0.570 [0.563, 0.582] at T = 8, and to z 0.200 [0.194, 0.206] vs 0.244 [0.240, 0.247].

use std::path::Path;
use superscale_engine::{run_in_memory, Kind};
use superscale_kinds::platonic::{Comparison, Platonic, PlatonicSpec};
use superscale_measure::align::Metric;
use superscale_spec::Experiment;

const REDUCED: &str = r#"name = "reduced-multitask"
kind = "platonic"
replicates = 3
[model]
width = 32
steps = 300
[study]
hypothesis = "multitask"
values = [1, 8]
control = false
probe = 256
test = 512
reference_width = 32
[analysis]
permutations = 20
bootstrap = 200
metrics = ["mutual_knn"]
"#;

#[test]
fn more_tasks_align_seeds_and_z_more_with_separated_intervals() {
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
    for comparison in [Comparison::Seeds, Comparison::ToZ] {
        let (one, eight) = (find(0, comparison), find(1, comparison));
        assert!(
            eight.score.low > one.score.high,
            "{comparison:?}: T = 1 {:?} vs T = 8 {:?}",
            one.score,
            eight.score
        );
        // Both far above the permutation null and chance 10/255.
        assert!(one.score.low > 3.0 * one.null_mean && one.null_mean < 0.06);
        assert!((one.chance.unwrap() - 10.0 / 255.0).abs() < 1e-15);
    }
    // Three seeds: 3 within-modality pairs, 9 across, 6 to z.
    assert_eq!(find(0, Comparison::Seeds).score.pairs, 3);
    assert_eq!(find(0, Comparison::Modalities).score.pairs, 9);
    assert_eq!(find(0, Comparison::ToZ).score.pairs, 6);
}
