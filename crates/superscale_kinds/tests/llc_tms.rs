//! The TMS part of the LLC kind (`experiments/tms_kgon.toml`, `docs/science/tms_phases.md`):
//! a reduced study run in memory gives the k-gon table, the switch sizes with their
//! bootstrap intervals and the training landings, identically for 1 and 2 threads.

use std::path::Path;
use superscale_engine::{run_in_memory, Kind};
use superscale_kinds::llc::{Llc, LlcSpec};
use superscale_spec::Experiment;

/// The shipped study with 6 chains of 40 000 draws per k-gon (16 × 100 000 in the file),
/// four of its k-gons, and 6 seeds at two training-set sizes.
const REDUCED: &str = r#"name = "tms-kgon-reduced"
kind = "llc"
seed = 2023
[data]
n = 1000000
[sampler]
step = 1e-6
localization = 100.0
chains = 6
draws = 40000
burn_in = 20000
[sweep]
model = [
    { family = "tms_kgon", shape = [3, 0] },
    { family = "tms_kgon", shape = [4, 0] },
    { family = "tms_kgon", shape = [5, 0] },
    { family = "tms_kgon", shape = [6, 0] },
    { family = "tms_kgon", shape = [2, 1] },
    { family = "tms_trained", shape = [100, 3000, 6], sampler = { step = 1e-4, localization = 10.0, chains = 2, draws = 400, burn_in = 200 } },
    { family = "tms_trained", shape = [800, 3000, 6], sampler = { step = 1e-4, localization = 10.0, chains = 2, draws = 400, burn_in = 200 } },
]
"#;

#[test]
fn a_reduced_tms_study_orders_the_kgons_and_tabulates_the_landings() {
    let experiment: Experiment<LlcSpec> =
        Experiment::from_text(REDUCED, Path::new("tms.toml")).expect("valid");
    // 5 k-gons and 2 × 6 trained runs.
    assert_eq!(experiment.points.len(), 5 + 12);
    let kind = Llc::prepare(&experiment).expect("prepared");
    assert!(kind.needs_weights());
    let one = run_in_memory(&kind, &experiment, 1).expect("ran");
    let two = run_in_memory(&kind, &experiment, 2).expect("ran");
    for (a, b) in one.runs.iter().zip(&two.runs) {
        let (mut a, mut b) = (a.output.clone(), b.output.clone());
        a.seconds = 0.0;
        b.seconds = 0.0;
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
    let analysis = kind.analyse(&experiment, &one).expect("analysed");
    let phases = &analysis.tms;
    assert_eq!(phases.kgons.len(), 5);
    let family: Vec<_> = phases.kgons.iter().filter(|r| r.positive == 0).collect();
    // Lower loss for every larger polygon; λ̂ within 10 % of the counts of §3: 6, 7.5, 7, 8.5.
    for pair in family.windows(2) {
        assert!(pair[1].loss < pair[0].loss);
    }
    for row in &family {
        assert!(row.minimum(), "{row:?}");
        assert!((row.lambda / row.counted - 1.0).abs() < 0.10, "{row:?}");
    }
    // The saddle 2⁺⁻⁻⁻ is flagged.
    let saddle = phases.kgons.iter().find(|r| r.k == 2).expect("2-gon");
    assert!(!saddle.minimum() && saddle.lambda < 0.0);
    // Switches along 3 → 4 → 5 → 6: 3 → 4 has one, 4⁻⁻ → 5⁻ none (λ̂ falls), 5⁻ → 6 one
    // near the counted 445 with an interval around it.
    assert_eq!(phases.switches.len(), 3);
    assert!(phases.switches[0].switch.size.is_some());
    assert_eq!(phases.switches[1].switch.size, None);
    let last = &phases.switches[2].switch;
    let size = last.size.expect("5 → 6 switches");
    assert!((300.0..700.0).contains(&size), "{last:?}");
    assert!(last.interval.0 < size && size < last.interval.1, "{last:?}");
    // The free energy's preferred minimum ends at the 6-gon.
    assert_eq!(
        phases.preferred.last().map(|(_, name)| name.as_str()),
        Some("6")
    );
    // Every trained run is classified.
    assert_eq!(phases.landings.len(), 2);
    for row in &phases.landings {
        assert_eq!(row.runs, 6);
        assert_eq!(row.counts.values().sum::<usize>(), 6);
    }
    let tables = kind.tables(&experiment, &one, &analysis).expect("tables");
    let names: Vec<&str> = tables.iter().map(|(name, _)| name.as_str()).collect();
    assert!(names.contains(&"tms_kgons.csv") && names.contains(&"tms_landings.csv"));
    let sections = kind
        .sections(&experiment, &one, &analysis)
        .expect("sections");
    assert!(sections
        .iter()
        .any(|s| format!("{s:?}").contains("tms-kgon-phases")));
    assert!(kind
        .headlines(&analysis)
        .iter()
        .any(|l| l.contains("TMS switch 5⁻ -> 6")));
}

#[test]
fn bad_tms_shapes_name_their_field() {
    for shape in ["[1, 0]", "[5, 2]", "[6]"] {
        let text = REDUCED.replace("shape = [3, 0]", &format!("shape = {shape}"));
        let error = Experiment::<LlcSpec>::from_text(&text, Path::new("tms.toml"))
            .expect_err(shape)
            .to_string();
        assert!(error.contains("model.shape"), "{error}");
    }
    let text = REDUCED.replace("[100, 3000, 6]", "[5, 3000, 6]");
    assert!(Experiment::<LlcSpec>::from_text(&text, Path::new("tms.toml")).is_err());
}
